//! The medication area: per medicine a `Medication`, a `MedicationStatement` (the
//! summary), a `MedicationRequest` with `intent = plan` (the authorisation) and, when
//! issues are asked for, one `MedicationRequest` with `intent = order` per issue.
//!
//! Medicines prescribed elsewhere are always returned (no date filter applies to them)
//! with the prescribing-agency code `prescribed-by-another-organisation`; they have no
//! issues, so never an order. The List's entries are the MedicationStatements.
//!
//! `medicationSearchFromDate` (gpconnect.md §1, "Clinical filtering semantics"): a
//! medicine is returned when it is active on the date or on any later day, i.e. when
//! the last day of its active interval is on or after the date ([`active_on_or_after`]):
//! - the interval runs from the effective start to the effective end, both inclusive;
//!   the end is the completion date or the day it was discontinued;
//! - with no end, an acute is active only on its start date, a repeat (and repeat
//!   dispensing) is ongoing. gpconnect.md says an unknown type counts as a repeat; the
//!   record's prescription type is never unknown, so that case cannot arise here;
//! - a partial date stands for its whole interval ("2019" is 2019-01-01 to
//!   2019-12-31), so an end (or an acute's start) known only to the month or year
//!   keeps the medicine in for any date up to the last day it could mean;
//! - medicines prescribed elsewhere are always returned.
//!
//! Issues: gpconnect.md says nothing about filtering issues by the date, so a returned
//! medicine comes with all its issues (when issues are asked for), including those
//! dated before the search date; the plan's counts and the last issue date are not
//! changed by the filter either. A medicine filtered out by the date is not counted as
//! withheld (the filter is applied first), just as in the uncategorised area.

use chrono::NaiveDate;
use openmig_domain::GpRecord;
use openmig_domain::record::{Issue, Medication, MedicationStatus, PrescriptionSource, PrescriptionType};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{MedicationOptions, day, ids, partial, profile_meta, snomed_concept, urls};

/// The area's List followed by its resources, medicine by medicine.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &MedicationOptions) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::MEDICATIONS_LIST);
    let mut resources = Vec::new();
    for medication in &record.medications {
        if let Some(from) = options.search_from
            && !active_on_or_after(medication, from)
        {
            continue;
        }
        if withheld(medication) {
            list.withheld();
            continue;
        }
        list.item(reference(cx, medication));
        resources.extend(resources_for(cx, medication, options.include_prescription_issues));
    }
    let mut out = vec![list.build(cx)];
    out.extend(resources);
    out
}

/// True when the medicine is returned for `medicationSearchFromDate = from` (rule in
/// the module documentation).
pub(crate) fn active_on_or_after(medication: &Medication, from: NaiveDate) -> bool {
    if medication.is_prescribed_elsewhere() {
        return true;
    }
    let last_active_day = match &medication.status {
        MedicationStatus::Completed { on } => Some(on.latest()),
        MedicationStatus::Discontinued { on, .. } => Some(*on),
        MedicationStatus::Active if medication.prescription_type.is_repeat() => None,
        MedicationStatus::Active => Some(medication.started.latest()),
    };
    last_active_day.is_none_or(|last| last >= from)
}

/// True when the medicine must not leave the practice.
pub(crate) fn withheld(medication: &Medication) -> bool {
    is_withheld(&medication.meta, [medication.product.code])
}

/// `MedicationStatement/…`: how Lists and linked items refer to a medicine.
pub(crate) fn reference(cx: &Context<'_>, medication: &Medication) -> String {
    format!("MedicationStatement/{}", ids::entry("medication-statement", cx.nhs, medication.meta.id))
}

/// Every resource of one medicine: Medication, MedicationStatement, the plan and, when
/// `include_issues`, one order per issue. The caller has checked [`withheld`].
pub(crate) fn resources_for(cx: &mut Context<'_>, medication: &Medication, include_issues: bool) -> Vec<Value> {
    resources_with_issues(cx, medication, |_| include_issues)
}

