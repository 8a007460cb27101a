//! Opening the database file without harming anyone else's, and the audit tables.
//!
//! The audit may live in the record store's own file (application id "OMIG") or in a
//! file of its own, which it creates and marks "OMAU" so that neither the store nor the
//! audit mistakes one for the other. The file header is read before SQLite touches an
//! existing file, and the file is opened, by `openmig-sqlite-file`, which the inbox shares:
//! any other SQLite database or any other file is refused unchanged. The store's tables,
//! its `user_version` and its `application_id` are never touched; the audit keeps its own
//! format number in `audit_meta`. This module says which tables are the audit's and words
//! the shared crate's errors as [`AuditError`]s.

use std::path::Path;

use openmig_sqlite_file::{AUDIT_APPLICATION_ID, DIRECTORY_APPLICATION_ID, FileError, STORE_APPLICATION_ID, Tables};
use rusqlite::Connection;

use crate::error::AuditError;

/// The audit table format this build writes and the newest it reads.
pub(crate) const FORMAT: u32 = 1;

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

/// The audit's tables: in the store's file or in an audit-only file, never an inbox-only
/// one.
const TABLES: Tables = Tables {
    name: "audit",
    application_id: AUDIT_APPLICATION_ID,
    accepted: &[STORE_APPLICATION_ID, AUDIT_APPLICATION_ID, DIRECTORY_APPLICATION_ID],
    meta_table: "audit_meta",
    main_table: "audit_entry",
    schema: SCHEMA,
    format: FORMAT,
};

/// Opens (creating if needed) the database for the audit writer: the audit tables exist
/// afterwards, the journal is WAL and every commit is synced (`synchronous=FULL`: an audit
/// entry that the gateway relied on before sending data must survive a power loss).
pub(crate) fn open_for_writing(path: &Path) -> Result<Connection, AuditError> {
    openmig_sqlite_file::open_for_writing(path, &TABLES, true).map_err(audit_error)
}

/// Opens the database read-only for verification and reports. `Ok(None)` when the file is
/// openmig's but has no audit tables.
pub(crate) fn open_read_only(path: &Path) -> Result<Option<Connection>, AuditError> {
    openmig_sqlite_file::open_read_only(path, &TABLES).map_err(audit_error)
}

/// Words the shared opener's errors as the audit always has: everything but a foreign
/// file or a newer format is a database error.
fn audit_error(error: FileError) -> AuditError {
    match error {
        FileError::NeedsAFile => AuditError::Database("the audit log needs a database file".into()),
        FileError::Missing(path) => AuditError::Database(format!("{path} does not exist")),
        FileError::Database(why) | FileError::BadFormat(why) => AuditError::Database(why),
        FileError::Foreign { path, why } => AuditError::Foreign { path, why },
        FileError::TooNew { found, supported } => AuditError::TooNew { found, supported },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(openmig_sqlite_file::application_id(&conn).unwrap(), AUDIT_APPLICATION_ID);
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
