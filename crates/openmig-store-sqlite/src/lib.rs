//! The SQLite backend of the openmig store: a whole synthetic region in one file.
//!
//! This crate owns the SQLite schema and its migrations, the checks that make opening a
//! file safe, and the SQL behind every [`Store`] method. Patient records and practices
//! are stored as the shared codec documents of `openmig_store::codec`, next to the few
//! columns that are queried (practice, trait bits), so a region can move to another
//! backend byte for byte and [`Store::content_hash`] agrees across backends.
//!
//! Architecture invariants: this crate never modifies a file it did not create or
//! recognise as an openmig database (foreign files are refused before SQLite opens
//! them); it never interprets clinical content (traits are computed by the domain when
//! records are prepared); and its error messages never contain patient data.
//!
//! ```no_run
//! use openmig_store::Store;
//! use openmig_store_sqlite::SqliteStore;
//!
//! # fn main() -> Result<(), openmig_store::StoreError> {
//! let store = SqliteStore::open_read_only(std::path::Path::new("region.db"))?;
//! println!("{} patients", store.counts()?.patients);
//! # Ok(())
//! # }
//! ```
//!
//! [`Store`]: openmig_store::Store
//! [`Store::content_hash`]: openmig_store::Store::content_hash

mod error;
mod open;
mod schema;
mod store;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use openmig_store::StoreError;
use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use schema::{APPLICATION_ID, SCHEMA_VERSION};

use crate::error::sql_error;

/// A region stored in one SQLite file.
///
/// The connection sits behind a [`Mutex`]: SQLite allows one writer at a time anyway,
/// and the loads and CLI commands this serves are sequential. A server that needs
/// concurrent readers can open a pool of read-only connections later (WAL mode lets
/// them read while the writer commits) without changing the [`Store`] interface.
///
/// [`Store`]: openmig_store::Store
pub struct SqliteStore {
    conn: Mutex<Connection>,
    path: PathBuf,
    read_only: bool,
    /// Bulk-load mode is on: the connection keeps no journal.
    bulk_load: AtomicBool,
    /// A write failed while there was no journal to roll it back: the file is suspect.
    failed_in_bulk_load: AtomicBool,
}

impl SqliteStore {
    /// Creates a new, empty database at `path` with the current schema.
    ///
    /// Refuses (with [`StoreError::Backend`]) when anything already exists at `path`:
    /// creating never overwrites a file, openmig's or anyone else's.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        let conn = open::create(path)?;
        Ok(SqliteStore::new(conn, path, false))
    }

    /// Opens an existing openmig database for reading and writing, upgrading an older
    /// schema.
    ///
    /// Errors: [`StoreError::NotFound`] when nothing is at `path`;
    /// [`StoreError::Foreign`] for a file that is not an openmig database (it is left
    /// byte for byte unchanged); [`StoreError::TooNew`] when a newer openmig wrote it;
    /// [`StoreError::Corrupt`] when SQLite finds it damaged.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = open::open(path, false)?;
        Ok(SqliteStore::new(conn, path, false))
    }

    /// Opens an existing openmig database for inspection only, with the same checks as
    /// [`SqliteStore::open`]. Every write through this store fails. A file whose schema
    /// is older than this build's is refused rather than upgraded.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let conn = open::open(path, true)?;
        Ok(SqliteStore::new(conn, path, true))
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Switches bulk-load mode on or off.
    ///
    /// Meant for filling a fresh file that is thrown away if the load fails, as
    /// `openmig generate` does. On, SQLite neither syncs to disk (`synchronous=OFF`) nor
    /// keeps any journal (`journal_mode=OFF`), and it keeps a larger page cache. Records
    /// arrive in random NHS-number order, so every batch touches pages all over the file;
    /// without the write-ahead log each page is written once instead of twice, which
    /// measured a quarter faster at a million patients.
    ///
    /// The price: without a journal, a crash or a failed write can leave the file
    /// damaged. After any failed write in bulk mode this store refuses all further use
    /// ([`StoreError::Corrupt`]), so a half-written file is never mistaken for a good
    /// one. Off restores WAL and `synchronous=NORMAL`; then call [`checkpoint`].
    ///
    /// [`checkpoint`]: SqliteStore::checkpoint
    pub fn set_bulk_load(&self, on: bool) -> Result<(), StoreError> {
        let conn = self.writer()?;
        let (journal, synchronous, cache_kib) =
            if on { ("OFF", "OFF", BULK_CACHE_KIB) } else { ("WAL", "NORMAL", DEFAULT_CACHE_KIB) };
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", journal, |row| row.get(0)).map_err(sql_error)?;
        if !mode.eq_ignore_ascii_case(journal) {
            return Err(StoreError::Backend(format!("SQLite would not switch to journal mode {journal} (got {mode})")));
        }
        conn.pragma_update(None, "synchronous", synchronous).map_err(sql_error)?;
        // A negative cache_size is a size in KiB rather than a number of pages.
        conn.pragma_update(None, "cache_size", -cache_kib).map_err(sql_error)?;
        self.bulk_load.store(on, Ordering::SeqCst);
        Ok(())
    }

    /// Lets SQLite refresh its query-planner statistics, then moves everything in the
    /// write-ahead log into the main file and truncates the log.
    ///
    /// Call it after a load, so the first queries are planned well and the main file is
    /// complete on its own (safe to copy or rename). The statistics come first because
    /// `PRAGMA optimize` may write them, and they must land before the log is emptied.
    /// Fails if another connection's reader prevents the checkpoint from completing.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        let conn = self.writer()?;
        conn.execute_batch("PRAGMA optimize").map_err(sql_error)?;
        let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get(0)).map_err(sql_error)?;
        if busy != 0 {
            return Err(StoreError::Backend(
                "the write-ahead log could not be checkpointed: another connection is using the database".into(),
            ));
        }
        Ok(())
    }

    /// Runs SQLite's full integrity check, reporting [`StoreError::Corrupt`] with
    /// SQLite's first complaint when the file is damaged.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let conn = self.connection()?;
        let verdict: String = conn.query_row("PRAGMA integrity_check(1)", [], |row| row.get(0)).map_err(sql_error)?;
        if verdict == "ok" { Ok(()) } else { Err(StoreError::Corrupt(verdict)) }
    }

    fn new(conn: Connection, path: &Path, read_only: bool) -> Self {
        SqliteStore {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            read_only,
            bulk_load: AtomicBool::new(false),
            failed_in_bulk_load: AtomicBool::new(false),
        }
    }

    /// Runs `work` in one immediate transaction (the write lock is taken up front, so
    /// two writers queue instead of deadlocking on a lock upgrade) and commits it.
    fn write<T>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.writer()?;
        let result = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error).and_then(|tx| {
            let value = work(&tx)?;
            tx.commit().map_err(sql_error)?;
            Ok(value)
        });
        if result.is_err() && self.bulk_load.load(Ordering::SeqCst) {
            // Without a journal the rollback cannot restore the pages already written.
            self.failed_in_bulk_load.store(true, Ordering::SeqCst);
        }
        result
    }

    /// The connection, for reading.
    fn connection(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        if self.failed_in_bulk_load.load(Ordering::SeqCst) {
            return Err(StoreError::Corrupt(
                "a write failed during a bulk load, so the file may be incomplete; discard it and load again".into(),
            ));
        }
        // A panic while holding the lock leaves no half-done write behind (an open
        // transaction rolls back when dropped), but refusing further use is the honest
        // answer after an unexpected panic.
        self.conn.lock().map_err(|_| StoreError::Backend("the database connection was poisoned by a panic".into()))
    }

    /// The connection, for writing: refused up front on a read-only store, with a clearer
    /// message than SQLite's "attempt to write a readonly database".
    fn writer(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        if self.read_only {
            return Err(StoreError::Backend(format!("{} was opened read-only", self.path.display())));
        }
        self.connection()
    }
}

