//! Opening openmig's SQLite files without harming anyone else's.
//!
//! A user can point openmig at any file, and several parts of openmig keep their tables in
//! the same file (the record store's, beside it the audit log and the practice inbox), or
//! in a file of their own. Each kind of file is marked by its SQLite `application_id`:
//! [`STORE_APPLICATION_ID`] ("OMIG", a practice's clinical store),
//! [`DIRECTORY_APPLICATION_ID`] ("OMDR", the directory the gateway reads),
//! [`AUDIT_APPLICATION_ID`] ("OMAU") and [`INBOX_APPLICATION_ID`] ("OMIB").
//!
//! This crate owns:
//!
//! - [`inspect`], which reads a file's header itself, before SQLite touches the file, so a
//!   file that is not SQLite or is another application's database is refused
//!   ([`FileError::Foreign`]) with not a byte of it (nor a `-wal`, `-shm` or `-journal`
//!   beside it) changed. The store's `open.rs` and [`open_for_writing`] /
//!   [`open_read_only`] all start here, so the check is written once.
//! - [`open_for_writing`] and [`open_read_only`] for a part of openmig that keeps its own
//!   tables with their own format number in a `*_meta` table ([`Tables`]): the audit log
//!   and the inbox. Writing means WAL and `synchronous=FULL`: both record things another
//!   party relies on having been kept.
//!
//! It must never touch another part's tables, the store's `user_version` or the
//! `application_id` of a file that already has one. Errors are this crate's own
//! ([`FileError`]); each caller maps them into its error type and its own wording.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

/// `application_id` of an openmig record store: "OMIG".
pub const STORE_APPLICATION_ID: i32 = 0x4F4D_4947;
/// `application_id` of a file holding only an audit log: "OMAU".
pub const AUDIT_APPLICATION_ID: i32 = 0x4F4D_4155;
/// `application_id` of a file holding only a practice inbox: "OMIB".
pub const INBOX_APPLICATION_ID: i32 = 0x4F4D_4942;
/// `application_id` of a directory file (patients' demographics and registration, the
/// practices and their endpoints; nothing clinical), where the gateway also keeps its
/// own state: "OMDR".
pub const DIRECTORY_APPLICATION_ID: i32 = 0x4F4D_4452;

/// Every SQLite 3 database file starts with these 16 bytes.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The database header is the first 100 bytes; `application_id` is the big-endian
/// 32-bit integer at offset 68.
const HEADER_LEN: usize = 100;
const APPLICATION_ID_OFFSET: usize = 68;
/// How long to wait for another connection's write lock (the audit writer, a store load,
/// `openmig inbox ack` in another process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a file could not be opened. The variants are the ones callers word or handle
/// differently; messages name files and tables, never a value from a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The path names no file (`:memory:` or empty): the tables must be durable.
    #[error("a database file is needed")]
    NeedsAFile,
    /// The file does not exist and the caller asked not to create it.
    #[error("{0} does not exist")]
    Missing(String),
    /// Reading, creating or configuring the file failed (the message says which).
    #[error("{0}")]
    Database(String),
    /// The file is not one openmig may touch.
    #[error("{path} is not an openmig database ({why}); refusing to touch it")]
    Foreign {
        /// The file.
        path: String,
        /// What was found instead.
        why: String,
    },
    /// The tables exist but their format number is missing or not a number.
    #[error("{0}")]
    BadFormat(String),
    /// The tables were written by a newer openmig.
    #[error("format {found} is newer than this openmig reads ({supported})")]
    TooNew {
        /// The format found.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
}

/// What the header says about a path that [`inspect`] did not refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// No file at the path.
    Nothing,
    /// A file of zero bytes: nobody has written to it, so it may be made ours.
    Empty,
    /// A SQLite database whose header carries one of the accepted application ids.
    Ours,
}

/// A caller's own tables in a shared file: how to recognise, create and version them.
#[derive(Debug, Clone, Copy)]
pub struct Tables {
    /// Names the tables in messages: "audit", "inbox".
    pub name: &'static str,
    /// What a file this caller creates (or finds empty) is marked with.
    pub application_id: i32,
    /// The kinds of openmig file these tables may live in.
    pub accepted: &'static [i32],
    /// The `key`/`value` table holding the `format` row, created by `schema`.
    pub meta_table: &'static str,
    /// A table whose presence means the tables exist (for read-only opening).
    pub main_table: &'static str,
    /// Idempotent SQL creating every table, index and trigger.
    pub schema: &'static str,
    /// The format this build writes and the newest it reads.
    pub format: u32,
}

