//! Medication: one record medicine per `MedicationStatement`, with its `Medication`
//! (the product), its plan (`MedicationRequest` intent `plan`, the statement's
//! `basedOn`: type, authorisation, quantity, who authorised it, why it was stopped) and
//! its issues (every `MedicationRequest` intent `order` based on that plan).
//!
//! - The dose "No information available" is GP Connect's way of saying there is none:
//!   it reads as an empty dose.
//! - The prescribing agency `prescribed-by-another-organisation` makes the medicine
//!   prescribed elsewhere, by the organisation the writer names in the note ("Prescribed
//!   by …"); the ODS code and the setting are not in the Bundle (the setting reads as a
//!   specialist clinic).
//! - The plan's `authoredOn` is when the current authorisation began; for an acute or
//!   elsewhere-prescribed medicine it only counts as an authorisation date when it is
//!   not simply the start date (the writer sends the start when there is none).
//! - The review date is the plan's `repeatInformation.authorisationExpiryDate` (GP
//!   systems set the authorisation to expire at its review); an order's is never read.
//! - Issues keep the writer's order (its order ids number them from 1, oldest first);
//!   other systems' orders are sorted by date. An issue with no date cannot be placed
//!   on the timeline and is counted in a warning instead.
//!
//! As other suppliers send it (GP Connect 1.6's MedicationStatement and MedicationRequest
//! pages):
//! - the start is `effectivePeriod.start`, else `effectiveDateTime` (STU3 allows both),
//!   else the plan's `authoredOn` or `validityPeriod.start`; a completed medicine with no
//!   end completed when it started (an acute issued once);
//! - `numberOfRepeatPrescriptionsAllowed` may be `valuePositiveInt` or
//!   `valueUnsignedInt`;
//! - a plan with no `prescriptionType` is legacy data (the page says the supplier leaves
//!   it out): it reads as repeat when the plan carries repeat information, else acute,
//!   and the clinician is told the practice recorded no type;
//! - dates may be partial where the profile allows a `dateTime` (the first day they can
//!   mean).

use std::collections::HashMap;

use openmig_domain::record::{
    EntryMeta, Issue, Medication, MedicationStatus, PrescribingSetting, PrescriptionSource, PrescriptionType, Product,
    Quantity,
};
use openmig_domain::{EntryId, PartialDate};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::entries::issue_number;
use super::values::{
    code_in, concept_text, extension, first, nonblank, notes, number, optional_date, optional_first_day, partial_date,
    required_date, snomed, text, whole,
};
use super::{NotRead, Reader, Section, invalid};

const STATEMENT: &str = "MedicationStatement";
const REQUEST: &str = "MedicationRequest";

/// GP Connect's dose text when the record holds none (gpconnect.md §3).
const NO_DOSE: &str = "No information available";

/// Every medicine, registering each plan and order as an alias of its medicine's entry.
pub(super) fn read(reader: &mut Reader<'_>) -> Vec<Medication> {
    let mut orders: HashMap<ResId, Vec<ResId>> = HashMap::new();
    let mut orphans = 0usize;
    for id in reader.of_kind(REQUEST) {
        let resource = reader.resource(id);
        if text(resource, "intent") != Some("order") || text(resource, "status") == Some("entered-in-error") {
            continue;
        }
        let plan = first(resource, "basedOn")
            .and_then(|based_on| reader.index.target_of(based_on, id, "MedicationRequest.basedOn", REQUEST).ok())
            .flatten();
        match plan {
            Some(plan) => orders.entry(plan).or_default().push(id),
            None => orphans += 1,
        }
    }
    let mut out = Vec::new();
    let mut undated_issues = 0usize;
    for id in reader.of_kind(STATEMENT) {
        let read = reader.item(id, Section::Medications, |reader| medication(reader, id, &mut orders));
        if let Some((medication, undated)) = read {
            undated_issues += undated;
            out.push(medication);
        }
    }
    let unread = orphans + orders.values().map(Vec::len).sum::<usize>();
    if unread > 0 {
        reader.warnings.push(format!("{unread} prescription issue(s) not linked to a medication are not shown."));
    }
    if undated_issues > 0 {
        reader.warnings.push(format!("{undated_issues} prescription issue(s) without a date are not shown."));
    }
    out
}

