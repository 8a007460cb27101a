//! Opening the database file without harming anyone else's, and the inbox tables.
//!
//! The inbox lives in the record store's own file (application id "OMIG") beside the
//! audit log, in an audit-only file ("OMAU"), or in a file of its own, which it creates
//! and marks "OMIB". As the store and the audit do, the header is read before SQLite
//! touches an existing file: any other SQLite database or any other file is refused
//! unchanged. The store's tables, its `user_version` and its `application_id` are never
//! touched; the inbox keeps its own format number in `inbox_meta`.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read};
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{InboxError, sql};

/// `application_id` of an openmig record store: "OMIG".
pub(crate) const STORE_APPLICATION_ID: i32 = 0x4F4D_4947;
/// `application_id` of a file holding only an audit log: "OMAU".
pub(crate) const AUDIT_APPLICATION_ID: i32 = 0x4F4D_4155;
/// `application_id` of a file holding only a practice inbox: "OMIB".
pub(crate) const INBOX_APPLICATION_ID: i32 = 0x4F4D_4942;
const OURS: [i32; 3] = [STORE_APPLICATION_ID, AUDIT_APPLICATION_ID, INBOX_APPLICATION_ID];

/// The inbox table format this build writes and the newest it reads.
pub(crate) const FORMAT: u32 = 1;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_LEN: usize = 100;
const APPLICATION_ID_OFFSET: usize = 68;
/// How long to wait for another connection's write lock (the audit writer, a store
/// load, `openmig inbox ack` in another process).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// What the header says about a path.
enum Found {
    Nothing,
    Empty,
    Ours,
}

/// Opens the database for reading and writing: the inbox tables exist afterwards, the
/// journal is WAL and every commit is synced (`synchronous=FULL`). A missing file is
/// created only when `create` is set.
pub(crate) fn open_for_writing(path: &Path, create: bool) -> Result<Connection, InboxError> {
    if path.as_os_str() == ":memory:" || path.as_os_str().is_empty() {
        return Err(InboxError::Database("the inbox needs a database file".into()));
    }
    let fresh = match inspect(path)? {
        Found::Nothing if !create => return Err(InboxError::Missing(path.display().to_string())),
        Found::Nothing => match OpenOptions::new().write(true).create_new(true).open(path) {
            Ok(_) => true,
            // Another process created it a moment ago: judge it like any existing file.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => matches!(inspect(path)?, Found::Empty),
            Err(e) => return Err(InboxError::Database(format!("cannot create {}: {e}", path.display()))),
        },
        Found::Empty => true,
        Found::Ours => false,
    };
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let mut conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    // The tables are made in the file's current journal mode; a new file is still in
    // rollback mode here, so its header (with our application id) reaches the main file
    // before WAL is switched on, as the store and the audit do.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql)?;
    let id = application_id(&tx)?;
    if fresh && id == 0 {
        tx.pragma_update(None, "application_id", INBOX_APPLICATION_ID).map_err(sql)?;
    } else if !OURS.contains(&id) {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    tx.execute_batch(SCHEMA).map_err(sql)?;
    tx.execute(
        "INSERT INTO inbox_meta (key, value) VALUES ('format', ?1) ON CONFLICT DO NOTHING",
        [FORMAT.to_string()],
    )
    .map_err(sql)?;
    check_format(&tx)?;
    tx.commit().map_err(sql)?;
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)).map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(InboxError::Database(format!("SQLite would not switch to WAL journal mode (got {mode})")));
    }
    // FULL: in WAL mode, NORMAL may lose the last commits on power loss; a document the
    // gateway said it accepted must survive it.
    conn.pragma_update(None, "synchronous", "FULL").map_err(sql)?;
    Ok(conn)
}

/// Opens the database read-only for listing. [`InboxError::NoInbox`] when the file is
/// openmig's but has no inbox tables.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, InboxError> {
    match inspect(path)? {
        Found::Nothing => return Err(InboxError::Missing(path.display().to_string())),
        Found::Empty => return Err(InboxError::NoInbox(path.display().to_string())),
        Found::Ours => {}
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(sql)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
    let id = application_id(&conn)?;
    if !OURS.contains(&id) {
        return Err(foreign(path, format!("its SQLite application id is {id:#010x}")));
    }
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'inbox_document'", [], |r| {
            r.get(0)
        })
        .map_err(sql)?;
    if tables == 0 {
        return Err(InboxError::NoInbox(path.display().to_string()));
    }
    check_format(&conn)?;
    Ok(conn)
}

fn check_format(conn: &Connection) -> Result<(), InboxError> {
    let found: Option<String> = conn
        .query_row("SELECT value FROM inbox_meta WHERE key = 'format'", [], |r| r.get(0))
        .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
        .map_err(sql)?;
    let found = match found {
        None => return Err(InboxError::Database("the inbox format is not recorded in inbox_meta".into())),
        Some(text) => {
            text.parse::<u32>().map_err(|_| InboxError::Database("the inbox format is not a number".into()))?
        }
    };
    if found > FORMAT {
        return Err(InboxError::TooNew { found, supported: FORMAT });
    }
    Ok(())
}

pub(crate) fn application_id(conn: &Connection) -> Result<i32, InboxError> {
    conn.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(sql)
}

/// Reads the header ourselves: refuses anything that is not an openmig SQLite file.
fn inspect(path: &Path) -> Result<Found, InboxError> {
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Found::Nothing),
        Err(e) => return Err(InboxError::Database(format!("cannot read {}: {e}", path.display()))),
    };
    if !metadata.is_file() {
        return Err(foreign(path, "it is not a regular file"));
    }
    let mut header = Vec::with_capacity(HEADER_LEN);
    File::open(path)
        .and_then(|file| file.take(HEADER_LEN as u64).read_to_end(&mut header))
        .map_err(|e| InboxError::Database(format!("cannot read {}: {e}", path.display())))?;
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
    if !OURS.contains(&id) {
        return Err(foreign(
            path,
            format!("it is a SQLite database of another application (application id {id:#010x})"),
        ));
    }
    Ok(Found::Ours)
}

fn foreign(path: &Path, why: impl Into<String>) -> InboxError {
    InboxError::Foreign { path: path.display().to_string(), why: why.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_ids_spell_omig_omau_and_omib() {
        assert_eq!(&STORE_APPLICATION_ID.to_be_bytes(), b"OMIG");
        assert_eq!(&AUDIT_APPLICATION_ID.to_be_bytes(), b"OMAU");
        assert_eq!(&INBOX_APPLICATION_ID.to_be_bytes(), b"OMIB");
    }

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
        assert_eq!(application_id(&conn).unwrap(), INBOX_APPLICATION_ID);
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
