//! Opening the database file without harming anyone else's, and the inbox tables.
//!
//! The inbox lives in the record store's own file (application id "OMIG") beside the
//! audit log, in an audit-only file ("OMAU"), or in a file of its own, which it creates
//! and marks "OMIB". As for the store and the audit, the header is read before SQLite
//! touches an existing file, and the file is opened, by `openmig-sqlite-file`: any other
//! SQLite database or any other file is refused unchanged. The store's tables, its
//! `user_version` and its `application_id` are never touched; the inbox keeps its own
//! format number in `inbox_meta`. This module says which tables are the inbox's and words
//! the shared crate's errors as [`InboxError`]s.

use std::path::Path;

use openmig_sqlite_file::{
    AUDIT_APPLICATION_ID, DIRECTORY_APPLICATION_ID, FileError, INBOX_APPLICATION_ID, STORE_APPLICATION_ID, Tables,
};
use rusqlite::Connection;

use crate::error::InboxError;

/// The inbox table format this build writes and the newest it reads.
pub(crate) const FORMAT: u32 = 1;

/// The inbox tables, created if absent. Every statement is idempotent.
///
/// One row per document, its outbox state in the same row (so accepting a document and
/// queueing its delivery are one write). Times are milliseconds since the Unix epoch.
/// The business identifier is unique: the database, not only the code, guarantees one
/// copy per identifier. The triggers keep what was received as received: a document
/// cannot be deleted, its content cannot change, and an acknowledgement once given
/// cannot be changed or withdrawn.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS inbox_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS inbox_document (
    id INTEGER PRIMARY KEY,
    practice TEXT NOT NULL,
    identifier_system TEXT NOT NULL,
    identifier_value TEXT NOT NULL,
    content_hash BLOB NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('Bundle', 'DocumentReference')),
    nhs_number TEXT NOT NULL,
    summary TEXT NOT NULL,
    resource TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    sender_user_id TEXT NOT NULL,
    sender_user_name TEXT NOT NULL,
    sender_organisation TEXT NOT NULL,
    acknowledged_at INTEGER,
    acknowledged_by TEXT,
    delivery_state TEXT NOT NULL CHECK (delivery_state IN ('pending', 'delivered')),
    attempts INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at INTEGER,
    last_error TEXT,
    delivered_at INTEGER,
    UNIQUE (identifier_system, identifier_value),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)),
    CHECK ((delivery_state = 'pending') = (next_attempt_at IS NOT NULL)),
    CHECK ((delivery_state = 'delivered') = (delivered_at IS NOT NULL))
) STRICT;
CREATE INDEX IF NOT EXISTS inbox_document_by_practice ON inbox_document (practice, acknowledged_at, id);
CREATE INDEX IF NOT EXISTS inbox_document_due ON inbox_document (next_attempt_at, id)
    WHERE delivery_state = 'pending';
CREATE TRIGGER IF NOT EXISTS inbox_document_no_delete BEFORE DELETE ON inbox_document
BEGIN SELECT RAISE(ABORT, 'inbox documents cannot be deleted'); END;
CREATE TRIGGER IF NOT EXISTS inbox_document_received_as_received BEFORE UPDATE OF
    id, practice, identifier_system, identifier_value, content_hash, kind, nhs_number, summary, resource,
    received_at, sender_user_id, sender_user_name, sender_organisation ON inbox_document
BEGIN SELECT RAISE(ABORT, 'a received inbox document cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS inbox_document_acknowledged_once BEFORE UPDATE OF acknowledged_at, acknowledged_by
    ON inbox_document WHEN OLD.acknowledged_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'an acknowledgement cannot be changed'); END;
CREATE TRIGGER IF NOT EXISTS inbox_meta_no_update BEFORE UPDATE ON inbox_meta
BEGIN SELECT RAISE(ABORT, 'inbox metadata cannot be changed'); END;
";