/// Reads the header ourselves and refuses anything that is not an openmig SQLite file
/// whose `application_id` is in `accepted`. SQLite never sees a refused file.
pub fn inspect(path: &Path, accepted: &[i32]) -> Result<Found, FileError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(FileError::Database(format!("cannot read {}: {e}", path.display()))),
    };
    if !metadata.is_file() {
        return Err(foreign(path, "it is not a regular file"));
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    File::open(path)
        .and_then(|file| file.take(HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|e| FileError::Database(format!("cannot read {}: {e}", path.display())))?;
    if header.is_empty() {
        return Ok(Found::Empty);
    }
    if !header.starts_with(SQLITE_MAGIC) {
        return Err(foreign(path, "it is not a SQLite database"));
    }
    let Some(id) = header.get(APPLICATION_ID_OFFSET..APPLICATION_ID_OFFSET + 4) else {
        return Err(foreign(path, "it is too short to be a SQLite database"));
    };
    let id = i32::from_be_bytes([id[0], id[1], id[2], id[3]]);
    if !accepted.contains(&id) {
        return Err(foreign(
            path,
            format!("it is a SQLite database of another application (application id {id:#010x})"),
        ));
    }
    Ok(Found::Ours)
}

/// Opens the database for reading and writing: `tables` exist afterwards, the journal is
/// WAL and every commit is synced (`synchronous=FULL`: in WAL mode, NORMAL may lose the
/// last commits on power loss, and what these tables record was relied on by someone).
/// A missing file is created only when `create` is set; an empty one is made ours.
pub fn open_for_writing(path: &Path, tables: &Tables, create: bool) -> Result<Connection, FileError> {
    if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
        return Err(FileError::NeedsAFile);
    }
    let fresh = match inspect(path, tables.accepted)? {
        Found::Nothing if !create => return Err(FileError::Missing(path.display().to_string())),
        Found::Nothing => match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => true,
            // Another process created it a moment ago: judge it like any existing file.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                matches!(inspect(path, tables.accepted)?, Found::Empty)
            }
            Err(e) => return Err(FileError::Database(format!("cannot create {}: {e}", path.display()))),
        },
        Found::Empty => true,
        Found::Ours => false,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    // The tables are made in the file's current journal mode; a new file is still in
    // rollback mode here, so its header (with our application id) reaches the main file
    // before WAL is switched on, as the store does.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let id = application_id(&tx)?;
    if fresh && id == 0 {
        tx.pragma_update(None, "application_id", tables.application_id).map_err(sql)?;
    } else if !tables.accepted.contains(&id) {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    tx.execute_batch(tables.schema).map_err(sql)?;
    tx.execute(
        &format!("INSERT INTO {} (key, value) VALUES ('format', ?1) ON CONFLICT DO NOTHING", tables.meta_table),
        [tables.format.to_string()],
    )
    .map_err(sql)?;
    check_format(&tx, tables)?;
    tx.commit().map_err(sql)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(FileError::Database(format!("SQLite would not switch to WAL journal mode (got {mode})")));
    }
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    Ok(conn)
}