/// One medicine, and how many of its issues had no date; `None` when the statement was
/// entered in error. Takes its orders out of `orders`.
fn medication(
    reader: &mut Reader<'_>,
    id: ResId,
    orders: &mut HashMap<ResId, Vec<ResId>>,
) -> Result<Option<(Medication, usize)>, NotRead> {
    let statement = reader.resource(id);
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let status_text = text(statement, "status");
    if status_text == Some("entered-in-error") {
        return Ok(None);
    }
    let product = product(reader, statement, id)?;
    let plan = match first(statement, "basedOn") {
        Some(based_on) => reader.index.target_of(based_on, id, "MedicationStatement.basedOn", REQUEST)?,
        None => None,
    };
    let Some(plan_id) = plan else { return Err(invalid(STATEMENT, "no plan (basedOn)")) };
    let plan = reader.resource(plan_id);
    reader.entries.alias(plan_id, entry);

    let period = &statement["effectivePeriod"];
    let started = [
        &period["start"],
        &statement["effectiveDateTime"],
        &plan["authoredOn"],
        &plan["dispenseRequest"]["validityPeriod"]["start"],
    ]
    .into_iter()
    .find(|date| !date.is_null())
    .map(|date| required_date(date, STATEMENT, "effective[x]"))
    .transpose()?
    .ok_or_else(|| invalid(STATEMENT, "no effective date, and a plan with no authoredOn"))?;
    let ended = optional_date(&period["end"], STATEMENT, "effectivePeriod.end")?;
    let status_reason = extension(plan, urls::STATUS_REASON_EXTENSION);
    let status = match status_text {
        Some("active" | "intended" | "on-hold") => MedicationStatus::Active,
        Some("completed") => MedicationStatus::Completed { on: ended.unwrap_or(started) },
        Some("stopped") => {
            let changed = match status_reason.and_then(|r| extension(r, "statusChangeDate")) {
                Some(part) => optional_first_day(&part["valueDateTime"], REQUEST, "statusChangeDate")?,
                None => None,
            };
            let on = changed
                .or_else(|| ended.map(PartialDate::earliest))
                .ok_or_else(|| invalid(STATEMENT, "stopped with no day it was stopped"))?;
            let reason = status_reason
                .and_then(|r| extension(r, "statusReason"))
                .and_then(|part| part.get("valueCodeableConcept"))
                .and_then(concept_text)
                .unwrap_or_default()
                .to_owned();
            MedicationStatus::Discontinued { on, reason }
        }
        _ => return Err(invalid(STATEMENT, "status is not a medication status")),
    };

    let dosage = first(statement, "dosage").or_else(|| first(plan, "dosageInstruction"));
    let dose = dosage.and_then(|d| text(d, "text")).filter(|d| *d != NO_DOSE).unwrap_or_default().to_owned();
    let patient_instructions = dosage.and_then(|d| text(d, "patientInstruction")).map(str::to_owned);

    let elsewhere = extension(statement, urls::PRESCRIBING_AGENCY_EXTENSION)
        .and_then(|agency| agency.get("valueCodeableConcept"))
        .and_then(|concept| code_in(concept, urls::PRESCRIBING_AGENCY_SYSTEM))
        == Some(urls::PRESCRIBED_BY_ANOTHER_ORGANISATION.0);
    let source = if elsewhere {
        let note = notes(statement).unwrap_or_default();
        let organisation = note.strip_prefix("Prescribed by ").unwrap_or(&note).to_owned();
        PrescriptionSource::Elsewhere { organisation, ods_code: None, setting: PrescribingSetting::SpecialistClinic }
    } else {
        let agent = plan.get("requester").map_or(&Value::Null, |r| &r["agent"]);
        PrescriptionSource::Practice { authoriser: reader.clinician(agent, plan_id) }
    };

    let repeat_information = extension(plan, urls::REPEAT_INFORMATION_EXTENSION);
    let prescription_type = match prescription_type(plan)? {
        Some(recorded) => recorded,
        None => {
            let legacy = if repeat_information.is_some() { PrescriptionType::Repeat } else { PrescriptionType::Acute };
            reader.warnings.push(format!(
                "{}: the practice recorded no prescription type; shown as {}.",
                product.name,
                legacy.label().to_lowercase()
            ));
            legacy
        }
    };
    let repeat_at_practice = prescription_type.is_repeat() && !elsewhere;
    let authorised_issues = repeat_information
        .and_then(|r| extension(r, "numberOfRepeatPrescriptionsAllowed"))
        .and_then(|part| part.get("valuePositiveInt").or_else(|| part.get("valueUnsignedInt")))
        .and_then(whole::<u32>);
    // The review date rides on the plan's authorisation expiry (see the writer's
    // `repeat_information`); orders never carry it, so they are not looked at. Another
    // system may send only a month or a year: the review is then taken as due at its
    // earliest day, so it is flagged no later than it falls due.
    let review_due = match repeat_information.and_then(|r| extension(r, "authorisationExpiryDate")) {
        Some(part) => optional_first_day(&part["valueDateTime"], REQUEST, "authorisationExpiryDate")?,
        None => None,
    };
    let authored = optional_date(&plan["authoredOn"], REQUEST, "authoredOn")?;
    let authorised_from = authored.filter(|date| repeat_at_practice || *date != started).and_then(PartialDate::day);

    let quantity = quantity(&plan["dispenseRequest"]);
    let recorded_by = reader.clinician(&plan["recorder"], plan_id);
    let recorded_on = optional_first_day(&statement["dateAsserted"], STATEMENT, "dateAsserted")?
        .unwrap_or_else(|| started.earliest());

    let mut issues = Vec::new();
    let mut undated = 0;
    for order in orders.remove(&plan_id).unwrap_or_default() {
        reader.entries.alias(order, entry);
        match issue(reader, order, entry) {
            Some(issue) => issues.push(issue),
            None => undated += 1,
        }
    }
    if issues.iter().all(|(n, _)| n.is_some()) {
        issues.sort_by_key(|(n, _)| *n);
    } else {
        issues.sort_by_key(|(_, issue)| issue.date);
    }

    let medication = Medication {
        meta: EntryMeta { id: entry, recorded_on, recorded_by, confidential: false },
        product,
        dose,
        patient_instructions,
        quantity,
        prescription_type,
        started,
        status,
        authorised_issues,
        authorised_from,
        review_due,
        source,
        issues: issues.into_iter().map(|(_, issue)| issue).collect(),
    };
    Ok(Some((medication, undated)))
}

