//! The storage interface: one [`Store`] trait, implemented by every backend (SQLite now,
//! PostgreSQL for scale-out), plus what the backends share: the versioned record codec
//! and the [`PreparedRecord`] that lets expensive encoding run off the writer thread.
//!
//! Architecture invariant: this crate holds no SQL. Backends own their schema and rows;
//! they all store a patient's record as the same codec document, so a region can move
//! between backends byte for byte.
//!
//! The trait is synchronous on purpose: both SQLite (rusqlite) and a pooled PostgreSQL
//! client can serve it, and async servers call it through `spawn_blocking`.

pub mod codec;
#[cfg(feature = "conformance")]
pub mod conformance;
mod hash;
mod prepared;

use openmig_domain::traits::PatientTrait;
use openmig_domain::{Clinician, GpRecord, NhsNumber, OdsCode, Practice};

/// The region facts, shared with the directory (`openmig_domain::region`).
pub use openmig_domain::region::RegionInfo;

pub use hash::ContentHasher;
pub use prepared::PreparedRecord;

/// A practice with the clinicians who record there.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeEntry {
    /// The practice.
    pub practice: Practice,
    /// Its clinicians.
    pub clinicians: Vec<Clinician>,
}

/// How much a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StoreCounts {
    /// Practices.
    pub practices: u64,
    /// Patient records.
    pub patients: u64,
}

/// What can go wrong in a store. Callers act differently on each variant; messages
/// never contain patient data.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file (or server) does not exist.
    #[error("database not found: {0}")]
    NotFound(String),
    /// The file exists but is not an openmig database; it is left untouched.
    #[error("{path} is not an openmig database ({why}); refusing to use or change it")]
    Foreign {
        /// The file.
        path: String,
        /// What gave it away.
        why: String,
    },
    /// The database is damaged.
    #[error("database is corrupted: {0}")]
    Corrupt(String),
    /// Written by a newer openmig whose schema this build does not know.
    #[error("database schema version {found} is newer than this openmig supports ({supported}); upgrade openmig")]
    TooNew {
        /// Version in the file.
        found: u32,
        /// Highest version this build knows.
        supported: u32,
    },
    /// A record document could not be decoded.
    #[error(transparent)]
    Codec(#[from] codec::CodecError),
    /// Any other backend failure.
    #[error("database error: {0}")]
    Backend(String),
}

/// The storage interface every backend implements (see the crate docs for why it is
/// synchronous). Writes are idempotent upserts keyed by ODS code and NHS number, so
/// re-running a load leaves the same content.
pub trait Store: Send + Sync {
    /// The region facts, or `None` for a store nothing was loaded into.
    fn region(&self) -> Result<Option<RegionInfo>, StoreError>;
    /// Records the region facts (replacing earlier ones).
    fn set_region(&self, info: &RegionInfo) -> Result<(), StoreError>;
    /// Inserts or replaces practices with their clinicians, in one transaction.
    fn upsert_practices(&self, practices: &[PracticeEntry]) -> Result<(), StoreError>;
    /// Inserts or replaces patient records, in one transaction.
    fn upsert_records(&self, records: &[PreparedRecord]) -> Result<(), StoreError>;
    /// A patient's whole record.
    fn record(&self, nhs_number: NhsNumber) -> Result<Option<GpRecord>, StoreError>;
    /// One practice with its clinicians.
    fn practice(&self, ods_code: &OdsCode) -> Result<Option<PracticeEntry>, StoreError>;
    /// Every practice, ordered by ODS code.
    fn practices(&self) -> Result<Vec<Practice>, StoreError>;
    /// A page of a practice's patients, ordered by NHS number, starting after `after`.
    fn practice_patients(
        &self,
        ods_code: &OdsCode,
        after: Option<NhsNumber>,
        limit: usize,
    ) -> Result<Vec<NhsNumber>, StoreError>;
    /// Up to `limit` patients with a trait (computed when the record was stored), ordered
    /// by NHS number.
    fn patients_with_trait(&self, wanted: PatientTrait, limit: usize) -> Result<Vec<NhsNumber>, StoreError>;
    /// How much the store holds.
    fn counts(&self) -> Result<StoreCounts, StoreError>;
    /// SHA-256 (hex) over the stored content in key order: practices, then each record's
    /// NHS number, traits and document, framed by [`ContentHasher`]. Equal content gives
    /// an equal hash on any backend.
    fn content_hash(&self) -> Result<String, StoreError>;
}
