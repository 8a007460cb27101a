//! The inbox's one error type. Messages name files, tables and inbox item numbers,
//! never an NHS number or anything taken from a document.

use crate::inbox::InboxId;

/// Why an inbox operation failed. Callers act on the variant: `NotFound` is a 404,
/// `Conflict` a 409, the rest are failures of the store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InboxError {
    /// SQLite could not read or write the inbox tables.
    #[error("inbox database: {0}")]
    Database(String),
    /// The database file is not one openmig may write to.
    #[error("{path} is not an openmig database ({why}); refusing to touch it")]
    Foreign {
        /// The file.
        path: String,
        /// What was found instead.
        why: String,
    },
    /// The file does not exist (and the caller asked not to create it).
    #[error("{0} does not exist")]
    Missing(String),
    /// The file is openmig's but holds no inbox (read-only opening).
    #[error("{0} holds no practice inbox")]
    NoInbox(String),
    /// The inbox tables were written by a newer openmig.
    #[error("the inbox has format {found}, newer than this openmig reads ({supported}); upgrade openmig")]
    TooNew {
        /// The format found.
        found: u32,
        /// The newest format this build reads.
        supported: u32,
    },
    /// No such item in this practice's inbox (also when the item belongs to another
    /// practice: an inbox never reveals another practice's items).
    #[error("no item {0} in this practice's inbox")]
    NotFound(InboxId),
    /// A document with the same business identifier but different content was already
    /// received. A new or amended document needs a new identifier.
    #[error(
        "a different document with the same identifier was already received (inbox item {0}); \
         an amended or new document needs its own identifier"
    )]
    Conflict(InboxId),
    /// A stored row is not in the form this crate writes.
    #[error("inbox item {id} is damaged ({why})")]
    Corrupt {
        /// The item.
        id: InboxId,
        /// What is wrong.
        why: String,
    },
}

/// Converts a SQLite failure. SQLite's messages name tables and columns, never the
/// values bound to a statement, so they carry no patient data.
pub(crate) fn sql(error: rusqlite::Error) -> InboxError {
    InboxError::Database(error.to_string())
}