/// The dm+d product: the referenced `Medication`'s code (or the statement's own
/// `medicationCodeableConcept`).
fn product(reader: &Reader<'_>, statement: &Value, id: ResId) -> Result<Product, NotRead> {
    let concept = match statement.get("medicationReference") {
        Some(reference) => {
            let medication = reader
                .index
                .target_of(reference, id, "MedicationStatement.medicationReference", "Medication")?
                .ok_or_else(|| invalid(STATEMENT, "medicationReference names no Medication"))?;
            &reader.resource(medication)["code"]
        }
        None => &statement["medicationCodeableConcept"],
    };
    let coded = snomed(concept).ok_or_else(|| invalid("Medication", "code is not SNOMED CT (dm+d)"))?;
    Ok(Product { code: coded.code, name: coded.display })
}

/// The quantity to dispense: `quantity` as a number and unit, else the quantity as text
/// (`MedicationQuantityText`, on `quantity` as GP Connect's MedicationRequest page places
/// it, or on `dispenseRequest` itself).
fn quantity(dispense: &Value) -> Quantity {
    let measured = &dispense["quantity"];
    if let Some(value) = number(&measured["value"]) {
        let unit = text(measured, "unit").or_else(|| text(measured, "code")).unwrap_or_default();
        return Quantity::measured(value, unit);
    }
    let written = extension(measured, urls::MEDICATION_QUANTITY_TEXT_EXTENSION)
        .or_else(|| extension(dispense, urls::MEDICATION_QUANTITY_TEXT_EXTENSION))
        .and_then(|e| nonblank(e, "valueString"));
    match written {
        Some(words) => Quantity::as_text(words),
        None => Quantity::measured(0.0, ""),
    }
}

/// The plan's `prescriptionType`, `None` when it has none (legacy data). A delayed
/// prescription is an acute one.
fn prescription_type(plan: &Value) -> Result<Option<PrescriptionType>, NotRead> {
    let Some(concept) = extension(plan, urls::PRESCRIPTION_TYPE_EXTENSION).and_then(|e| e.get("valueCodeableConcept"))
    else {
        return Ok(None);
    };
    match code_in(concept, urls::PRESCRIPTION_TYPE_SYSTEM) {
        Some("acute" | "delayed-prescribing") => Ok(Some(PrescriptionType::Acute)),
        Some("repeat") => Ok(Some(PrescriptionType::Repeat)),
        Some("repeat-dispensing") => Ok(Some(PrescriptionType::RepeatDispensing)),
        _ => Err(invalid(REQUEST, "prescriptionType is not a prescription type")),
    }
}

/// One issue, with its number when the writer numbered it; `None` when it has no date
/// (`authoredOn`, else `dispenseRequest.validityPeriod.start`, at any precision).
fn issue(reader: &Reader<'_>, order: ResId, entry: EntryId) -> Option<(Option<usize>, Issue)> {
    let resource = reader.resource(order);
    let dispense = &resource["dispenseRequest"];
    let date = [&resource["authoredOn"], &dispense["validityPeriod"]["start"]]
        .into_iter()
        .find_map(|date| date.as_str().and_then(partial_date))?
        .earliest();
    // Days' supply: whole days, else unknown (0), as the domain keeps it.
    let days_supply = dispense["expectedSupplyDuration"].get("value").and_then(whole::<u16>).unwrap_or(0);
    let recorder = &resource["recorder"];
    let issued_by = if recorder.is_null() {
        let agent = resource.get("requester").map_or(&Value::Null, |r| &r["agent"]);
        reader.clinician(agent, order)
    } else {
        reader.clinician(recorder, order)
    };
    let quantity = number(&dispense["quantity"]["value"]).unwrap_or_default();
    let issue_number = text(resource, "id").and_then(|id| issue_number(id, reader.nhs, entry));
    Some((issue_number, Issue { date, quantity, days_supply, issued_by }))
}
