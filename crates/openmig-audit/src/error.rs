//! The one error type of the audit crate.
//!
//! Errors are `Clone` because one failed group commit is reported to every caller in the
//! batch. Messages name files, tables and sequence numbers, never an NHS number or any
//! other value taken from an entry.

/// Why an audit operation failed. Callers act on the variant: the gateway refuses the
/// request (and sends no data) on any of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    /// SQLite could not read or write the audit tables.
    #[error("audit database: {0}")]
    Database(String),
    /// The database file is not one openmig may write to.
    #[error("{path} is not an openmig database ({why}); refusing to touch it")]
    Foreign {
        /// The file.
        path: String,
        /// What was found instead.
        why: String,
    },
    /// The file exists but holds no audit log (for verification and reports).
    #[error("{0} holds no audit log")]
    NoLog(String),
    /// The audit tables were written by a newer openmig.
    #[error("the audit log has format {found}, newer than this openmig reads ({supported}); upgrade openmig")]
    TooNew {
        /// The format found.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// The checkpoint signing key could not be created, read or used.
    #[error("audit checkpoint key: {0}")]
    Key(String),
    /// The checkpoints file could not be read or written.
    #[error("audit checkpoints: {0}")]
    Checkpoints(String),
    /// The log no longer matches what this writer or the last signed checkpoint knows:
    /// someone changed it outside openmig. Writing stops (fail closed).
    #[error("the audit log was changed outside openmig ({0}); run `openmig audit verify`")]
    Tampered(String),
    /// The event cannot be recorded as given.
    #[error("invalid audit event: {0}")]
    InvalidEvent(String),
    /// The writer has stopped (the log was closed, or its thread ended unexpectedly).
    #[error("the audit log is closed")]
    Closed,
}

/// Converts a SQLite failure. SQLite's messages name tables and columns, never the
/// values bound to a statement, so they carry no patient data.
pub(crate) fn sql(error: rusqlite::Error) -> AuditError {
    AuditError::Database(error.to_string())
}
