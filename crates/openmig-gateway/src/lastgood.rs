//! The last-good copy: the most recent record successfully fetched from each patient's
//! practice, so that when the practice's system is slow or down the gateway can still
//! answer with a clearly dated copy instead of a blank screen (issue 6, "always
//! answering").
//!
//! Stored in the gateway's SQLite file (table `lastgood_record`), **encrypted at rest**
//! with AES-256-GCM under a configured key; the NHS number is the additional
//! authenticated data, so a row moved to another patient's key fails to decrypt rather
//! than showing one patient's record under another's name (hazard H1, wrong patient).
//! Bounded: at most `max_entries` rows (oldest evicted first) and nothing older than
//! `max_age` is kept; a copy past `max_age` is never served as current.

use std::path::Path;
use std::sync::Mutex;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use chrono::{DateTime, Duration, Utc};
use openmig_codec as codec;
use openmig_domain::{Clinician, GpRecord, NhsNumber};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::federation::Caveats;

/// The length of a cache key: 256 bits.
pub const KEY_LEN: usize = 32;

/// A copy served from the cache.
#[derive(Debug, Clone)]
pub struct LastGood {
    /// The record as last fetched.
    pub record: GpRecord,
    /// The clinicians the practice's answer named (its Practitioners).
    pub clinicians: Vec<Clinician>,
    /// What the practice's answer said beyond the record.
    pub caveats: Caveats,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

/// What can go wrong with the cache. Never fatal to a request: without a cache the
/// gateway answers "temporarily unavailable" as it would with an empty one.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// SQLite failed.
    #[error("last-good cache database error: {0}")]
    Database(String),
    /// The key is unusable.
    #[error("last-good cache key: {0}")]
    Key(String),
}

fn sql(error: rusqlite::Error) -> CacheError {
    CacheError::Database(error.to_string())
}

/// The stored document: the record and the clinicians its Bundle named, each in the
/// `openmig-codec` layout. (The practice itself is the directory's, read afresh.)
#[derive(Serialize, Deserialize)]
struct Document {
    record: Vec<u8>,
    clinicians: Vec<u8>,
    caveats: Caveats,
}

/// The cache.
pub struct LastGoodCache {
    connection: Mutex<Connection>,
    key: LessSafeKey,
    max_entries: usize,
    max_age: Duration,
}

impl LastGoodCache {
    /// Opens (creating if needed) the cache table in `database`, encrypting with `key`.
    pub fn open(
        database: &Path,
        key: &[u8; KEY_LEN],
        max_entries: usize,
        max_age: Duration,
    ) -> Result<Self, CacheError> {
        let connection = Connection::open(database).map_err(sql)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA busy_timeout = 5000;
                 CREATE TABLE IF NOT EXISTS lastgood_record (
                     nhs_number TEXT PRIMARY KEY,
                     fetched_at TEXT NOT NULL,
                     nonce BLOB NOT NULL,
                     sealed BLOB NOT NULL
                 ) STRICT;
                 CREATE INDEX IF NOT EXISTS lastgood_by_age ON lastgood_record (fetched_at);",
            )
            .map_err(sql)?;
        let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| CacheError::Key("not a 256-bit key".into()))?;
        Ok(LastGoodCache { connection: Mutex::new(connection), key: LessSafeKey::new(key), max_entries, max_age })
    }

    /// Keeps `record` as the last good copy of its patient, fetched at `fetched_at`,
    /// then evicts what is too old or beyond the size bound.
    pub fn put(
        &self,
        record: &GpRecord,
        clinicians: &[Clinician],
        caveats: &Caveats,
        fetched_at: DateTime<Utc>,
    ) -> Result<(), CacheError> {
        let nhs = record.patient.nhs_number.to_string();
        let copy = Document {
            record: codec::encode(record),
            clinicians: codec::encode_value(&clinicians),
            caveats: caveats.clone(),
        };
        let mut sealed = codec::encode_value(&copy);
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CacheError::Key("no secure random source".into()))?;
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(nhs.as_bytes()), &mut sealed)
            .map_err(|_| CacheError::Key("encryption failed".into()))?;
        let connection = self.connection.lock().map_err(|_| CacheError::Database("poisoned".into()))?;
        connection
            .execute(
                "INSERT INTO lastgood_record (nhs_number, fetched_at, nonce, sealed) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (nhs_number) DO UPDATE SET fetched_at = ?2, nonce = ?3, sealed = ?4
                 WHERE excluded.fetched_at >= lastgood_record.fetched_at",
                params![nhs, time_text(fetched_at), nonce.as_slice(), sealed],
            )
            .map_err(sql)?;
        evict(&connection, fetched_at - self.max_age, self.max_entries)
    }

    /// The last good copy of `nhs_number`, if there is one no older than the maximum
    /// age at `now`. A copy that fails to decrypt or decode (tampered, or moved from
    /// another patient's row) is treated as absent.
    pub fn get(&self, nhs_number: NhsNumber, now: DateTime<Utc>) -> Result<Option<LastGood>, CacheError> {
        let nhs = nhs_number.to_string();
        let row: Option<(String, Vec<u8>, Vec<u8>)> = {
            let connection = self.connection.lock().map_err(|_| CacheError::Database("poisoned".into()))?;
            connection
                .query_row(
                    "SELECT fetched_at, nonce, sealed FROM lastgood_record WHERE nhs_number = ?1",
                    params![nhs],
                    |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
                )
                .optional()
                .map_err(sql)?
        };
        let Some((fetched_at, nonce, mut sealed)) = row else { return Ok(None) };
        let Ok(fetched_at) = DateTime::parse_from_rfc3339(&fetched_at).map(|t| t.with_timezone(&Utc)) else {
            return Ok(None);
        };
        if now - fetched_at > self.max_age {
            return Ok(None);
        }
        let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(nonce.as_slice()) else { return Ok(None) };
        let Ok(plain) =
            self.key.open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(nhs.as_bytes()), &mut sealed)
        else {
            return Ok(None);
        };
        let Ok(copy) = codec::decode_value::<Document>(plain) else { return Ok(None) };
        let (Ok(record), Ok(clinicians)) =
            (codec::decode(&copy.record), codec::decode_value::<Vec<Clinician>>(&copy.clinicians))
        else {
            return Ok(None);
        };
        // Belt and braces: the document itself must be this patient's.
        if record.patient.nhs_number != nhs_number {
            return Ok(None);
        }
        Ok(Some(LastGood { record, clinicians, caveats: copy.caveats, fetched_at }))
    }

    /// How many copies are kept.
    pub fn len(&self) -> Result<usize, CacheError> {
        let connection = self.connection.lock().map_err(|_| CacheError::Database("poisoned".into()))?;
        let count: i64 =
            connection.query_row("SELECT count(*) FROM lastgood_record", [], |row| row.get(0)).map_err(sql)?;
        Ok(usize::try_from(count).unwrap_or(0))
    }

    /// Whether no copy is kept.
    pub fn is_empty(&self) -> Result<bool, CacheError> {
        Ok(self.len()? == 0)
    }
}