/// Medication, MedicationStatement, the plan and the orders of the issues `wanted` picks
/// by their number (from 1, oldest first, as in [`order_reference`]). The caller has
/// checked [`withheld`].
pub(crate) fn resources_with_issues(
    cx: &mut Context<'_>,
    medication: &Medication,
    wanted: impl Fn(usize) -> bool,
) -> Vec<Value> {
    let mut out = vec![medication_resource(cx, medication), medication_statement(cx, medication), plan(cx, medication)];
    for (index, issue) in medication.issues.iter().enumerate() {
        if wanted(index + 1) {
            out.push(order(cx, medication, index + 1, issue));
        }
    }
    out
}

/// `MedicationRequest/…` of the plan (the authorisation).
pub(crate) fn plan_reference(cx: &Context<'_>, medication: &Medication) -> String {
    format!("MedicationRequest/{}", plan_id(cx, medication))
}

/// `MedicationRequest/…` of the `n`th issue (from 1, oldest first).
pub(crate) fn order_reference(cx: &Context<'_>, medication: &Medication, n: usize) -> String {
    format!("MedicationRequest/{}", ids::issue(cx.nhs, medication.meta.id, n))
}

fn medication_id(cx: &Context<'_>, medication: &Medication) -> String {
    ids::entry("medication", cx.nhs, medication.meta.id)
}

fn plan_id(cx: &Context<'_>, medication: &Medication) -> String {
    ids::entry("medication-request-plan", cx.nhs, medication.meta.id)
}

/// `CareConnect-GPC-Medication-1`: the dm+d product, coded under SNOMED CT as GP Connect
/// STU3 does.
fn medication_resource(cx: &Context<'_>, medication: &Medication) -> Value {
    json!({
        "resourceType": "Medication",
        "id": medication_id(cx, medication),
        "meta": profile_meta(urls::MEDICATION_PROFILE),
        "code": snomed_concept(medication.product.code, &medication.product.name),
    })
}

/// `CareConnect-GPC-MedicationStatement-1`.
fn medication_statement(cx: &mut Context<'_>, medication: &Medication) -> Value {
    let (agency_code, agency_display) = if medication.is_prescribed_elsewhere() {
        urls::PRESCRIBED_BY_ANOTHER_ORGANISATION
    } else {
        urls::PRESCRIBED_AT_GP_PRACTICE
    };
    let mut extension = Vec::new();
    if let Some(last) = medication.last_issue() {
        extension.push(json!({ "url": urls::LAST_ISSUE_DATE_EXTENSION, "valueDateTime": day(last.date) }));
    }
    extension.push(json!({
        "url": urls::PRESCRIBING_AGENCY_EXTENSION,
        "valueCodeableConcept": {
            "coding": [{ "system": urls::PRESCRIBING_AGENCY_SYSTEM, "code": agency_code, "display": agency_display }],
        },
    }));
    let mut resource = json!({
        "resourceType": "MedicationStatement",
        "id": ids::entry("medication-statement", cx.nhs, medication.meta.id),
        "meta": profile_meta(urls::MEDICATION_STATEMENT_PROFILE),
        "extension": extension,
        "basedOn": [{ "reference": format!("MedicationRequest/{}", plan_id(cx, medication)) }],
        "status": statement_status(&medication.status),
        "medicationReference": { "reference": format!("Medication/{}", medication_id(cx, medication)) },
        "effectivePeriod": effective_period(medication),
        "dateAsserted": day(medication.meta.recorded_on),
        "subject": cx.patient_ref(),
        "taken": "unk",
        "dosage": [dosage(medication)],
    });
    if let PrescriptionSource::Elsewhere { organisation, .. } = &medication.source {
        resource["note"] = json!([{ "text": format!("Prescribed by {organisation}") }]);
    }
    resource
}

