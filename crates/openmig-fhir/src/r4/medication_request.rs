//! `UKCore-MedicationRequest`: per medicine one authorisation (`intent = plan`) and one
//! issue (`intent = order`) per prescription produced, as GP Connect models them.
//!
//! The plan carries what an A&E or ambulance clinician needs about the authorisation:
//! the product, the dose as written, the course of therapy (acute, continuous, repeat
//! dispensing), the status with the reason a medicine was stopped, who authorised it,
//! when (`authoredOn`: the current authorisation's start), the quantity per issue and,
//! for repeats, how many issues are authorised (`dispenseRequest.numberOfRepeatsAllowed`,
//! which NHS England's guidance reads as the total number of issues) and how many have
//! been issued, with the review date (UK Core `MedicationRepeatInformation`).
//! `dispenseRequest.expectedSupplyDuration` on the plan is the last issue's days of
//! supply (issues can differ; each order carries its own). The orders keep the issue
//! history: date, quantity, days of supply and who signed it.
//!
//! A medicine prescribed elsewhere is `reportedBoolean = true` (recorded by the
//! practice, not prescribed by it), names no requester and carries the "Not issued by
//! the GP practice" note; it never has orders.
//!
//! Linked entries: `reasonReference` names the shared problems the medicine is linked
//! to; `encounter` the earliest shared consultation linked to it (for an order, the
//! consultation on the issue day, if linked).

use openmig_domain::record::{Issue, Medication, PrescriptionSource};
use serde_json::{Value, json};

use super::context::Context;
use super::{day, decimal, ids, medication, meta, non_empty, partial, urls, withholding};

/// Every MedicationRequest of the patient: each shared medicine's plan followed by its
/// orders, medicines in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    for medicine in cx.record.medications.iter().filter(|m| !withholding::medication(m)) {
        out.push(plan(cx, medicine));
        for (index, issue) in medicine.issues.iter().enumerate() {
            out.push(order(cx, medicine, index + 1, issue));
        }
    }
    out
}

