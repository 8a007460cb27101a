//! The GP-held record and the clinical rules that read it.
//!
//! This crate owns the vocabulary every other openmig crate speaks: validated identifiers
//! (NHS number, ODS code, SNOMED CT / dm+d codes), partial dates as old GP records hold
//! them, the patient, the practice and the record entries (medications with their issues,
//! allergies, problems, encounters, observations, immunisations, referrals, warnings and
//! sharing preferences), plus the clinical code sets and rules that later layers rely on.
//!
//! Architecture invariant: this crate does no IO. It never reads the clock, a file, the
//! network or a random generator: callers pass `today` (and, in the generator, the RNG) in.
//! It knows nothing of FHIR, HTTP or SQL; those live in the outer crates.

pub mod access;
pub mod codesets;
pub mod dates;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod identifiers;
pub mod medicines;
pub mod patient;
pub mod practice;
pub mod record;
pub mod region;
pub mod traits;
pub mod uk_time;

pub use access::{ConsentBasis, Dataset, Role};
pub use dates::PartialDate;
pub use identifiers::{CodeError, EntryId, NhsNumber, NhsNumberError, OdsCode, OdsCodeError, SnomedCode};
pub use patient::{Address, Patient, PersonName, Registration, RegistrationStatus, Sex};
pub use practice::{ClinicalSystem, Clinician, ClinicianId, ClinicianRole, Practice};
pub use record::GpRecord;
