//! FHIR wire formats for the GP record.
//!
//! This crate owns how openmig's domain record looks on the wire: GP Connect Access
//! Record Structured (FHIR STU3) now, UK Core (FHIR R4) later. Each format is a set of
//! pure functions from `openmig-domain` types to `application/fhir+json` values.
//!
//! Architecture invariant: this crate does no IO (no clock, no files, no network) and
//! makes no access decisions. Whether a patient's record may be shared at all (dissent,
//! deceased, restricted, practice switched off) belongs to the gateway; this crate maps
//! exactly what it is given. The one rule it does apply is item-level withholding
//! (confidential entries and the sensitive exclusion set), because the GP Connect wire
//! format itself defines how a withheld item is flagged, and withholding cannot be
//! bolted on after the Bundle is built without leaving references behind.
//!
//! Resources are built with `serde_json::json!`, one small function per resource in its
//! own module, rather than typed structs: the STU3 resource model is large and openmig
//! emits a small, fixed subset of it, so typed structs would mostly restate the spec.
//! The structure is guarded instead by a maintained third-party validator
//! (`fhir.resources`, run by `tests/validate_fhir.py` in the test suite) and by insta
//! snapshots of whole Bundles.
//!
//! Mapped so far (see [`stu3`]): allergies, medication, problems (with linked items),
//! consultations (with the items they refer to), immunisations, referrals, uncategorised
//! observations and investigations (laboratory results). Not yet: diary entries and the
//! secondary Lists.
//!
//! [`r4`] renders the same record as FHIR R4 UK Core resources for a RESTful API (Patient,
//! medication, allergies, problems, observations, immunisations, encounters), with its
//! searchset Bundle, CapabilityStatement and OperationOutcome.

pub mod r4;
pub mod stu3;
#[cfg(feature = "stu3-validator")]
pub mod validator;

pub use stu3::reader::{
    MAX_RESOURCES, ReadError, ReadRecord, Section, UnshownItem, read_structured_bundle, read_structured_bundle_for,
    shareable_projection,
};
pub use stu3::{
    AllergyOptions, ConsultationOptions, ImmunisationOptions, InvestigationOptions, MedicationOptions, ProblemOptions,
    ReferralOptions, StructuredOptions, UncategorisedOptions, relayed_structured_bundle, structured_bundle,
};
