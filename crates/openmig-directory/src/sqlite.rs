//! The directory in a SQLite file (application id "OMDR").
//!
//! Tables `directory_*`: the region facts, one row per practice (its document, the
//! domain [`Practice`] encoded with `openmig-codec`, beside its two endpoint URLs) and one
//! row per patient (the domain [`Patient`] as a document, keyed by NHS number, with the
//! registered practice as an indexed column). The gateway keeps its own state (audit log,
//! last-good copies, outbox) in other tables of the same file; those parts open the file
//! themselves and never touch these tables.
//!
//! Opening goes through `openmig-sqlite-file`, so a file that is not openmig's is refused
//! unchanged, and a clinical store ("OMIG") is refused too: a directory is never a
//! record store, and the gateway must not be pointed at one by mistake.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::NaiveDate;
use openmig_domain::region::RegionInfo;
use openmig_domain::{NhsNumber, OdsCode, Patient, Practice};
use openmig_sqlite_file::{DIRECTORY_APPLICATION_ID, FileError, Tables};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{Directory, DirectoryCounts, DirectoryError, DirectoryPractice, Endpoint};

/// The directory's tables.
const TABLES: Tables = Tables {
    name: "directory",
    application_id: DIRECTORY_APPLICATION_ID,
    accepted: &[DIRECTORY_APPLICATION_ID],
    meta_table: "directory_meta",
    main_table: "directory_patient",
    schema: "
        CREATE TABLE IF NOT EXISTS directory_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE IF NOT EXISTS directory_region (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            seed TEXT,
            as_of TEXT NOT NULL,
            content_hash TEXT,
            written_by TEXT NOT NULL
        ) STRICT;
        CREATE TABLE IF NOT EXISTS directory_practice (
            ods_code TEXT PRIMARY KEY,
            document BLOB NOT NULL,
            gp_connect_endpoint TEXT NOT NULL,
            document_endpoint TEXT
        ) STRICT;
        CREATE TABLE IF NOT EXISTS directory_patient (
            nhs_number INTEGER PRIMARY KEY,
            practice TEXT NOT NULL,
            document BLOB NOT NULL
        ) STRICT;
        CREATE INDEX IF NOT EXISTS directory_patient_by_practice ON directory_patient (practice, nhs_number);",
    format: 1,
};

/// The SQLite directory (see the module docs).
pub struct SqliteDirectory {
    path: PathBuf,
    connection: Mutex<Connection>,
}