/// `CareConnect-GPC-MedicationRequest-1` with `intent = plan`: the authorisation.
fn plan(cx: &mut Context<'_>, medication: &Medication) -> Value {
    let mut extension = vec![prescription_type(medication.prescription_type)];
    if medication.prescription_type.is_repeat() {
        extension.push(repeat_information(medication));
    }
    if let MedicationStatus::Discontinued { on, reason } = &medication.status {
        extension.push(json!({
            "url": urls::STATUS_REASON_EXTENSION,
            "extension": [
                { "url": "statusChangeDate", "valueDateTime": day(*on) },
                { "url": "statusReason", "valueCodeableConcept": { "text": reason } },
            ],
        }));
    }
    let mut resource = json!({
        "resourceType": "MedicationRequest",
        "id": plan_id(cx, medication),
        "meta": profile_meta(urls::MEDICATION_REQUEST_PROFILE),
        "extension": extension,
        "status": statement_status(&medication.status),
        "intent": "plan",
        "medicationReference": { "reference": format!("Medication/{}", medication_id(cx, medication)) },
        "subject": cx.patient_ref(),
        "authoredOn": authorisation_period(medication)["start"],
        "dosageInstruction": [dosage(medication)],
        "dispenseRequest": {
            "validityPeriod": authorisation_period(medication),
            "quantity": quantity(medication.quantity.value, medication),
        },
    });
    if let PrescriptionSource::Practice { authoriser } = &medication.source
        && let Some(agent) = cx.practitioner_ref(authoriser)
    {
        resource["requester"] = json!({ "agent": agent, "onBehalfOf": cx.organization_ref() });
    }
    if let Some(recorder) = cx.practitioner_ref(&medication.meta.recorded_by) {
        resource["recorder"] = recorder;
    }
    resource
}

/// `CareConnect-GPC-MedicationRequest-1` with `intent = order`: the `n`th issue.
fn order(cx: &mut Context<'_>, medication: &Medication, n: usize, issue: &Issue) -> Value {
    let mut resource = json!({
        "resourceType": "MedicationRequest",
        "id": ids::issue(cx.nhs, medication.meta.id, n),
        "meta": profile_meta(urls::MEDICATION_REQUEST_PROFILE),
        "extension": [prescription_type(medication.prescription_type)],
        "basedOn": [{ "reference": format!("MedicationRequest/{}", plan_id(cx, medication)) }],
        "status": "completed",
        "intent": "order",
        "medicationReference": { "reference": format!("Medication/{}", medication_id(cx, medication)) },
        "subject": cx.patient_ref(),
        "authoredOn": day(issue.date),
        "dosageInstruction": [dosage(medication)],
        "dispenseRequest": {
            "validityPeriod": { "start": day(issue.date) },
            "quantity": quantity(issue.quantity, medication),
            "expectedSupplyDuration": {
                "value": issue.days_supply,
                "unit": "day",
                "system": urls::UCUM,
                "code": "d",
            },
        },
    });
    if let Some(agent) = cx.practitioner_ref(&issue.issued_by) {
        resource["requester"] = json!({ "agent": agent.clone(), "onBehalfOf": cx.organization_ref() });
        resource["recorder"] = agent;
    }
    resource
}

fn statement_status(status: &MedicationStatus) -> &'static str {
    match status {
        MedicationStatus::Active => "active",
        MedicationStatus::Completed { .. } => "completed",
        MedicationStatus::Discontinued { .. } => "stopped",
    }
}

/// From the start (at its recorded precision) to the end, when it has ended.
fn effective_period(medication: &Medication) -> Value {
    let mut period = json!({ "start": partial(medication.started) });
    match &medication.status {
        MedicationStatus::Active => {}
        MedicationStatus::Completed { on } => period["end"] = json!(partial(*on)),
        MedicationStatus::Discontinued { on, .. } => period["end"] = json!(day(*on)),
    }
    period
}

/// The current authorisation: from when it began (the start of the medicine when the
/// record has no separate authorisation date) to when the medicine ended, if it has.
///
/// The record keeps only the current authorisation, so issues made under an earlier one
/// are still linked to this plan; splitting them needs the authorisation history.
fn authorisation_period(medication: &Medication) -> Value {
    let mut period = effective_period(medication);
    if let Some(from) = medication.authorised_from {
        period["start"] = json!(day(from));
    }
    period
}