/// Drops copies fetched before `oldest` and the oldest beyond `max_entries`.
fn evict(connection: &Connection, oldest: DateTime<Utc>, max_entries: usize) -> Result<(), CacheError> {
    connection.execute("DELETE FROM lastgood_record WHERE fetched_at < ?1", params![time_text(oldest)]).map_err(sql)?;
    let keep = i64::try_from(max_entries).unwrap_or(i64::MAX);
    connection
        .execute(
            "DELETE FROM lastgood_record WHERE nhs_number IN (
                 SELECT nhs_number FROM lastgood_record ORDER BY fetched_at DESC LIMIT -1 OFFSET ?1)",
            params![keep],
        )
        .map_err(sql)?;
    Ok(())
}

/// One fixed-width UTC spelling, so text order is time order.
fn time_text(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Loads the cache key from `dir/lastgood.key` (32 random bytes, hex), creating it
/// (mode 0600) on first use.
///
/// Created atomically, as the token issuer's and audit checkpoint keys are: written and
/// synced beside the final name, then linked into place. A crash never leaves a half
/// key that stops the next start, and when two processes start together the first key
/// linked stands and both use it (a second key would make the other's copies
/// unreadable).
pub fn load_or_create_key(dir: &Path) -> Result<[u8; KEY_LEN], CacheError> {
    let path = dir.join("lastgood.key");
    let io = |error: std::io::Error| CacheError::Key(format!("{}: {error}", path.display()));
    if !path.exists() {
        std::fs::create_dir_all(dir).map_err(io)?;
        let mut key = [0u8; KEY_LEN];
        aws_lc_rs::rand::fill(&mut key).map_err(|_| CacheError::Key("no secure random source".into()))?;
        let mut nonce = [0u8; 8];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| CacheError::Key("no secure random source".into()))?;
        let temporary = dir.join(format!("lastgood.key.{}.tmp", hex(&nonce)));
        if let Err(error) = write_private(&temporary, &hex(&key)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(io(error));
        }
        let linked = std::fs::hard_link(&temporary, &path);
        let _ = std::fs::remove_file(&temporary);
        match linked {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(io(error)),
        }
    }
    let text = std::fs::read_to_string(&path).map_err(io)?;
    let bytes: Vec<u8> = (0..text.trim().len())
        .step_by(2)
        .filter_map(|i| text.trim().get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect();
    <[u8; KEY_LEN]>::try_from(bytes.as_slice())
        .map_err(|_| CacheError::Key(format!("{} is not 64 hex digits", path.display())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use openmig_domain::fixtures;

    use super::*;

    fn clinicians() -> Vec<Clinician> {
        fixtures::example_clinicians()
    }

    fn at(hours: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z").unwrap().with_timezone(&Utc) + Duration::hours(hours)
    }

    fn cache(dir: &Path, max_entries: usize) -> LastGoodCache {
        LastGoodCache::open(&dir.join("gateway.db"), &[7; KEY_LEN], max_entries, Duration::hours(24)).unwrap()
    }

    #[test]
    fn a_copy_comes_back_with_its_date_and_caveats_until_it_is_too_old() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), 10);
        let record = fixtures::example_record();
        let caveats = Caveats {
            warnings: vec!["Medications: items withheld.".into()],
            withheld: [openmig_fhir::Section::Medications].into(),
        };
        cache.put(&record, &clinicians(), &caveats, at(0)).unwrap();
        let copy = cache.get(record.patient.nhs_number, at(3)).unwrap().unwrap();
        assert_eq!(copy.record, record);
        assert_eq!(copy.caveats, caveats, "what the practice said comes back with its record");
        assert_eq!(copy.fetched_at, at(0));
        assert!(cache.get(record.patient.nhs_number, at(25)).unwrap().is_none(), "past the maximum age");
    }

    #[test]
    fn it_is_encrypted_at_rest_and_bound_to_its_patient() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), 10);
        let record = fixtures::example_record();
        let other = fixtures::example_record_with_no_known_allergies();
        cache.put(&record, &clinicians(), &Caveats::default(), at(0)).unwrap();
        cache.put(&other, &clinicians(), &Caveats::default(), at(0)).unwrap();
        let raw = std::fs::read(dir.path().join("gateway.db")).unwrap();
        let wal = std::fs::read(dir.path().join("gateway.db-wal")).unwrap_or_default();
        for bytes in [&raw, &wal] {
            assert!(!bytes.windows(7).any(|w| w == b"Hebburn"), "the family name is not stored in clear");
            assert!(!bytes.windows(8).any(|w| w == b"Apixaban"), "clinical content is not stored in clear");
        }
        // An attacker moves one patient's sealed copy onto another patient's row.
        let connection = Connection::open(dir.path().join("gateway.db")).unwrap();
        connection
            .execute(
                "UPDATE lastgood_record SET (nonce, sealed) =
                 (SELECT nonce, sealed FROM lastgood_record WHERE nhs_number = ?1) WHERE nhs_number = ?2",
                params![record.patient.nhs_number.to_string(), other.patient.nhs_number.to_string()],
            )
            .unwrap();
        assert!(cache.get(other.patient.nhs_number, at(1)).unwrap().is_none(), "never another patient's record");
        let wrong_key =
            LastGoodCache::open(&dir.path().join("gateway.db"), &[8; KEY_LEN], 10, Duration::hours(24)).unwrap();
        assert!(wrong_key.get(record.patient.nhs_number, at(1)).unwrap().is_none());
    }

    #[test]
    fn the_cache_is_bounded_and_an_older_fetch_never_replaces_a_newer_one() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache(dir.path(), 2);
        let records = [
            fixtures::example_record(),
            fixtures::example_record_with_no_known_allergies(),
            fixtures::dissenting_record(),
        ];
        for (hour, record) in records.iter().enumerate() {
            cache.put(record, &clinicians(), &Caveats::default(), at(hour as i64)).unwrap();
        }
        assert_eq!(cache.len().unwrap(), 2);
        assert!(cache.get(records[0].patient.nhs_number, at(3)).unwrap().is_none(), "the oldest went first");
        let mut older = records[2].clone();
        older.medications.clear();
        cache.put(&older, &clinicians(), &Caveats::default(), at(0)).unwrap();
        assert_eq!(cache.get(records[2].patient.nhs_number, at(3)).unwrap().unwrap().record, records[2]);
    }

    #[test]
    fn processes_starting_together_share_one_key() {
        for _ in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let keys: Vec<[u8; KEY_LEN]> = std::thread::scope(|scope| {
                let starts: Vec<_> = (0..4).map(|_| scope.spawn(|| load_or_create_key(dir.path()).unwrap())).collect();
                starts.into_iter().map(|start| start.join().unwrap()).collect()
            });
            assert!(keys.windows(2).all(|pair| pair[0] == pair[1]), "one key for all");
            let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(left, ["lastgood.key"], "no temporary file is left behind");
        }
    }

    #[test]
    fn the_key_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_key(dir.path()).unwrap();
        assert_eq!(load_or_create_key(dir.path()).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("lastgood.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0);
        }
    }
}