/// The inbox's tables: in the store's file, beside an audit log, or in a file of their own.
const TABLES: Tables = Tables {
    name: "inbox",
    application_id: INBOX_APPLICATION_ID,
    accepted: &[STORE_APPLICATION_ID, AUDIT_APPLICATION_ID, INBOX_APPLICATION_ID, DIRECTORY_APPLICATION_ID],
    meta_table: "inbox_meta",
    main_table: "inbox_document",
    schema: SCHEMA,
    format: FORMAT,
};

/// Opens the database for reading and writing: the inbox tables exist afterwards, the
/// journal is WAL and every commit is synced (`synchronous=FULL`: a document the gateway
/// said it accepted must survive a power loss). A missing file is created only when
/// `create` is set.
pub(crate) fn open_for_writing(path: &Path, create: bool) -> Result<Connection, InboxError> {
    openmig_sqlite_file::open_for_writing(path, &TABLES, create).map_err(inbox_error)
}

/// Opens the database read-only for listing. [`InboxError::NoInbox`] when the file is
/// openmig's but has no inbox tables.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, InboxError> {
    openmig_sqlite_file::open_read_only(path, &TABLES)
        .map_err(inbox_error)?
        .ok_or_else(|| InboxError::NoInbox(path.display().to_string()))
}

/// Words the shared opener's errors as the inbox always has.
fn inbox_error(error: FileError) -> InboxError {
    match error {
        FileError::NeedsAFile => InboxError::Database("the inbox needs a database file".into()),
        FileError::Missing(path) => InboxError::Missing(path),
        FileError::Database(why) | FileError::BadFormat(why) => InboxError::Database(why),
        FileError::Foreign { path, why } => InboxError::Foreign { path, why },
        FileError::TooNew { found, supported } => InboxError::TooNew { found, supported },
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
        assert!(matches!(open_for_writing(&text, true), Err(InboxError::Foreign { .. })));
        assert_eq!(std::fs::read(&text).unwrap(), b"not a database");

        let other = dir.path().join("other.db");
        Connection::open(&other).unwrap().execute_batch("CREATE TABLE t (x); PRAGMA application_id = 7;").unwrap();
        let before = std::fs::read(&other).unwrap();
        assert!(matches!(open_for_writing(&other, true), Err(InboxError::Foreign { .. })));
        assert!(matches!(open_read_only(&other), Err(InboxError::Foreign { .. })));
        assert_eq!(std::fs::read(&other).unwrap(), before);
        for side in ["-wal", "-shm", "-journal"] {
            assert!(!dir.path().join(format!("other.db{side}")).exists());
        }
    }

    #[test]
    fn a_new_file_is_marked_as_an_inbox_in_wal_mode_with_full_sync() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        assert!(matches!(open_for_writing(&path, false), Err(InboxError::Missing(_))));
        assert!(!path.exists(), "not created without asking");
        let conn = open_for_writing(&path, true).unwrap();
        assert_eq!(openmig_sqlite_file::application_id(&conn).unwrap(), INBOX_APPLICATION_ID);
        let mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
        assert_eq!(sync, 2, "FULL");
        let strict: i64 = conn
            .query_row("SELECT count(*) FROM pragma_table_list WHERE name LIKE 'inbox_%' AND strict = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(strict, 2, "both inbox tables are STRICT");
        drop(conn);
        drop(open_for_writing(&path, false).unwrap());
        assert!(open_read_only(&path).is_ok());
    }

    #[test]
    fn a_newer_inbox_format_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inbox.db");
        let conn = open_for_writing(&path, true).unwrap();
        conn.execute_batch(
            "DROP TRIGGER inbox_meta_no_update; UPDATE inbox_meta SET value = '2' WHERE key = 'format';",
        )
        .unwrap();
        drop(conn);
        assert!(matches!(open_for_writing(&path, true), Err(InboxError::TooNew { found: 2, supported: 1 })));
        assert!(matches!(open_read_only(&path), Err(InboxError::TooNew { .. })));
    }
}