/// Page cache while bulk loading: 256 MiB keeps the NHS-number b-tree's interior pages
/// (and many leaves) in memory while records arrive in random key order.
const BULK_CACHE_KIB: i64 = 256 * 1024;
/// SQLite's default page cache (2 MiB), restored after a bulk load.
const DEFAULT_CACHE_KIB: i64 = 2 * 1024;

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).field("read_only", &self.read_only).finish()
    }
}

#[cfg(test)]
mod tests {
    use openmig_domain::NhsNumber;
    use openmig_domain::fixtures::{self, AS_OF};
    use openmig_store::{PreparedRecord, Store};

    use super::*;

    /// A batch too big for a file capped at a few pages.
    fn hundred_patients() -> Vec<PreparedRecord> {
        let base = PreparedRecord::prepare(&fixtures::example_record(), true, AS_OF);
        (100_000_000..)
            .filter_map(NhsNumber::from_prefix)
            .take(100)
            .map(|nhs_number| PreparedRecord { nhs_number, ..base.clone() })
            .collect()
    }

    #[test]
    fn a_failed_write_during_a_bulk_load_makes_the_store_refuse_further_use() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("full.db")).unwrap();
        store.set_bulk_load(true).unwrap();
        // Cap the file at its current size so the next large batch fails with SQLITE_FULL.
        store.connection().unwrap().execute_batch("PRAGMA max_page_count = 8").unwrap();
        let batch = hundred_patients();
        assert!(store.upsert_records(&batch).is_err());
        assert!(matches!(store.counts(), Err(StoreError::Corrupt(_))));
        assert!(matches!(store.set_bulk_load(false), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_failed_write_outside_bulk_load_rolls_back_and_the_store_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("full.db")).unwrap();
        store.connection().unwrap().execute_batch("PRAGMA max_page_count = 8").unwrap();
        let batch = hundred_patients();
        assert!(store.upsert_records(&batch).is_err());
        assert_eq!(store.counts().unwrap().patients, 0, "the failed batch was not rolled back");
    }

    #[test]
    fn bulk_load_mode_switches_the_journal_off_and_back_to_wal() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::create(&dir.path().join("bulk.db")).unwrap();
        let journal = || -> String {
            store.connection().unwrap().pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap()
        };
        assert_eq!(journal(), "wal");
        store.set_bulk_load(true).unwrap();
        assert_eq!(journal(), "off");
        store.set_bulk_load(false).unwrap();
        assert_eq!(journal(), "wal");
        let synchronous: i64 =
            store.connection().unwrap().pragma_query_value(None, "synchronous", |row| row.get(0)).unwrap();
        assert_eq!(synchronous, 1, "NORMAL");
    }
}
