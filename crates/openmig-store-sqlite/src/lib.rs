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
use std::sync::{Mutex, MutexGuard};

use openmig_store::StoreError;
use rusqlite::Connection;

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
    /// On, SQLite stops syncing to disk on every commit (`synchronous=OFF`) and keeps a
    /// larger page cache, which makes loading millions of records several times faster.
    /// A crash during the load can then lose or damage the file, which is acceptable only
    /// because a load into a fresh file is simply re-run. Switch it off (back to
    /// `synchronous=NORMAL`) before the file is handed over, then [`checkpoint`].
    ///
    /// [`checkpoint`]: SqliteStore::checkpoint
    pub fn set_bulk_load(&self, on: bool) -> Result<(), StoreError> {
        let conn = self.writer()?;
        let (synchronous, cache_kib) = if on { ("OFF", BULK_CACHE_KIB) } else { ("NORMAL", DEFAULT_CACHE_KIB) };
        conn.pragma_update(None, "synchronous", synchronous).map_err(sql_error)?;
        if on { if let Ok(v) = std::env::var("OMJM") { let m: String = conn.pragma_update_and_check(None, "journal_mode", v, |r| r.get(0)).unwrap(); eprintln!("jm {m}"); } }
        if !on { if std::env::var("OMJM").is_ok() { let m: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0)).unwrap(); eprintln!("jm {m}"); } }
        if let Ok(v) = std::env::var("OMAC") { conn.pragma_update(None, "wal_autocheckpoint", v.parse::<i64>().unwrap()).unwrap(); }
        if let Ok(v) = std::env::var("OMMMAP") { conn.pragma_update(None, "mmap_size", v.parse::<i64>().unwrap()).unwrap(); }
        // A negative cache_size is a size in KiB rather than a number of pages.
        conn.pragma_update(None, "cache_size", -cache_kib).map_err(sql_error)
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
        SqliteStore { conn: Mutex::new(conn), path: path.to_path_buf(), read_only }
    }

    /// The connection, for reading.
    fn connection(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
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
/// in memory while records arrive in random key order.
const BULK_CACHE_KIB: i64 = 256 * 1024;
/// SQLite's default page cache (2 MiB), restored after a bulk load.
const DEFAULT_CACHE_KIB: i64 = 2 * 1024;

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.path).field("read_only", &self.read_only).finish()
    }
}
