//! The directory: who is registered where, and where each practice's GP system answers.
//!
//! It stands for the two national services a real gateway asks before it fetches a
//! record: the Personal Demographics Service (per patient: demographics, registered
//! practice, deceased, deregistered, restricted "S-flag") and the Spine Directory Service
//! (per practice: ODS code, name, clinical system, ASID, whether it shares, and the URL of
//! its GP Connect endpoint).
//!
//! Architecture invariant: the directory holds **nothing clinical**. Its patient entry is
//! the domain's [`Patient`] (demographics and registration) and nothing of the
//! [`GpRecord`](openmig_domain::GpRecord); consent, dissent and every record entry stay in
//! the practice's own system, which says so itself when asked (GP Connect's
//! `NO_PATIENT_CONSENT`). This crate does not depend on `openmig-store`, so nothing that
//! holds a [`Directory`] can reach a clinical store through it.
//!
//! - [`Directory`]: the read interface the gateway uses (synchronous, as the store's, for
//!   the same reason: SQLite now, a pooled PostgreSQL client later; async callers use
//!   `spawn_blocking`).
//! - [`SqliteDirectory`] (`sqlite.rs`): the embedded backend, written by `openmig
//!   generate` and changed by `openmig directory set-endpoint`.
//! - [`Endpoint`]: a URL a practice's system is reached at, parsed once.
//! - [`Relocated`]: a directory whose listed practices are served elsewhere (what
//!   `openmig serve --role all` uses for the practices it serves itself on a port chosen
//!   at start), so the endpoint the gateway publishes is always the one it calls.

mod endpoint;
mod relocated;
mod sqlite;

use openmig_domain::region::RegionInfo;
use openmig_domain::{NhsNumber, OdsCode, Patient, Practice};

pub use endpoint::{Endpoint, EndpointError};
pub use relocated::Relocated;
pub use sqlite::{PreparedPatient, SqliteDirectory};

/// A practice as the directory lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectoryPractice {
    /// The practice (ODS code, name, address, clinical system, ASID, sharing).
    pub practice: Practice,
    /// The FHIR base of its GP Connect Access Record Structured endpoint, e.g.
    /// `https://gp.example:9443/A81001/STU3/1/gpconnect/structured/fhir`; the gateway
    /// calls `{base}/Patient/$gpc.getstructuredrecord` and `{base}/metadata`.
    pub gp_connect: Endpoint,
    /// Where documents written back for its patients are delivered
    /// (`{base}/Bundle` or `{base}/DocumentReference`); `None` when the practice's system
    /// takes no documents through the gateway.
    pub documents: Option<Endpoint>,
}

/// How much a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DirectoryCounts {
    /// Practices.
    pub practices: u64,
    /// Patients.
    pub patients: u64,
}

/// What can go wrong reading or writing a directory. Messages name files and tables,
/// never a patient.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The file is missing, foreign, damaged or from a newer openmig.
    #[error("{0}")]
    File(String),
    /// A stored entry could not be decoded.
    #[error("a directory entry is damaged: {0}")]
    Damaged(String),
    /// A stored endpoint is not a valid URL (the file was changed by hand).
    #[error("practice {ods}: {error}")]
    BadEndpoint {
        /// The practice.
        ods: String,
        /// What is wrong with its URL.
        error: EndpointError,
    },
    /// No practice with this ODS code is listed.
    #[error("no practice {0} in the directory")]
    UnknownPractice(String),
    /// Any other database failure.
    #[error("directory database error: {0}")]
    Database(String),
}

/// The read interface of the directory (see the crate docs).
pub trait Directory: Send + Sync {
    /// The region facts, or `None` for a directory nothing was loaded into.
    fn region(&self) -> Result<Option<RegionInfo>, DirectoryError>;
    /// A patient's demographics and registration.
    fn patient(&self, nhs_number: NhsNumber) -> Result<Option<Patient>, DirectoryError>;
    /// One practice.
    fn practice(&self, ods_code: &OdsCode) -> Result<Option<DirectoryPractice>, DirectoryError>;
    /// Every practice, ordered by ODS code.
    fn practices(&self) -> Result<Vec<DirectoryPractice>, DirectoryError>;
    /// How much the directory holds.
    fn counts(&self) -> Result<DirectoryCounts, DirectoryError>;
    /// SHA-256 (hex) over the listed people and practices in key order (practices by ODS
    /// code, then patients by NHS number, each as its stored document). Endpoints are
    /// deployment settings, not content, and are left out.
    fn content_hash(&self) -> Result<String, DirectoryError>;
}
