//! Deterministic resource ids.
//!
//! An id is the resource kind, the patient's NHS number and the entry id, e.g.
//! `medication-statement-9434765919-1`: stable for the same record (snapshots and
//! consumers' de-duplication rely on it), unique within the Bundle (entry ids are unique
//! across entry kinds within a record) and inside the FHIR id alphabet
//! `[A-Za-z0-9\-\.]{1,64}`. Practitioners and the Organization are keyed by their own
//! identifiers instead, because one clinician or practice serves many patients.

use openmig_domain::{ClinicianId, EntryId, NhsNumber, OdsCode};

/// The Patient.
pub fn patient(nhs: NhsNumber) -> String {
    format!("patient-{nhs}")
}

/// The practice Organization.
pub fn organization(ods: &OdsCode) -> String {
    fhir_id(&format!("organization-{ods}"))
}

/// A clinician's Practitioner.
pub fn practitioner(id: &ClinicianId) -> String {
    fhir_id(&format!("practitioner-{id}"))
}

/// A clinician's PractitionerRole at the practice.
pub fn practitioner_role(id: &ClinicianId) -> String {
    fhir_id(&format!("practitioner-role-{id}"))
}

/// A record entry mapped to a resource of `kind` (e.g. `allergy-intolerance`).
pub fn entry(kind: &str, nhs: NhsNumber, entry: EntryId) -> String {
    format!("{kind}-{nhs}-{entry}")
}

/// The `n`th (from 1, oldest first) issue of a medication entry.
pub fn issue(nhs: NhsNumber, entry: EntryId, n: usize) -> String {
    format!("medication-request-order-{nhs}-{entry}-{n}")
}

/// A heading List of an encounter's consultation structure, e.g.
/// `consultation-heading-9434765919-9-medication`. `heading` is a fixed slug in the id
/// alphabet.
pub fn consultation_heading(nhs: NhsNumber, encounter: EntryId, heading: &str) -> String {
    format!("consultation-heading-{nhs}-{encounter}-{heading}")
}

/// Maps any text into the FHIR id alphabet: characters outside it become `-`, and the
/// result is cut to 64 characters.
fn fhir_id(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' }).take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_outside_the_fhir_alphabet_are_made_safe_and_short() {
        let id = practitioner(&ClinicianId(format!("odd id/{}", "x".repeat(100))));
        assert!(id.len() <= 64);
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'), "{id}");
        assert!(id.starts_with("practitioner-odd-id-x"));
    }
}
