//! The schema, as an ordered list of migrations, and the file's identity marks.
//!
//! `PRAGMA user_version` holds how many migrations a file has had; opening an older file
//! applies the rest in one transaction, so a crash mid-upgrade leaves the old schema
//! intact. Migrations are append-only: a released one is never edited, because files
//! in the wild were built by it.
//!
//! `PRAGMA application_id` marks the file as openmig's. It is written when the file is
//! created and never changes, which is what lets [`crate::open`] recognise (and refuse)
//! other applications' SQLite files from their header alone.

use openmig_store::StoreError;
use rusqlite::{Connection, TransactionBehavior};

use crate::error::sql_error;

/// `PRAGMA application_id` of every openmig database: the ASCII bytes "OMIG".
pub const APPLICATION_ID: i32 = 0x4F4D_4947;

/// The schema version this build writes and the highest it can read.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The migrations in order; after applying the first `n`, `user_version` is `n`.
///
/// Tables are STRICT so SQLite refuses a value of the wrong type instead of storing it.
/// `patient.nhs_number` is the rowid (`INTEGER PRIMARY KEY`): lookups and NHS-number
/// order cost nothing extra, and the practice index serves paging through a practice.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE practice (
        ods_code TEXT PRIMARY KEY,
        sharing_enabled INTEGER NOT NULL,
        document BLOB NOT NULL
    ) STRICT;
    CREATE TABLE patient (
        nhs_number INTEGER PRIMARY KEY,
        practice TEXT NOT NULL,
        traits INTEGER NOT NULL,
        entry_count INTEGER NOT NULL,
        document BLOB NOT NULL
    ) STRICT;
    CREATE INDEX patient_by_practice ON patient (practice, nhs_number);",
];

/// Brings a file up to [`SCHEMA_VERSION`] in one immediate transaction (taken before
/// reading the version, so two processes cannot both migrate), stamping the
/// application id as it goes. A file already current is left unchanged.
pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(sql_error)?;
    let found = user_version(&tx)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
    }
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.execute_batch(migration).map_err(sql_error)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID).map_err(sql_error)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(sql_error)?;
    tx.commit().map_err(sql_error)
}

/// The file's `application_id`, as SQLite reads it.
pub fn application_id(conn: &Connection) -> Result<i32, StoreError> {
    conn.pragma_query_value(None, "application_id", |row| row.get(0)).map_err(sql_error)
}

/// The file's schema version. A negative value (only a foreign tool could write one)
/// is reported as damage rather than wrapped into a huge version.
pub fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0)).map_err(sql_error)?;
    u32::try_from(version).map_err(|_| StoreError::Corrupt(format!("schema version {version} is not a valid version")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_application_id_spells_omig() {
        assert_eq!(&APPLICATION_ID.to_be_bytes(), b"OMIG");
    }

    #[test]
    fn migrating_a_blank_database_reaches_the_current_version_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
        assert_eq!(application_id(&conn).unwrap(), APPLICATION_ID);
        migrate(&mut conn).unwrap();
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_alone() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(
            matches!(err, StoreError::TooNew { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
        );
        assert_eq!(user_version(&conn).unwrap(), SCHEMA_VERSION + 1);
    }
}
