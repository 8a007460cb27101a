//! Mapping SQLite failures onto [`StoreError`].
//!
//! Callers act on the variant: a damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) is
//! [`StoreError::Corrupt`], so the CLI can say "restore or regenerate it" instead of
//! showing a generic database error. SQLite's messages name tables and columns, never
//! the values bound to a statement, so they carry no patient data.

use openmig_store::StoreError;
use rusqlite::ErrorCode;

/// Converts a SQLite error into the store's error.
pub fn sql_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt(error.to_string()),
        _ => StoreError::Backend(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: std::ffi::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    #[test]
    fn damage_is_reported_as_corruption_and_the_rest_as_backend_errors() {
        assert!(matches!(sql_error(failure(rusqlite::ffi::SQLITE_CORRUPT)), StoreError::Corrupt(_)));
        assert!(matches!(sql_error(failure(rusqlite::ffi::SQLITE_NOTADB)), StoreError::Corrupt(_)));
        assert!(matches!(sql_error(failure(rusqlite::ffi::SQLITE_BUSY)), StoreError::Backend(_)));
        assert!(matches!(sql_error(rusqlite::Error::QueryReturnedNoRows), StoreError::Backend(_)));
    }
}