/// Opens the database read-only, changing nothing. `Ok(None)` when the file is openmig's
/// but does not hold `tables` (an empty file included): each caller words that itself.
pub fn open_read_only(path: &Path, tables: &Tables) -> Result<Option<Connection>, FileError> {
    match inspect(path, tables.accepted)? {
        Found::Nothing => return Err(FileError::Missing(path.display().to_string())),
        Found::Empty => return Ok(None),
        Found::Ours => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    let id = application_id(&conn)?;
    if !tables.accepted.contains(&id) {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    let present: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", [tables.main_table], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    if present == 0 {
        return Ok(None);
    }
    check_format(&conn, tables)?;
    Ok(Some(conn))
}

/// The file's `application_id` as SQLite reads it (the header check's confirmation).
pub fn application_id(conn: &Connection) -> Result<i32, FileError> {
    conn.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(sql)
}

/// Refuses tables written by a newer openmig, and tables whose format is not recorded.
fn check_format(conn: &Connection, tables: &Tables) -> Result<(), FileError> {
    let found: Option<String> = conn
        .query_row(&format!("SELECT value FROM {} WHERE key = 'format'", tables.meta_table), [], |r| r.get(0))
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
        .map_err(sql)?;
    let Tables { name, meta_table, format: supported, .. } = *tables;
    let found = match found {
        None => return Err(FileError::BadFormat(format!("the {name} format is not recorded in {meta_table}"))),
        Some(text) => {
            text.parse::<u32>().map_err(|_| FileError::BadFormat(format!("the {name} format is not a number")))?
        }
    };
    if found > supported {
        return Err(FileError::TooNew { found, supported });
    }
    Ok(())
}

/// SQLite's messages name tables and columns, never the values bound to a statement, so
/// they carry no patient data.
fn sql(error: rusqlite::Error) -> FileError {
    FileError::Database(error.to_string())
}

fn foreign(path: &Path, why: impl Into<String>) -> FileError {
    FileError::Foreign { path: path.display().to_string(), why: why.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST: Tables = Tables {
        name: "test",
        application_id: AUDIT_APPLICATION_ID,
        accepted: &[STORE_APPLICATION_ID, AUDIT_APPLICATION_ID],
        meta_table: "test_meta",
        main_table: "test_row",
        schema: "CREATE TABLE IF NOT EXISTS test_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
                 CREATE TABLE IF NOT EXISTS test_row (x INTEGER) STRICT;",
        format: 1,
    };

    #[test]
    fn the_application_ids_spell_omig_omau_omib_and_omdr() {
        assert_eq!(&STORE_APPLICATION_ID.to_be_bytes(), b"OMIG");
        assert_eq!(&AUDIT_APPLICATION_ID.to_be_bytes(), b"OMAU");
        assert_eq!(&INBOX_APPLICATION_ID.to_be_bytes(), b"OMIB");
        assert_eq!(&DIRECTORY_APPLICATION_ID.to_be_bytes(), b"OMDR");
    }

    #[test]
    fn inspect_tells_nothing_empty_and_ours_apart_and_refuses_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        assert_eq!(inspect(&path, TEST.accepted).unwrap(), Found::Nothing);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(inspect(&path, TEST.accepted).unwrap(), Found::Empty);
        drop(open_for_writing(&path, &TEST, false).unwrap());
        assert_eq!(inspect(&path, TEST.accepted).unwrap(), Found::Ours);
        assert!(matches!(inspect(&path, &[INBOX_APPLICATION_ID]), Err(FileError::Foreign { .. })));
        assert!(matches!(inspect(dir.path(), TEST.accepted), Err(FileError::Foreign { .. })));
    }

    #[test]
    fn a_foreign_file_is_refused_byte_for_byte_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"not a database").unwrap();
        assert!(matches!(open_for_writing(&text, &TEST, true), Err(FileError::Foreign { .. })));
        assert!(matches!(open_read_only(&text, &TEST), Err(FileError::Foreign { .. })));
        assert_eq!(std::fs::read(&text).unwrap(), b"not a database");

        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;").unwrap();
        let before = std::fs::read(&other).unwrap();
        assert!(matches!(open_for_writing(&other, &TEST, true), Err(FileError::Foreign { .. })));
        assert!(matches!(open_read_only(&other, &TEST), Err(FileError::Foreign { .. })));
        assert_eq!(std::fs::read(&other).unwrap(), before);
        for side in ["-wal", "-shm", "-journal"] {
            assert!(!dir.path().join(format!("other.db{side}")).exists());
        }
    }

    #[test]
    fn a_missing_file_is_created_only_when_asked_and_read_only_never_creates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.db");
        assert!(matches!(open_for_writing(&path, &TEST, false), Err(FileError::Missing(_))));
        assert!(matches!(open_read_only(&path, &TEST), Err(FileError::Missing(_))));
        assert!(!path.exists());
        assert!(matches!(open_for_writing(Path::new(":memory:"), &TEST, true), Err(FileError::NeedsAFile)));
        let conn = open_for_writing(&path, &TEST, true).unwrap();
        assert_eq!(application_id(&conn).unwrap(), AUDIT_APPLICATION_ID);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "FULL");
        drop(conn);
        assert!(open_read_only(&path, &TEST).unwrap().is_some());
    }

    #[test]
    fn an_openmig_file_without_the_tables_opens_read_only_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        Connection::open(&path)
            .unwrap()
            .execute_batch(&format!("CREATE TABLE t (x); PRAGMA application_id = {STORE_APPLICATION_ID};"))
            .unwrap();
        assert!(open_read_only(&path, &TEST).unwrap().is_none());
    }

    #[test]
    fn a_newer_or_unrecorded_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.db");
        let conn = open_for_writing(&path, &TEST, true).unwrap();
        conn.execute_batch("UPDATE test_meta SET value = '2' WHERE key = 'format';").unwrap();
        drop(conn);
        assert_eq!(open_for_writing(&path, &TEST, true).unwrap_err(), FileError::TooNew { found: 2, supported: 1 });
        assert!(matches!(open_read_only(&path, &TEST), Err(FileError::TooNew { .. })));
        Connection::open(&path).unwrap().execute_batch("DELETE FROM test_meta;").unwrap();
        let err = open_read_only(&path, &TEST).unwrap_err();
        assert_eq!(err, FileError::BadFormat("the test format is not recorded in test_meta".into()));
    }
}
