//! Creating and opening database files without harming anyone else's.
//!
//! A user can point `--database` at any file. Before SQLite touches an existing file we
//! read its header ourselves: a file that is not SQLite, or is another application's
//! SQLite database (its `application_id` is not ours), is refused with
//! [`StoreError::Foreign`] and is never opened, so not a byte of it (nor a `-wal` or
//! `-shm` beside it) can change. Only then is the file opened, its identity confirmed
//! through SQLite, its schema version checked, and the connection configured.

use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::path::Path;
use std::time::Duration;

use openmig_sqlite_file::{FileError, Found};
use openmig_store::StoreError;
use rusqlite::{Connection, OpenFlags};

use crate::error::sql_error;
use crate::schema::{self, APPLICATION_ID, SCHEMA_VERSION};

/// How long a statement waits for another process's lock before giving up: long enough
/// for a concurrent writer's batch to commit, short enough to report a stuck lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Prepared statements kept per connection; the store uses about a dozen.
const STATEMENT_CACHE: usize = 32;

/// Creates a new database file at `path` and brings it to the current schema.
///
/// The file is created with `create_new`, so an existing file (or one another process
/// creates at the same moment) is never overwritten. If setting up the schema fails, the
/// half-made file is removed.
pub fn create(path: &Path) -> Result<Connection, StoreError> {
    OpenOptions::new().write(true).create_new(true).open(path).map_err(|e| match e.kind() {
        ErrorKind::AlreadyExists => {
            StoreError::Backend(format!("{} already exists; refusing to create a database over it", path.display()))
        }
        _ => StoreError::Backend(format!("cannot create {}: {e}", path.display())),
    })?;
    let made = Connection::open_with_flags(path, read_write_flags()).map_err(sql_error).and_then(|mut conn| {
        // Build the schema while still in rollback-journal mode, so the header (with our
        // application id) is in the main file before WAL is switched on. A later open
        // can then recognise the file from its first 100 bytes even if a crash left
        // changes in the WAL.
        schema::migrate(&mut conn)?;
        configure(&conn, false)?;
        Ok(conn)
    });
    if made.is_err() {
        remove_with_side_files(path);
    }
    made
}

/// Opens an existing openmig database, read-write (migrating an older schema) or
/// read-only (refusing a schema that would need migrating).
pub fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    check_header(path)?;
    let flags =
        if read_only { OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX } else { read_write_flags() };
    let mut conn = Connection::open_with_flags(path, flags).map_err(sql_error)?;
    // The header said "ours"; confirm through SQLite before changing anything.
    let id = schema::application_id(&conn)?;
    if id != APPLICATION_ID {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    let found = schema::user_version(&conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
    }
    if found < SCHEMA_VERSION {
        if read_only {
            return Err(StoreError::Backend(format!(
                "{} has schema version {found} and needs upgrading to {SCHEMA_VERSION}; open it for writing once",
                path.display()
            )));
        }
        schema::migrate(&mut conn)?;
    }
    configure(&conn, read_only)?;
    Ok(conn)
}

/// Reads the header and refuses anything that is not an openmig record store. The reading
/// is `openmig-sqlite-file`'s, shared with the audit log and the inbox; only a store file
/// ("OMIG") is accepted here, and a missing or empty file is worded as the store's own.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let found = openmig_sqlite_file::inspect(path, &[APPLICATION_ID]).map_err(|e| match e {
        FileError::Foreign { path, why } => StoreError::Foreign { path, why },
        other => StoreError::Backend(other.to_string()),
    })?;
    match found {
        Found::Nothing => Err(StoreError::NotFound(path.display().to_string())),
        Found::Empty => Err(foreign(path, "the file is empty")),
        Found::Ours => Ok(()),
    }
}

/// Per-connection settings, applied only once the file is known to be ours.
///
/// WAL lets readers carry on while the single writer commits; `synchronous=NORMAL` is
/// the WAL setting that stays consistent after a crash (the last commits may be lost,
/// which a re-run load repairs). Both persist in or apply to this connection only, so a
/// read-only connection needs neither.
fn configure(conn: &Connection, read_only: bool) -> Result<(), StoreError> {
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "foreign_keys", true).map_err(sql_error)?;
    if read_only {
        return Ok(());
    }
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql_error)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!("SQLite would not switch to WAL journal mode (got {mode})")));
    }
    conn.pragma_update(None, "synchronous", "NORMAL").map_err(sql_error)
}

fn read_write_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

fn foreign(path: &Path, why: impl Into<String>) -> StoreError {
    StoreError::Foreign { path: path.display().to_string(), why: why.into() }
}

/// Best-effort clean-up of a database this module created and could not finish.
fn remove_with_side_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}