impl SqliteDirectory {
    /// Creates the directory tables in `path` (a new or empty file, or an existing
    /// directory file), for writing.
    pub fn create(path: &Path) -> Result<SqliteDirectory, DirectoryError> {
        let connection = openmig_sqlite_file::open_for_writing(path, &TABLES, true).map_err(|e| file(path, e))?;
        Ok(SqliteDirectory { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// Opens an existing directory for writing (`openmig directory set-endpoint`).
    pub fn open(path: &Path) -> Result<SqliteDirectory, DirectoryError> {
        let connection = openmig_sqlite_file::open_for_writing(path, &TABLES, false).map_err(|e| file(path, e))?;
        Ok(SqliteDirectory { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// Opens an existing directory for reading only; nothing in the file changes.
    pub fn open_read_only(path: &Path) -> Result<SqliteDirectory, DirectoryError> {
        let connection = openmig_sqlite_file::open_read_only(path, &TABLES)
            .map_err(|e| file(path, e))?
            .ok_or_else(|| DirectoryError::File(format!("{} holds no directory", path.display())))?;
        Ok(SqliteDirectory { path: path.to_path_buf(), connection: Mutex::new(connection) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the region facts, replacing earlier ones.
    pub fn set_region(&self, info: &RegionInfo) -> Result<(), DirectoryError> {
        self.connection()?
            .execute(
                "INSERT INTO directory_region (id, name, seed, as_of, content_hash, written_by)
                 VALUES (1, ?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET name = ?1, seed = ?2, as_of = ?3, content_hash = ?4, written_by = ?5",
                params![
                    info.name,
                    info.seed.map(|seed| seed.to_string()),
                    info.as_of.to_string(),
                    info.content_hash,
                    info.written_by
                ],
            )
            .map_err(sql)?;
        Ok(())
    }

    /// Inserts or replaces practices (with their endpoints), in one transaction.
    pub fn upsert_practices(&self, practices: &[DirectoryPractice]) -> Result<(), DirectoryError> {
        let mut connection = self.connection()?;
        let tx = connection.transaction().map_err(sql)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO directory_practice (ods_code, document, gp_connect_endpoint, document_endpoint)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (ods_code) DO UPDATE SET document = ?2, gp_connect_endpoint = ?3, document_endpoint = ?4",
                )
                .map_err(sql)?;
            for entry in practices {
                insert
                    .execute(params![
                        entry.practice.ods_code.as_str(),
                        openmig_codec::encode_value(&entry.practice),
                        entry.gp_connect.as_str(),
                        entry.documents.as_ref().map(Endpoint::as_str),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Inserts or replaces patients, in one transaction. Only demographics and
    /// registration are kept: the type holds nothing else.
    pub fn upsert_patients(&self, patients: &[Patient]) -> Result<(), DirectoryError> {
        let prepared: Vec<PreparedPatient> = patients.iter().map(PreparedPatient::prepare).collect();
        self.upsert_prepared_patients(&prepared)
    }

    /// [`SqliteDirectory::upsert_patients`] for entries already encoded (off the writer
    /// thread, as generation does).
    pub fn upsert_prepared_patients(&self, patients: &[PreparedPatient]) -> Result<(), DirectoryError> {
        let mut connection = self.connection()?;
        let tx = connection.transaction().map_err(sql)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO directory_patient (nhs_number, practice, document) VALUES (?1, ?2, ?3)
                     ON CONFLICT (nhs_number) DO UPDATE SET practice = ?2, document = ?3",
                )
                .map_err(sql)?;
            for patient in patients {
                insert
                    .execute(params![patient.nhs_number.value() as i64, patient.practice.as_str(), patient.document])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Points a practice at its system's endpoints (the Spine Directory Service's job:
    /// registering where a practice's GP Connect endpoint answers).
    pub fn set_endpoints(
        &self,
        ods_code: &OdsCode,
        gp_connect: &Endpoint,
        documents: Option<&Endpoint>,
    ) -> Result<(), DirectoryError> {
        let changed = self
            .connection()?
            .execute(
                "UPDATE directory_practice SET gp_connect_endpoint = ?2, document_endpoint = ?3 WHERE ods_code = ?1",
                params![ods_code.as_str(), gp_connect.as_str(), documents.map(Endpoint::as_str)],
            )
            .map_err(sql)?;
        if changed == 0 {
            return Err(DirectoryError::UnknownPractice(ods_code.to_string()));
        }
        Ok(())
    }

    /// Bulk loading into a new file (generation, which renames the file into place only
    /// when it is complete): no syncing and an in-memory rollback journal while `on`;
    /// off again, the file is back to WAL with every commit synced.
    pub fn set_bulk_load(&self, on: bool) -> Result<(), DirectoryError> {
        let connection = self.connection()?;
        let (journal, synchronous) = if on { ("MEMORY", "OFF") } else { ("WAL", "FULL") };
        let mode: String =
            connection.pragma_update_and_check(None, "journal_mode", journal, |row| row.get(0)).map_err(sql)?;
        if !mode.eq_ignore_ascii_case(journal) {
            return Err(DirectoryError::Database(format!("SQLite would not switch to journal mode {journal}")));
        }
        connection.pragma_update(None, "synchronous", synchronous).map_err(sql)?;
        Ok(())
    }

    fn connection(&self) -> Result<std::sync::MutexGuard<'_, Connection>, DirectoryError> {
        self.connection.lock().map_err(|_| DirectoryError::Database("the connection was poisoned".into()))
    }
}

impl Directory for SqliteDirectory {
    fn region(&self) -> Result<Option<RegionInfo>, DirectoryError> {
        let connection = self.connection()?;
        let row = connection
            .query_row(
                "SELECT name, seed, as_of, content_hash, written_by FROM directory_region WHERE id = 1",
                [],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, Option<String>>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(sql)?;
        let Some((name, seed, as_of, content_hash, written_by)) = row else { return Ok(None) };
        let damaged = |what: &str| DirectoryError::Damaged(format!("the region's {what} is not readable"));
        let seed = seed.map(|seed| seed.parse::<u64>()).transpose().map_err(|_| damaged("seed"))?;
        let as_of = as_of.parse::<NaiveDate>().map_err(|_| damaged("as-of day"))?;
        Ok(Some(RegionInfo { name, seed, as_of, content_hash, written_by }))
    }

    fn patient(&self, nhs_number: NhsNumber) -> Result<Option<Patient>, DirectoryError> {
        let document: Option<Vec<u8>> = self
            .connection()?
            .prepare_cached("SELECT document FROM directory_patient WHERE nhs_number = ?1")
            .and_then(|mut select| select.query_row([nhs_number.value() as i64], |row| row.get(0)).optional())
            .map_err(sql)?;
        document.map(|bytes| decode::<Patient>(&bytes)).transpose()
    }

    fn practice(&self, ods_code: &OdsCode) -> Result<Option<DirectoryPractice>, DirectoryError> {
        let row = self
            .connection()?
            .prepare_cached(
                "SELECT document, gp_connect_endpoint, document_endpoint FROM directory_practice WHERE ods_code = ?1",
            )
            .and_then(|mut select| select.query_row([ods_code.as_str()], practice_row).optional())
            .map_err(sql)?;
        row.map(practice_entry).transpose()
    }

    fn practices(&self) -> Result<Vec<DirectoryPractice>, DirectoryError> {
        let rows = {
            let connection = self.connection()?;
            let mut select = connection
                .prepare_cached(
                    "SELECT document, gp_connect_endpoint, document_endpoint FROM directory_practice ORDER BY ods_code",
                )
                .map_err(sql)?;
            let rows = select.query_map([], practice_row).map_err(sql)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(sql)?
        };
        rows.into_iter().map(practice_entry).collect()
    }

    fn counts(&self) -> Result<DirectoryCounts, DirectoryError> {
        let connection = self.connection()?;
        let count = |table: &str| -> Result<u64, DirectoryError> {
            let n: i64 =
                connection.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).map_err(sql)?;
            Ok(n as u64)
        };
        Ok(DirectoryCounts { practices: count("directory_practice")?, patients: count("directory_patient")? })
    }

    fn content_hash(&self) -> Result<String, DirectoryError> {
        let connection = self.connection()?;
        let mut sha = Sha256::new();
        let mut frame = |key: &[u8], document: &[u8]| {
            sha.update(key);
            sha.update((document.len() as u64).to_le_bytes());
            sha.update(document);
        };
        let mut practices =
            connection.prepare("SELECT ods_code, document FROM directory_practice ORDER BY ods_code").map_err(sql)?;
        let mut rows = practices.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let (ods, document): (String, Vec<u8>) = (row.get(0).map_err(sql)?, row.get(1).map_err(sql)?);
            frame(ods.as_bytes(), &document);
        }
        let mut patients = connection
            .prepare("SELECT nhs_number, document FROM directory_patient ORDER BY nhs_number")
            .map_err(sql)?;
        let mut rows = patients.query([]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let (nhs, document): (i64, Vec<u8>) = (row.get(0).map_err(sql)?, row.get(1).map_err(sql)?);
            frame(format!("{nhs:010}").as_bytes(), &document);
        }
        Ok(sha.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
    }
}

/// A patient's directory entry encoded for storage, so that the encoding can run on
/// many threads and the writer only inserts.
#[derive(Debug, Clone)]
pub struct PreparedPatient {
    nhs_number: NhsNumber,
    practice: OdsCode,
    document: Vec<u8>,
}

impl PreparedPatient {
    /// Encodes `patient`'s demographics and registration.
    pub fn prepare(patient: &Patient) -> PreparedPatient {
        PreparedPatient {
            nhs_number: patient.nhs_number,
            practice: patient.registration.practice.clone(),
            document: openmig_codec::encode_value(patient),
        }
    }
}

type PracticeRow = (Vec<u8>, String, Option<String>);

fn practice_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<PracticeRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn practice_entry((document, gp_connect, documents): PracticeRow) -> Result<DirectoryPractice, DirectoryError> {
    let practice: Practice = decode(&document)?;
    let bad = |error| DirectoryError::BadEndpoint { ods: practice.ods_code.to_string(), error };
    let gp_connect = Endpoint::parse(&gp_connect).map_err(bad)?;
    let documents = documents.as_deref().map(Endpoint::parse).transpose().map_err(bad)?;
    Ok(DirectoryPractice { practice, gp_connect, documents })
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, DirectoryError> {
    openmig_codec::decode_value(bytes).map_err(|e| DirectoryError::Damaged(e.to_string()))
}

fn file(path: &Path, error: FileError) -> DirectoryError {
    match error {
        FileError::Missing(_) => DirectoryError::File(format!("directory not found: {}", path.display())),
        other => DirectoryError::File(format!("cannot open the directory {}: {other}", path.display())),
    }
}

/// SQLite's messages name tables and columns, never bound values.
fn sql(error: rusqlite::Error) -> DirectoryError {
    DirectoryError::Database(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmig_domain::fixtures;

    fn entry(practice: Practice) -> DirectoryPractice {
        let base = format!("https://gp.example:9443/{}", practice.ods_code);
        DirectoryPractice {
            gp_connect: Endpoint::parse(&format!("{base}/STU3/1/gpconnect/structured/fhir")).unwrap(),
            documents: Some(Endpoint::parse(&format!("{base}/inbox/fhir")).unwrap()),
            practice,
        }
    }

    fn filled(path: &Path) -> SqliteDirectory {
        let directory = SqliteDirectory::create(path).unwrap();
        directory.upsert_practices(&[entry(fixtures::example_practice())]).unwrap();
        directory
            .upsert_patients(&[fixtures::example_record().patient, fixtures::restricted_record().patient])
            .unwrap();
        directory
    }

    #[test]
    fn patients_and_practices_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.db");
        filled(&path);
        let directory = SqliteDirectory::open_read_only(&path).unwrap();
        let patient = fixtures::example_record().patient;
        assert_eq!(directory.patient(patient.nhs_number).unwrap(), Some(patient));
        assert!(directory.patient(fixtures::free_nhs(7)).unwrap().is_none());
        let practice = fixtures::example_practice();
        assert_eq!(directory.practice(&practice.ods_code).unwrap(), Some(entry(practice.clone())));
        assert_eq!(directory.practices().unwrap(), vec![entry(practice)]);
        assert_eq!(directory.counts().unwrap(), DirectoryCounts { practices: 1, patients: 2 });
    }

    #[test]
    fn a_bulk_load_reads_back_the_same_and_leaves_the_file_in_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.db");
        let directory = SqliteDirectory::create(&path).unwrap();
        directory.set_bulk_load(true).unwrap();
        let patient = fixtures::example_record().patient;
        directory.upsert_prepared_patients(&[PreparedPatient::prepare(&patient)]).unwrap();
        directory.set_bulk_load(false).unwrap();
        drop(directory);
        let directory = SqliteDirectory::open_read_only(&path).unwrap();
        assert_eq!(directory.patient(patient.nhs_number).unwrap(), Some(patient));
        let mode: String =
            directory.connection().unwrap().pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn endpoints_change_without_changing_the_content_hash() {
        let dir = tempfile::tempdir().unwrap();
        let directory = filled(&dir.path().join("directory.db"));
        let before = directory.content_hash().unwrap();
        let ods = fixtures::example_practice().ods_code;
        let moved = Endpoint::parse("https://emis.example/gpc/fhir").unwrap();
        directory.set_endpoints(&ods, &moved, None).unwrap();
        let entry = directory.practice(&ods).unwrap().unwrap();
        assert_eq!(entry.gp_connect, moved);
        assert_eq!(entry.documents, None);
        assert_eq!(directory.content_hash().unwrap(), before);
        let unknown = OdsCode::parse("Y99999").unwrap();
        assert!(matches!(directory.set_endpoints(&unknown, &moved, None), Err(DirectoryError::UnknownPractice(_))));
    }

    #[test]
    fn region_facts_round_trip_with_a_seed_beyond_i64() {
        let dir = tempfile::tempdir().unwrap();
        let directory = filled(&dir.path().join("directory.db"));
        assert_eq!(directory.region().unwrap(), None);
        let info = RegionInfo {
            name: "North East (synthetic)".into(),
            seed: Some(u64::MAX),
            as_of: fixtures::AS_OF,
            content_hash: Some("ab".repeat(32)),
            written_by: "openmig test".into(),
        };
        directory.set_region(&info).unwrap();
        assert_eq!(directory.region().unwrap(), Some(info));
    }

    #[test]
    fn a_clinical_store_or_a_foreign_file_is_not_a_directory_and_is_left_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let foreign = dir.path().join("notes.txt");
        std::fs::write(&foreign, b"not a database").unwrap();
        assert!(matches!(SqliteDirectory::open_read_only(&foreign), Err(DirectoryError::File(_))));
        assert!(matches!(SqliteDirectory::create(&foreign), Err(DirectoryError::File(_))));
        assert_eq!(std::fs::read(&foreign).unwrap(), b"not a database");
        let store = dir.path().join("store.db");
        {
            let connection = Connection::open(&store).unwrap();
            connection.pragma_update(None, "application_id", openmig_sqlite_file::STORE_APPLICATION_ID).unwrap();
            connection.execute_batch("CREATE TABLE record (x INTEGER);").unwrap();
        }
        let error = SqliteDirectory::open_read_only(&store).err().unwrap().to_string();
        assert!(error.contains("not an openmig database"), "{error}");
        assert!(matches!(
            SqliteDirectory::open_read_only(&dir.path().join("missing.db")),
            Err(DirectoryError::File(_))
        ));
    }

    #[test]
    fn a_hand_edited_endpoint_is_reported_with_its_practice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("directory.db");
        filled(&path);
        Connection::open(&path)
            .unwrap()
            .execute("UPDATE directory_practice SET gp_connect_endpoint = 'http://x'", [])
            .unwrap();
        let directory = SqliteDirectory::open_read_only(&path).unwrap();
        let error = directory.practices().unwrap_err().to_string();
        assert!(error.contains("Z90001") && error.contains("not https"), "{error}");
    }
}
