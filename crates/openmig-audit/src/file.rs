//! Opening the database file without harming anyone else's, and the audit tables.
//!
//! The audit may live in the record store's own file (application id "OMIG") or in a
//! file of its own, which it creates and marks "OMAU" so that neither the store nor the
//! audit mistakes one for the other. Like the store (`openmig-store-sqlite/src/open.rs`),
//! the file header is read before SQLite touches an existing file: any other SQLite
//! database or any other file is refused unchanged. The store's tables, its
//! `user_version` and its `application_id` are never touched; the audit keeps its own
//! format number in `audit_meta`.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{AuditError, sql};

/// `application_id` of an openmig record store: "OMIG".
pub(crate) const STORE_APPLICATION_ID: i32 = 0x4F4D_4947;
/// `application_id` of a file holding only an audit log: "OMAU".
pub(crate) const AUDIT_APPLICATION_ID: i32 = 0x4F4D_4155;

/// The audit table format this build writes and the newest it reads.
pub(crate) const FORMAT: u32 = 1;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;
const APPLICATION_ID_OFFSET: usize = 68;
/// How long to wait for another connection's write lock (a store load, another writer).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The audit tables, created if absent. Every statement is idempotent.
///
/// `sequence` is the rowid. The triggers make the tables append-only for anyone using
/// SQL (security.md: "the application may insert and read the audit table but not update
/// or delete"), and refuse an insert that is not exactly the next sequence number, so a
/// gap or a duplicate cannot be written even by a buggy writer.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS audit_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS audit_entry (
    sequence INTEGER PRIMARY KEY,
    time TEXT NOT NULL,
    interaction TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    role TEXT,
    organisation TEXT NOT NULL,
    device TEXT NOT NULL,
    patient TEXT,
    practice TEXT,
    purpose TEXT NOT NULL,
    consent TEXT,
    override_reason TEXT,
    datasets TEXT NOT NULL,
    items_returned INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    error_code TEXT,
    trace_id TEXT NOT NULL,
    hash BLOB NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS audit_entry_by_patient ON audit_entry (patient, time);
CREATE INDEX IF NOT EXISTS audit_entry_by_practice ON audit_entry (practice, time);
CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: entries cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS audit_entry_gapless BEFORE INSERT ON audit_entry
WHEN NEW.sequence IS NOT (SELECT COALESCE(MAX(sequence), 0) + 1 FROM audit_entry)
BEGIN SELECT RAISE(ABORT, 'audit sequence numbers are gapless: only the next number may be inserted'); END;
CREATE TRIGGER IF NOT EXISTS audit_meta_no_update BEFORE UPDATE ON audit_meta
BEGIN SELECT RAISE(ABORT, 'audit metadata cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS audit_meta_no_delete BEFORE DELETE ON audit_meta
BEGIN SELECT RAISE(ABORT, 'audit metadata cannot be deleted'); END;
";

/// What the header says about a path.
enum Found {
    Nothing,
    Empty,
    Ours,
}

/// Opens (creating if needed) the database for the audit writer: the audit tables exist
/// afterwards, the journal is WAL and every commit is synced (`synchronous=FULL`).
pub(crate) fn open_for_writing(path: &Path) -> Result<Connection, AuditError> {
    if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
        return Err(AuditError::Database("the audit log needs a database file".into()));
    }
    let fresh = match inspect(path)? {
        Found::Nothing => match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => true,
            // Another process created it a moment ago: judge it like any existing file.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => matches!(inspect(path)?, Found::Empty),
            Err(e) => return Err(AuditError::Database(format!("cannot create {}: {e}", path.display()))),
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
        tx.pragma_update(None, "application_id", AUDIT_APPLICATION_ID).map_err(sql)?;
    } else if id != STORE_APPLICATION_ID && id != AUDIT_APPLICATION_ID {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    tx.execute_batch(SCHEMA).map_err(sql)?;
    tx.execute(
        "INSERT INTO audit_meta (key, value) VALUES ('format', ?1) ON CONFLICT DO NOTHING",
        [FORMAT.to_string()],
    )
    .map_err(sql)?;
    check_format(&tx)?;
    tx.commit().map_err(sql)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(AuditError::Database(format!("SQLite would not switch to WAL journal mode (got {mode})")));
    }
    // FULL: in WAL mode, NORMAL may lose the last commits on power loss; an audit entry
    // that the gateway relied on before sending data must survive it.
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    Ok(conn)
}

