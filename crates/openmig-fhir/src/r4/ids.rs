//! Deterministic R4 logical ids.
//!
//! On a RESTful R4 server an id names a resource across every patient
//! (`MedicationStatement/{id}`), so a clinical resource's id is its kind, the patient's
//! NHS number and the record entry id, e.g. `medication-statement-9434765919-1`: stable
//! for the same record (snapshots and consumers' de-duplication rely on it) and unique
//! server-wide. The Patient is the NHS number itself, as NHS England's PDS FHIR API
//! names patients; the practice is its ODS code and a clinician their region-unique id,
//! because one practice or clinician serves many patients. Every id stays inside the
//! FHIR id alphabet `[A-Za-z0-9\-\.]{1,64}`.

use openmig_domain::{ClinicianId, EntryId, NhsNumber, OdsCode};

/// The Patient: the NHS number.
pub fn patient(nhs: NhsNumber) -> String {
    nhs.to_string()
}

/// The practice Organization: the ODS code.
pub fn organization(ods: &OdsCode) -> String {
    fhir_id(ods.as_str())
}

/// A clinician's Practitioner: the clinician id.
pub fn practitioner(id: &ClinicianId) -> String {
    fhir_id(&id.0)
}

/// A record entry mapped to a resource of `kind` (e.g. `medication-statement`).
pub fn entry(kind: &str, nhs: NhsNumber, entry: EntryId) -> String {
    format!("{kind}-{nhs}-{entry}")
}

/// The `n`th (from 1, oldest first) issue of a medication entry, as a MedicationRequest
/// with `intent = order`.
pub fn issue(nhs: NhsNumber, entry: EntryId, n: usize) -> String {
    format!("medication-request-{nhs}-{entry}-issue-{n}")
}

/// Maps any text into the FHIR id alphabet: characters outside it become `-`, an empty
/// text becomes `-`, and the result is cut to 64 characters.
fn fhir_id(text: &str) -> String {
    let id: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
        .take(64)
        .collect();
    if id.is_empty() { "-".to_owned() } else { id }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clinician_id_outside_the_fhir_alphabet_is_made_safe_and_short() {
        let id = practitioner(&ClinicianId(format!("odd id/{}", "x".repeat(100))));
        assert_eq!(id.len(), 64);
        assert!(id.starts_with("odd-id-x"), "{id}");
        assert_eq!(practitioner(&ClinicianId(String::new())), "-");
    }

    #[test]
    fn the_patient_id_is_the_bare_nhs_number() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        assert_eq!(patient(nhs), "9434765919");
        assert_eq!(issue(nhs, EntryId(3), 2), "medication-request-9434765919-3-issue-2");
    }
}