/// The authorisation.
fn plan(cx: &Context<'_>, medicine: &Medication) -> Value {
    let mut resource = json!({
        "resourceType": "MedicationRequest",
        "id": medication::plan_id(cx, medicine),
        "meta": meta(urls::profiles::MEDICATION_REQUEST),
    });
    if let Some(repeat) = repeat_information(medicine) {
        resource["extension"] = json!([repeat]);
    }
    resource["status"] = json!(medication::status(cx, medicine));
    if let Some(reason) = medication::status_reason(medicine) {
        resource["statusReason"] = reason;
    }
    resource["intent"] = json!("plan");
    if medicine.is_prescribed_elsewhere() {
        resource["reportedBoolean"] = json!(true);
    }
    resource["medicationCodeableConcept"] = medication::dmd_concept(medicine.product.code, &medicine.product.name);
    resource["subject"] = cx.patient_ref();
    if let Some(encounter) = cx.encounter_of(medicine.meta.id) {
        resource["encounter"] = encounter;
    }
    resource["authoredOn"] = json!(match medicine.authorised_from {
        Some(from) => day(from),
        None => partial(medicine.started),
    });
    if let PrescriptionSource::Practice { authoriser } = &medicine.source
        && let Some(requester) = cx.practitioner_ref(authoriser)
    {
        resource["requester"] = requester;
    }
    if let Some(recorder) = cx.practitioner_ref(&medicine.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    let reasons = cx.reasons(medicine.meta.id);
    if !reasons.is_empty() {
        resource["reasonReference"] = json!(reasons);
    }
    resource["courseOfTherapyType"] = medication::course_of_therapy(medicine.prescription_type);
    let notes: Vec<Value> = medication::elsewhere_note(medicine).into_iter().chain(quantity_note(medicine)).collect();
    if !notes.is_empty() {
        resource["note"] = json!(notes);
    }
    if let Some(dosage) = medication::dosage(medicine) {
        resource["dosageInstruction"] = json!([dosage]);
    }
    resource["dispenseRequest"] = plan_dispense_request(medicine);
    resource
}

/// The `n`th issue (from 1, oldest first).
fn order(cx: &Context<'_>, medicine: &Medication, n: usize, issue: &Issue) -> Value {
    let mut resource = json!({
        "resourceType": "MedicationRequest",
        "id": ids::issue(cx.nhs, medicine.meta.id, n),
        "meta": meta(urls::profiles::MEDICATION_REQUEST),
        "basedOn": [{ "reference": format!("MedicationRequest/{}", medication::plan_id(cx, medicine)) }],
        "status": "completed",
        "intent": "order",
        "medicationCodeableConcept": medication::dmd_concept(medicine.product.code, &medicine.product.name),
        "subject": cx.patient_ref(),
    });
    if let Some(encounter) = cx.encounter_on(medicine.meta.id, issue.date) {
        resource["encounter"] = encounter;
    }
    resource["authoredOn"] = json!(day(issue.date));
    if let Some(signer) = cx.practitioner_ref(&issue.issued_by) {
        resource["requester"] = signer;
    }
    resource["courseOfTherapyType"] = medication::course_of_therapy(medicine.prescription_type);
    if let Some(dosage) = medication::dosage(medicine) {
        resource["dosageInstruction"] = json!([dosage]);
    }
    let mut dispense = json!({});
    if !(medicine.quantity.text.is_some() && issue.quantity == 0.0) {
        dispense["quantity"] = quantity(issue.quantity, &medicine.quantity.unit);
    }
    dispense["expectedSupplyDuration"] = days(issue.days_supply);
    resource["dispenseRequest"] = dispense;
    resource
}

fn plan_dispense_request(medicine: &Medication) -> Value {
    let mut dispense = json!({});
    if let Some(allowed) = medicine.authorised_issues.filter(|_| medicine.prescription_type.is_repeat()) {
        dispense["numberOfRepeatsAllowed"] = json!(allowed);
    }
    if medicine.quantity.text.is_none() {
        dispense["quantity"] = quantity(medicine.quantity.value, &medicine.quantity.unit);
    }
    if let Some(last) = medicine.last_issue() {
        dispense["expectedSupplyDuration"] = days(last.days_supply);
    }
    dispense
}

/// UK Core repeat information for a repeat the practice issues: the issues made under
/// the current authorisation and its review date.
fn repeat_information(medicine: &Medication) -> Option<Value> {
    if !medicine.prescription_type.is_repeat() || medicine.is_prescribed_elsewhere() {
        return None;
    }
    let issued = match medicine.authorised_from {
        Some(from) => medicine.issues.iter().filter(|i| i.date >= from).count(),
        None => medicine.issues.len(),
    };
    let mut parts = vec![json!({ "url": "numberOfPrescriptionsIssued", "valueUnsignedInt": issued })];
    if let Some(review) = medicine.review_due {
        parts.push(json!({ "url": "authorisationExpiryDate", "valueDateTime": day(review) }));
    }
    Some(json!({ "url": urls::REPEAT_INFORMATION_EXTENSION, "extension": parts }))
}

/// A dispensed amount: the unit is the record's own ("tablet", "ml"), not UCUM, so it is
/// sent as `unit` text only.
fn quantity(value: f64, unit: &str) -> Value {
    let mut quantity = json!({});
    if let Some(value) = decimal(value) {
        quantity["value"] = value;
    }
    if let Some(unit) = non_empty(unit) {
        quantity["unit"] = json!(unit);
    }
    quantity
}

/// A quantity the practice gave only as words, as a note: R4 `quantity` is a number, and
/// UK Core has retired its `MedicationQuantityText` extension, so a note is where every
/// consumer will read it.
fn quantity_note(medicine: &Medication) -> Option<Value> {
    medicine.quantity.text.as_ref().map(|words| json!({ "text": format!("Quantity: {words}") }))
}

/// A number of days as a UCUM duration.
fn days(days: u16) -> Value {
    json!({ "value": days, "unit": "day", "system": urls::UCUM, "code": "d" })
}
