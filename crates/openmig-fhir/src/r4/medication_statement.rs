//! `UKCore-MedicationStatement`: one per medicine, the summary line a clinician reads
//! first: what, at what dose, since when, whether still taken, when last issued and who
//! prescribes it.
//!
//! - `dosage[0].text` is the dose exactly as written, `patientInstruction` any extra
//!   instructions;
//! - `effectivePeriod` runs from the start (at its recorded precision: `2019` stays
//!   `2019`) to the end for completed or stopped medicines;
//! - `dateAsserted` is the day the practice recorded it;
//! - UK Core `MedicationStatementLastIssueDate` carries the last issue day;
//! - UK Core `MedicationPrescribingOrganizationType` says whether the GP practice
//!   prescribes it; a medicine prescribed elsewhere also names the prescriber as
//!   `informationSource` (by name and ODS code, never a dangling reference) and carries
//!   the note "Not issued by the GP practice: prescribed by …";
//! - `basedOn` is the medicine's MedicationRequest plan, `reasonReference` the shared
//!   problems it is linked to, `context` the earliest consultation linked to it.

use openmig_domain::record::{Medication, MedicationStatus};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, day, ids, medication, meta, partial, urls, withholding};

/// Every MedicationStatement of the patient, medicines in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    cx.record.medications.iter().filter(|m| !withholding::medication(m)).map(|m| statement(cx, m)).collect()
}

fn statement(cx: &Context<'_>, medicine: &Medication) -> Value {
    let mut extension = Vec::new();
    if let Some(last) = medicine.last_issue() {
        extension.push(json!({ "url": urls::LAST_ISSUE_DATE_EXTENSION, "valueDateTime": day(last.date) }));
    }
    let (code, display) = if medicine.is_prescribed_elsewhere() {
        urls::PRESCRIBED_BY_ANOTHER_ORGANISATION
    } else {
        urls::PRESCRIBED_AT_GP_PRACTICE
    };
    extension.push(json!({
        "url": urls::PRESCRIBING_ORGANIZATION_TYPE_EXTENSION,
        "valueCodeableConcept": { "coding": [coding(urls::PRESCRIBING_ORGANIZATION_TYPE_SYSTEM, code, Some(display))] },
    }));
    let mut resource = json!({
        "resourceType": "MedicationStatement",
        "id": ids::entry("medication-statement", cx.nhs, medicine.meta.id),
        "meta": meta(urls::profiles::MEDICATION_STATEMENT),
        "extension": extension,
        "basedOn": [{ "reference": format!("MedicationRequest/{}", medication::plan_id(cx, medicine)) }],
        "status": medication::status(cx, medicine),
    });
    if let Some(reason) = medication::status_reason(medicine) {
        resource["statusReason"] = json!([reason]);
    }
    resource["medicationCodeableConcept"] = medication::dmd_concept(medicine.product.code, &medicine.product.name);
    resource["subject"] = cx.patient_ref();
    if let Some(encounter) = cx.encounter_of(medicine.meta.id) {
        resource["context"] = encounter;
    }
    resource["effectivePeriod"] = effective_period(medicine);
    resource["dateAsserted"] = json!(day(medicine.meta.recorded_on));
    let source = match medication::elsewhere_source(medicine) {
        Some(prescriber) => Some(prescriber),
        None => cx.practitioner_ref(&medicine.meta.recorded_by),
    };
    if let Some(source) = source {
        resource["informationSource"] = source;
    }
    let reasons = cx.reasons(medicine.meta.id);
    if !reasons.is_empty() {
        resource["reasonReference"] = json!(reasons);
    }
    if let Some(note) = medication::elsewhere_note(medicine) {
        resource["note"] = json!([note]);
    }
    if let Some(dosage) = medication::dosage(medicine) {
        resource["dosage"] = json!([dosage]);
    }
    resource
}

/// From the start, at its recorded precision, to the end when it has ended.
fn effective_period(medicine: &Medication) -> Value {
    let mut period = json!({ "start": partial(medicine.started) });
    match &medicine.status {
        MedicationStatus::Active => {}
        MedicationStatus::Completed { on } => period["end"] = json!(partial(*on)),
        MedicationStatus::Discontinued { on, .. } => period["end"] = json!(day(*on)),
    }
    period
}
