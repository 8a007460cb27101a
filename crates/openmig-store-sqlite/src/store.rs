//! The SQL behind each [`Store`] method.
//!
//! Rows carry only what is queried: the practice and trait bits beside each patient's
//! codec document, `sharing_enabled` beside each practice's. Everything else is in the
//! documents, decoded by `openmig_store::codec`. Region facts live as text in `meta`, so
//! `sqlite3 region.db 'select * from meta'` shows them to a human.

use chrono::NaiveDate;
use openmig_domain::traits::{PatientTrait, TraitSet};
use openmig_domain::{GpRecord, NhsNumber, OdsCode, Practice};
use openmig_store::{ContentHasher, PracticeEntry, PreparedRecord, RegionInfo, Store, StoreCounts, StoreError, codec};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::SqliteStore;
use crate::error::sql_error;

/// The `meta` keys holding [`RegionInfo`]; an optional fact that is absent has no row.
mod key {
    pub const NAME: &str = "region.name";
    pub const SEED: &str = "region.seed";
    pub const AS_OF: &str = "region.as_of";
    pub const CONTENT_HASH: &str = "region.content_hash";
    pub const WRITTEN_BY: &str = "region.written_by";
    pub const ALL: [&str; 5] = [NAME, SEED, AS_OF, CONTENT_HASH, WRITTEN_BY];
}

impl Store for SqliteStore {
    fn region(&self) -> Result<Option<RegionInfo>, StoreError> {
        let conn = self.connection()?;
        let Some(name) = meta_value(&conn, key::NAME)? else {
            return Ok(None);
        };
        let seed = meta_value(&conn, key::SEED)?
            .map(|text| text.parse::<u64>().map_err(|_| damaged_meta(key::SEED)))
            .transpose()?;
        let as_of = meta_value(&conn, key::AS_OF)?.ok_or_else(|| damaged_meta(key::AS_OF))?;
        let as_of = NaiveDate::parse_from_str(&as_of, "%Y-%m-%d").map_err(|_| damaged_meta(key::AS_OF))?;
        let content_hash = meta_value(&conn, key::CONTENT_HASH)?;
        let written_by = meta_value(&conn, key::WRITTEN_BY)?.ok_or_else(|| damaged_meta(key::WRITTEN_BY))?;
        Ok(Some(RegionInfo { name, seed, as_of, content_hash, written_by }))
    }