/// gpconnect.md §3: `dosage.text` is "No information available" when the record has none.
fn dosage(medication: &Medication) -> Value {
    let text = if medication.dose.trim().is_empty() { "No information available" } else { &medication.dose };
    let mut dosage = json!({ "text": text });
    if let Some(instructions) = &medication.patient_instructions {
        dosage["patientInstruction"] = json!(instructions);
    }
    dosage
}

fn prescription_type(kind: PrescriptionType) -> Value {
    let (code, display) = match kind {
        PrescriptionType::Acute => ("acute", "Acute"),
        PrescriptionType::Repeat => ("repeat", "Repeat"),
        PrescriptionType::RepeatDispensing => ("repeat-dispensing", "Repeat dispensing"),
    };
    json!({
        "url": urls::PRESCRIPTION_TYPE_EXTENSION,
        "valueCodeableConcept": {
            "coding": [{ "system": urls::PRESCRIPTION_TYPE_SYSTEM, "code": code, "display": display }],
        },
    })
}

/// How many issues the current authorisation allows, how many it has used and when it is
/// due for review. `numberOfRepeatPrescriptionsAllowed` only when a fixed number was
/// authorised (gpconnect.md §3).
///
/// The review date is sent as `authorisationExpiryDate` (the day, as a `dateTime`), as
/// the R4 writer sends it in UK Core's `MedicationRepeatInformation`: GP systems set a
/// repeat authorisation to expire at its review, and UK Core describes
/// `authorisationExpiryDate` as the "repeat prescription review date" (see
/// `r4::urls::REPEAT_INFORMATION_EXTENSION`). GP Connect has no other element for it and
/// puts it on the plan only ([`urls::REPEAT_INFORMATION_EXTENSION`]), so it is sent only
/// for a repeat prescribed at the practice, the one kind of plan with `repeatInformation`.
fn repeat_information(medication: &Medication) -> Value {
    // Every repeat plan says how many issues it has had (NHS England's acceptance suite
    // checks it on every one; for a repeat prescribed elsewhere the practice issued
    // none). How many are allowed and when it is reviewed are the practice's
    // authorisation, so only its own repeats carry them (the MedicationRequest page:
    // "MUST NOT be specified where the number of issues is not defined").
    let at_practice = !medication.is_prescribed_elsewhere();
    let mut parts = Vec::new();
    if let Some(allowed) = medication.authorised_issues.filter(|n| *n > 0 && at_practice) {
        parts.push(json!({ "url": "numberOfRepeatPrescriptionsAllowed", "valuePositiveInt": allowed }));
    }
    let issued = match medication.authorised_from {
        Some(from) => medication.issues.iter().filter(|i| i.date >= from).count(),
        None => medication.issues.len(),
    };
    parts.push(json!({ "url": "numberOfRepeatPrescriptionsIssued", "valueUnsignedInt": issued }));
    if let Some(review) = medication.review_due.filter(|_| at_practice) {
        parts.push(json!({ "url": "authorisationExpiryDate", "valueDateTime": day(review) }));
    }
    json!({ "url": urls::REPEAT_INFORMATION_EXTENSION, "extension": parts })
}

/// `dispenseRequest.quantity`: a number and the medicine's unit, or, for a quantity the
/// practice gave only as words, the `MedicationQuantityText` extension "for both value
/// and units, leaving this quantity element unpopulated" (GP Connect 1.6's
/// MedicationRequest page).
fn quantity(value: f64, medication: &Medication) -> Value {
    match &medication.quantity.text {
        Some(words) if value == 0.0 => {
            json!({ "extension": [{ "url": urls::MEDICATION_QUANTITY_TEXT_EXTENSION, "valueString": words }] })
        }
        _ => json!({ "value": value, "unit": medication.quantity.unit }),
    }
}