/// Opens the database read-only for verification and reports. `Ok(None)` when the file is
/// openmig's but has no audit tables.
pub(crate) fn open_read_only(path: &Path) -> Result<Option<Connection>, AuditError> {
    match inspect(path)? {
        Found::Nothing => return Err(AuditError::Database(format!("{} does not exist", path.display()))),
        Found::Empty => return Ok(None),
        Found::Ours => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    let id = application_id(&conn)?;
    if id != STORE_APPLICATION_ID && id != AUDIT_APPLICATION_ID {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit_entry'", [], |r| r.get(0))
        .map_err(sql)?;
    if tables == 0 {
        return Ok(None);
    }
    check_format(&conn)?;
    Ok(Some(conn))
}

fn check_format(conn: &Connection) -> Result<(), AuditError> {
    let found: Option<String> = conn
        .query_row("SELECT value FROM audit_meta WHERE key = 'format'", [], |r| r.get(0))
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
        .map_err(sql)?;
    let found = match found {
        None => return Err(AuditError::Database("the audit format is not recorded in audit_meta".into())),
        Some(text) => {
            text.parse::<u32>().map_err(|_| AuditError::Database("the audit format is not a number".into()))?
        }
    };
    if found > FORMAT {
        return Err(AuditError::TooNew { found, supported: FORMAT });
    }
    Ok(())
}

fn application_id(conn: &Connection) -> Result<i32, AuditError> {
    conn.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(sql)
}

/// Reads the header ourselves: refuses anything that is not an openmig SQLite file.
fn inspect(path: &Path) -> Result<Found, AuditError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(AuditError::Database(format!("cannot read {}: {e}", path.display()))),
    };
    if !metadata.is_file() {
        return Err(foreign(path, "it is not a regular file"));
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    File::open(path)
        .and_then(|file| file.take(HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|e| AuditError::Database(format!("cannot read {}: {e}", path.display())))?;
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
    if id != STORE_APPLICATION_ID && id != AUDIT_APPLICATION_ID {
        return Err(foreign(
            path,
            format!("it is a SQLite database of another application (application id {id:#010x})"),
        ));
    }
    Ok(Found::Ours)
}

fn foreign(path: &Path, why: impl Into<String>) -> AuditError {
    AuditError::Foreign { path: path.display().to_string(), why: why.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_ids_spell_omig_and_omau() {
        assert_eq!(&STORE_APPLICATION_ID.to_be_bytes(), b"OMIG");
        assert_eq!(&AUDIT_APPLICATION_ID.to_be_bytes(), b"OMAU");
    }

    #[test]
    fn a_foreign_file_is_refused_byte_for_byte_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, b"not a database").unwrap();
        assert!(matches!(open_for_writing(&text), Err(AuditError::Foreign { .. })));
        assert_eq!(std::fs::read(&text).unwrap(), b"not a database");

        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;").unwrap();
        let before = std::fs::read(&other).unwrap();
        assert!(matches!(open_for_writing(&other), Err(AuditError::Foreign { .. })));
        assert!(matches!(open_read_only(&other), Err(AuditError::Foreign { .. })));
        assert_eq!(std::fs::read(&other).unwrap(), before);
        for side in ["-wal", "-shm", "-journal"] {
            assert!(!dir.path().join(format!("other.db{side}")).exists());
        }
    }

    #[test]
    fn a_new_file_is_marked_as_an_audit_file_in_wal_mode_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let conn = open_for_writing(&path).unwrap();
        assert_eq!(application_id(&conn).unwrap(), AUDIT_APPLICATION_ID);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "FULL");
        drop(conn);
        // Opening again is harmless, and the header identifies the file.
        drop(open_for_writing(&path).unwrap());
        assert!(open_read_only(&path).unwrap().is_some());
    }

    #[test]
    fn the_triggers_refuse_updates_deletes_and_gaps() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_for_writing(&dir.path().join("audit.db")).unwrap();
        let insert = |sequence: i64| {
            conn.execute(
                "INSERT INTO audit_entry VALUES (?1, 't', 'i', 'u', 'n', NULL, 'o', 'd', NULL, NULL, 'p', NULL, NULL, '', 0, 'refused', NULL, 'x', x'00')",
                [sequence],
            )
        };
        insert(1).unwrap();
        assert!(insert(3).unwrap_err().to_string().contains("gapless"));
        assert!(insert(1).is_err());
        insert(2).unwrap();
        let update = conn.execute("UPDATE audit_entry SET user_id = 'x'", []).unwrap_err();
        assert!(update.to_string().contains("append-only"), "{update}");
        let delete = conn.execute("DELETE FROM audit_entry WHERE sequence = 2", []).unwrap_err();
        assert!(delete.to_string().contains("append-only"), "{delete}");
        let replace = conn.execute(
            "INSERT OR REPLACE INTO audit_entry VALUES (1, 't', 'i', 'u', 'n', NULL, 'o', 'd', NULL, NULL, 'p', NULL, NULL, '', 0, 'refused', NULL, 'x', x'00')",
            [],
        );
        assert!(replace.is_err(), "REPLACE would delete the old entry");
        assert!(conn.execute("UPDATE audit_meta SET value = '0'", []).is_err());
        let count: i64 = conn.query_row("SELECT count(*) FROM audit_entry", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 2);
    }

    #[test]
    fn a_newer_audit_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.db");
        let conn = open_for_writing(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_meta_no_update; UPDATE audit_meta SET value = '2' WHERE key = 'format';",
        )
        .unwrap();
        drop(conn);
        assert!(matches!(open_for_writing(&path), Err(AuditError::TooNew { found: 2, supported: 1 })));
        assert!(matches!(open_read_only(&path), Err(AuditError::TooNew { .. })));
    }
}
