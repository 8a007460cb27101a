//! What the MedicationRequest and MedicationStatement of one medicine share: the coded
//! product, the status, the dose, the course of therapy and the "prescribed elsewhere"
//! marking.
//!
//! Status (R4 `active` / `completed` / `stopped`, the same codes in both resources):
//! a discontinued medicine is `stopped`, a completed one `completed`. An authorisation
//! still active in the record is `active` while it counts as current under the
//! medicines rule ([`openmig_domain::medicines::is_current`]: repeats and medicines
//! prescribed elsewhere while authorised, acute courses issued in the last 90 days), and
//! `completed` otherwise: an acute course issued two years ago and never closed in the
//! GP system is not something the patient is taking.

use openmig_domain::SnomedCode;
use openmig_domain::medicines::{NOT_ISSUED_BY_PRACTICE, is_current};
use openmig_domain::record::{Medication, MedicationStatus, PrescriptionSource, PrescriptionType};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, ids, non_empty, urls};

/// The MedicationRequest (`intent = plan`) id of a medicine.
pub(crate) fn plan_id(cx: &Context<'_>, medication: &Medication) -> String {
    ids::entry("medication-request", cx.nhs, medication.meta.id)
}

/// The dm+d product, coded in SNOMED CT (dm+d ids are SNOMED CT concept ids) and in the
/// dm+d system UK Core's medication value set uses.
pub(crate) fn dmd_concept(code: SnomedCode, name: &str) -> Value {
    let code = code.to_string();
    let display = non_empty(name);
    json!({
        "coding": [coding(urls::SNOMED, &code, display), coding(urls::DMD, &code, display)],
    })
}

/// R4 status (module docs).
pub(crate) fn status(cx: &Context<'_>, medication: &Medication) -> &'static str {
    match medication.status {
        MedicationStatus::Discontinued { .. } => "stopped",
        MedicationStatus::Completed { .. } => "completed",
        MedicationStatus::Active if is_current(medication, cx.today) => "active",
        MedicationStatus::Active => "completed",
    }
}

/// Why it was stopped, as the prescriber wrote it.
pub(crate) fn status_reason(medication: &Medication) -> Option<Value> {
    match &medication.status {
        MedicationStatus::Discontinued { reason, .. } => non_empty(reason).map(|text| json!({ "text": text })),
        MedicationStatus::Active | MedicationStatus::Completed { .. } => None,
    }
}

/// The dose as written (`text`) and any patient instructions; `None` when the record
/// holds neither, so that a missing dose is visibly missing.
pub(crate) fn dosage(medication: &Medication) -> Option<Value> {
    let mut dosage = json!({});
    if let Some(text) = non_empty(&medication.dose) {
        dosage["text"] = json!(text);
    }
    if let Some(instructions) = medication.patient_instructions.as_deref().and_then(non_empty) {
        dosage["patientInstruction"] = json!(instructions);
    }
    dosage.as_object().is_some_and(|d| !d.is_empty()).then_some(dosage)
}

/// `courseOfTherapyType`: acute, continuous, or UK Core's repeat-dispensing code.
pub(crate) fn course_of_therapy(kind: PrescriptionType) -> Value {
    let (system, code, display) = match kind {
        PrescriptionType::Acute => (urls::COURSE_OF_THERAPY_SYSTEM, "acute", "Short course (acute) therapy"),
        PrescriptionType::Repeat => (urls::COURSE_OF_THERAPY_SYSTEM, "continuous", "Continuous long term therapy"),
        PrescriptionType::RepeatDispensing => (
            urls::UKCORE_COURSE_OF_THERAPY_SYSTEM,
            "continuous-repeating-dispensing",
            "Continuous long term (repeat dispensing)",
        ),
    };
    json!({ "coding": [coding(system, code, Some(display))] })
}

/// The note on a medicine prescribed elsewhere: the domain's own wording, and who
/// prescribes it.
pub(crate) fn elsewhere_note(medication: &Medication) -> Option<Value> {
    let PrescriptionSource::Elsewhere { organisation, .. } = &medication.source else { return None };
    let text = match non_empty(organisation) {
        Some(organisation) => format!("{NOT_ISSUED_BY_PRACTICE}: prescribed by {organisation}"),
        None => NOT_ISSUED_BY_PRACTICE.to_owned(),
    };
    Some(json!({ "text": text }))
}

/// The prescribing organisation of a medicine prescribed elsewhere, as a reference by
/// identifier and name only: openmig holds no Organization resource for it, and a
/// literal reference would dangle.
pub(crate) fn elsewhere_source(medication: &Medication) -> Option<Value> {
    let PrescriptionSource::Elsewhere { organisation, ods_code, .. } = &medication.source else { return None };
    let mut reference = json!({});
    if let Some(ods) = ods_code {
        reference["identifier"] = json!({ "system": urls::ODS_ORGANIZATION_SYSTEM, "value": ods.as_str() });
    }
    if let Some(name) = non_empty(organisation) {
        reference["display"] = json!(name);
    }
    reference.as_object().is_some_and(|r| !r.is_empty()).then_some(reference)
}