    fn set_region(&self, info: &RegionInfo) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut delete = tx.prepare_cached("DELETE FROM meta WHERE key = ?1").map_err(sql_error)?;
            for key in key::ALL {
                delete.execute([key]).map_err(sql_error)?;
            }
            let mut insert = tx.prepare_cached("INSERT INTO meta (key, value) VALUES (?1, ?2)").map_err(sql_error)?;
            let values = [
                (key::NAME, Some(info.name.clone())),
                (key::SEED, info.seed.map(|seed| seed.to_string())),
                (key::AS_OF, Some(info.as_of.format("%Y-%m-%d").to_string())),
                (key::CONTENT_HASH, info.content_hash.clone()),
                (key::WRITTEN_BY, Some(info.written_by.clone())),
            ];
            for (key, value) in values {
                if let Some(value) = value {
                    insert.execute(params![key, value]).map_err(sql_error)?;
                }
            }
            Ok(())
        })
    }

    fn upsert_practices(&self, practices: &[PracticeEntry]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO practice (ods_code, sharing_enabled, document) VALUES (?1, ?2, ?3)
                     ON CONFLICT (ods_code) DO UPDATE
                     SET sharing_enabled = excluded.sharing_enabled, document = excluded.document",
                )
                .map_err(sql_error)?;
            for entry in practices {
                let practice = &entry.practice;
                let document = codec::encode_practice(entry);
                upsert
                    .execute(params![practice.ods_code.as_str(), practice.sharing_enabled, document])
                    .map_err(sql_error)?;
            }
            Ok(())
        })
    }

    fn upsert_records(&self, records: &[PreparedRecord]) -> Result<(), StoreError> {
        self.write(|tx| {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO patient (nhs_number, practice, traits, entry_count, document)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (nhs_number) DO UPDATE
                     SET practice = excluded.practice, traits = excluded.traits,
                         entry_count = excluded.entry_count, document = excluded.document",
                )
                .map_err(sql_error)?;
            for record in records {
                upsert
                    .execute(params![
                        nhs_key(record.nhs_number),
                        record.practice.as_str(),
                        record.traits.bits(),
                        record.entry_count,
                        record.document,
                    ])
                    .map_err(sql_error)?;
            }
            Ok(())
        })
    }

    fn record(&self, nhs_number: NhsNumber) -> Result<Option<GpRecord>, StoreError> {
        let conn = self.connection()?;
        let mut select =
            conn.prepare_cached("SELECT document FROM patient WHERE nhs_number = ?1").map_err(sql_error)?;
        let document: Option<Vec<u8>> =
            select.query_row([nhs_key(nhs_number)], |row| row.get(0)).optional().map_err(sql_error)?;
        Ok(document.map(|bytes| codec::decode(&bytes)).transpose()?)
    }

    fn practice(&self, ods_code: &OdsCode) -> Result<Option<PracticeEntry>, StoreError> {
        let conn = self.connection()?;
        let mut select = conn.prepare_cached("SELECT document FROM practice WHERE ods_code = ?1").map_err(sql_error)?;
        let document: Option<Vec<u8>> =
            select.query_row([ods_code.as_str()], |row| row.get(0)).optional().map_err(sql_error)?;
        Ok(document.map(|bytes| codec::decode_practice(&bytes)).transpose()?)
    }

    fn practices(&self) -> Result<Vec<Practice>, StoreError> {
        let conn = self.connection()?;
        let mut select = conn.prepare_cached("SELECT document FROM practice ORDER BY ods_code").map_err(sql_error)?;
        let documents = select.query_map([], |row| row.get::<_, Vec<u8>>(0)).map_err(sql_error)?;
        documents.map(|document| Ok(codec::decode_practice(&document.map_err(sql_error)?)?.practice)).collect()
    }

    fn practice_patients(
        &self,
        ods_code: &OdsCode,
        after: Option<NhsNumber>,
        limit: usize,
    ) -> Result<Vec<NhsNumber>, StoreError> {
        let conn = self.connection()?;
        let mut select = conn
            .prepare_cached(
                "SELECT nhs_number FROM patient WHERE practice = ?1 AND nhs_number > ?2 ORDER BY nhs_number LIMIT ?3",
            )
            .map_err(sql_error)?;
        // Every stored NHS number is positive, so -1 means "from the start".
        let after = after.map_or(-1, nhs_key);
        let rows = select.query_map(params![ods_code.as_str(), after, sql_limit(limit)], |row| row.get(0));
        rows.map_err(sql_error)?.map(|key| stored_nhs_number(key.map_err(sql_error)?)).collect()
    }

    fn patients_with_trait(&self, wanted: PatientTrait, limit: usize) -> Result<Vec<NhsNumber>, StoreError> {
        let conn = self.connection()?;
        let mut select = conn
            .prepare_cached("SELECT nhs_number FROM patient WHERE traits & ?1 != 0 ORDER BY nhs_number LIMIT ?2")
            .map_err(sql_error)?;
        let rows = select.query_map(params![TraitSet::mask_of(wanted), sql_limit(limit)], |row| row.get(0));
        rows.map_err(sql_error)?.map(|key| stored_nhs_number(key.map_err(sql_error)?)).collect()
    }

    fn counts(&self) -> Result<StoreCounts, StoreError> {
        let conn = self.connection()?;
        Ok(StoreCounts { practices: count(&conn, "practice")?, patients: count(&conn, "patient")? })
    }

    fn content_hash(&self) -> Result<String, StoreError> {
        let conn = self.connection()?;
        let mut hasher = ContentHasher::new();
        let mut practices =
            conn.prepare_cached("SELECT ods_code, document FROM practice ORDER BY ods_code").map_err(sql_error)?;
        let mut rows = practices.query([]).map_err(sql_error)?;
        while let Some(row) = rows.next().map_err(sql_error)? {
            let ods_code: String = row.get(0).map_err(sql_error)?;
            let ods_code = OdsCode::parse(&ods_code)
                .map_err(|_| StoreError::Corrupt("a stored practice has an invalid ODS code".into()))?;
            hasher.practice(&ods_code, blob(row, 1)?);
        }
        let mut patients = conn
            .prepare_cached("SELECT nhs_number, traits, document FROM patient ORDER BY nhs_number")
            .map_err(sql_error)?;
        let mut rows = patients.query([]).map_err(sql_error)?;
        while let Some(row) = rows.next().map_err(sql_error)? {
            let nhs_number = stored_nhs_number(row.get(0).map_err(sql_error)?)?;
            let traits = TraitSet::from_bits(row.get(1).map_err(sql_error)?);
            hasher.patient(nhs_number, traits, blob(row, 2)?);
        }
        Ok(hasher.finish())
    }
}

/// The NHS number as the `patient` table's integer key (ten digits always fit an i64).
fn nhs_key(nhs_number: NhsNumber) -> i64 {
    i64::try_from(nhs_number.value()).expect("a ten-digit number fits in i64")
}

/// Rebuilds an NHS number from its stored key, re-checking it: a key that fails the
/// check can only come from damage or tampering.
fn stored_nhs_number(key: i64) -> Result<NhsNumber, StoreError> {
    NhsNumber::parse(&format!("{key:010}"))
        .map_err(|_| StoreError::Corrupt("a stored NHS number fails its check digit".into()))
}

/// SQLite's LIMIT is an i64; a larger request means "no limit" in practice.
fn sql_limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Borrows a document column without copying it (the schema makes it a BLOB).
fn blob<'row>(row: &'row Row<'_>, column: usize) -> Result<&'row [u8], StoreError> {
    row.get_ref(column)
        .map_err(sql_error)?
        .as_blob()
        .map_err(|_| StoreError::Corrupt("a stored document is not a blob".into()))
}

/// Rows in one of the schema's own tables (the name is never user input).
fn count(conn: &Connection, table: &str) -> Result<u64, StoreError> {
    let rows: i64 =
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |row| row.get(0)).map_err(sql_error)?;
    u64::try_from(rows).map_err(|_| StoreError::Corrupt(format!("{table} row count is negative")))
}

fn meta_value(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    let mut select = conn.prepare_cached("SELECT value FROM meta WHERE key = ?1").map_err(sql_error)?;
    select.query_row([key], |row| row.get(0)).optional().map_err(sql_error)
}

fn damaged_meta(key: &str) -> StoreError {
    StoreError::Corrupt(format!("region fact {key} is missing or unreadable"))
}
