//! Observations: uncategorised ones (vital signs, social history) and laboratory results,
//! the Observations a `DiagnosticReport` lists in `result`. Consultation narratives
//! (read with their Encounter) are not observations of the record.
//!
//! - Category: a result of a report is a laboratory result, and so is every member of
//!   a test group it lists (GP Connect's pathology structure: report → test group
//!   Observation → `related` `has-member` results); otherwise the category coding says
//!   (`vital-signs`, `social-history`, `laboratory`), and an Observation with none of
//!   those is uncategorised, as GP Connect sends its uncategorised data.
//! - Value: `valueQuantity` is a number with its unit, `component`s a panel, anything
//!   else a coded finding. A value of another type (`valueString`, a coded value's
//!   text, a boolean, a range, a date, which openmig's writer never sends) goes in front
//!   of the comment, and so does a component that is not a coded quantity, so that
//!   nothing the practice wrote is lost.
//! - Effective date: `effectiveDateTime`, else `effectivePeriod.start`, else (it is 0..1)
//!   when its Specimen was collected, else the day it (or its report) was issued.
//! - Recorded date: the Observation's `issued` when sent; else its report's `issued` (the
//!   writer's is the latest day any result of the report was recorded); else the first
//!   day the effective date can mean. The recorder is the first `performer`.

use std::collections::HashMap;

use chrono::NaiveDate;
use openmig_domain::PartialDate;
use openmig_domain::record::{
    EntryMeta, Observation, ObservationCategory, ObservationComponent, ObservationValue, ReferenceRange,
};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::values::{
    array, code_in, concept_text, first, nonblank, number, optional_date, optional_day, partial_date, required_date,
    snomed, text,
};
use super::{NotRead, Reader, Section, invalid};

const KIND: &str = "Observation";

/// How deep test groups may nest under a report (GP Connect uses one level).
const MAX_GROUP_DEPTH: usize = 3;

/// Every observation except the consultation narratives.
pub(super) fn read(reader: &mut Reader<'_>, narratives: &HashMap<ResId, ResId>) -> Vec<Observation> {
    let reported = reported(reader);
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        if narratives.contains_key(&id) {
            continue;
        }
        let section = if reported.contains_key(&id) { Section::TestResults } else { Section::Observations };
        if let Some(observation) = reader.item(id, section, |reader| observation(reader, id, &reported)) {
            out.push(observation);
        }
    }
    out
}

/// Every Observation a DiagnosticReport reports (its results and their test groups'
/// members), with the report's `issued` day.
fn reported(reader: &Reader<'_>) -> HashMap<ResId, Option<NaiveDate>> {
    let mut reported: HashMap<ResId, Option<NaiveDate>> = HashMap::new();
    for report in reader.of_kind("DiagnosticReport") {
        let resource = reader.resource(report);
        let issued = optional_day(&resource["issued"], "DiagnosticReport", "issued").ok().flatten();
        let mut level: Vec<(ResId, ResId)> = array(resource, "result")
            .iter()
            .map(|r| (report, r))
            .filter_map(|(from, r)| {
                let target = reader.index.target_of(r, from, "DiagnosticReport.result", KIND).ok().flatten()?;
                Some((from, target))
            })
            .collect();
        for _ in 0..=MAX_GROUP_DEPTH {
            let mut next = Vec::new();
            for (_, observation) in level {
                if reported.contains_key(&observation) {
                    continue;
                }
                reported.insert(observation, issued);
                for related in array(reader.resource(observation), "related") {
                    if text(related, "type") != Some("has-member") {
                        continue;
                    }
                    if let Ok(Some(member)) =
                        reader.index.target_of(&related["target"], observation, "Observation.related", KIND)
                    {
                        next.push((observation, member));
                    }
                }
            }
            level = next;
        }
    }
    reported
}

/// One observation; `None` when entered in error or cancelled.
fn observation(
    reader: &mut Reader<'_>,
    id: ResId,
    reported: &HashMap<ResId, Option<NaiveDate>>,
) -> Result<Option<Observation>, NotRead> {
    let resource = reader.resource(id);
    if matches!(text(resource, "status"), Some("entered-in-error" | "cancelled")) {
        return Ok(None);
    }
    let Some(entry) = reader.entries.get(id) else { return Ok(None) };
    let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
    let issued = optional_date(&resource["issued"], KIND, "issued")?;
    let report_issued = reported.get(&id).copied().flatten().map(PartialDate::Day);
    let effective = match (resource.get("effectiveDateTime"), resource.get("effectivePeriod")) {
        (Some(date), _) => required_date(date, KIND, "effectiveDateTime")?,
        (None, Some(period)) => required_date(&period["start"], KIND, "effectivePeriod.start")?,
        (None, None) => collected(reader, id)
            .or(issued)
            .or(report_issued)
            .ok_or_else(|| invalid(KIND, "no effective date, specimen collection date or issued date"))?,
    };
    let category = if reported.contains_key(&id) { ObservationCategory::Laboratory } else { category(resource) };
    let (value, mut said) = value(resource);
    if let Some(comment) = text(resource, "comment") {
        said.push(comment.to_owned());
    }
    let comment = (!said.is_empty()).then(|| said.join("\n"));
    let issued = issued.and_then(PartialDate::day);
    let recorded_on = issued.or(reported.get(&id).copied().flatten()).unwrap_or(effective.earliest());
    let performer = first(resource, "performer").unwrap_or(&Value::Null);
    let recorded_by = reader.clinician(performer, id);
    Ok(Some(Observation {
        meta: EntryMeta { id: entry, recorded_on, recorded_by, confidential: false },
        code,
        effective,
        category,
        value,
        reference_range: first(resource, "referenceRange").map(|range| ReferenceRange {
            low: number(&range["low"]["value"]),
            high: number(&range["high"]["value"]),
            text: nonblank(range, "text").map(str::to_owned),
        }),
        comment,
    }))
}

/// When the specimen the Observation was measured on was collected (GP Connect's test
/// results name their Specimen and may leave `effective[x]`, 0..1, out).
fn collected(reader: &Reader<'_>, id: ResId) -> Option<PartialDate> {
    let specimen = reader.index.target_of(&reader.resource(id)["specimen"], id, "", "Specimen").ok().flatten()?;
    let collection = &reader.resource(specimen)["collection"];
    let when = text(collection, "collectedDateTime").or_else(|| text(&collection["collectedPeriod"], "start"))?;
    partial_date(when)
}

/// The category coding's meaning; uncategorised when it has none openmig knows.
fn category(resource: &Value) -> ObservationCategory {
    let codes = array(resource, "category").iter().filter_map(|c| code_in(c, urls::OBSERVATION_CATEGORY_SYSTEM));
    for code in codes {
        match code {
            "vital-signs" => return ObservationCategory::VitalSigns,
            "social-history" => return ObservationCategory::SocialHistory,
            "laboratory" => return ObservationCategory::Laboratory,
            _ => {}
        }
    }
    ObservationCategory::Uncategorised
}

/// The value, and the lines of text the domain value cannot hold (a value of another
/// type, components that are not coded quantities).
fn value(resource: &Value) -> (ObservationValue, Vec<String>) {
    let mut said = Vec::new();
    if let Some(value) = quantity_value(&resource["valueQuantity"]) {
        return (value, said);
    }
    if let Some(text) = value_text(resource) {
        said.push(text);
    }
    let mut parts = Vec::new();
    for component in array(resource, "component") {
        match (snomed(&component["code"]), quantity_value(&component["valueQuantity"])) {
            (Some(code), Some(ObservationValue::Quantity { value, unit })) => {
                parts.push(ObservationComponent { code, value, unit });
            }
            _ => {
                let name = concept_text(&component["code"]).unwrap_or("Component");
                let value = value_text(component).unwrap_or_default();
                said.push(format!("{name}: {value}").trim_end_matches([' ', ':']).to_owned());
            }
        }
    }
    if parts.is_empty() { (ObservationValue::Finding, said) } else { (ObservationValue::Components(parts), said) }
}

/// A number with its unit; `None` when there is no number.
fn quantity_value(quantity: &Value) -> Option<ObservationValue> {
    let value = number(&quantity["value"])?;
    let unit = text(quantity, "unit").or_else(|| text(quantity, "code")).unwrap_or_default();
    Some(ObservationValue::Quantity { value, unit: unit.to_owned() })
}

/// A value that is not a number, as text: `valueString`, a coded value's text, a
/// boolean, a date or time, a range, or a quantity whose number is missing.
fn value_text(resource: &Value) -> Option<String> {
    if let Some(text) = text(resource, "valueString") {
        return Some(text.to_owned());
    }
    if let Some(text) = resource.get("valueCodeableConcept").and_then(concept_text) {
        return Some(text.to_owned());
    }
    if let Some(flag) = resource.get("valueBoolean").and_then(Value::as_bool) {
        return Some(if flag { "Yes" } else { "No" }.to_owned());
    }
    for field in ["valueDateTime", "valueTime"] {
        if let Some(text) = text(resource, field) {
            return Some(text.to_owned());
        }
    }
    if let Some(range) = resource.get("valueRange") {
        let end = |q: &Value| {
            number(&q["value"]).map(|n| format!("{n} {}", text(q, "unit").unwrap_or_default()).trim().to_owned())
        };
        return Some(format!(
            "{} to {}",
            end(&range["low"]).unwrap_or_default(),
            end(&range["high"]).unwrap_or_default()
        ));
    }
    text(&resource["valueQuantity"], "unit").map(str::to_owned)
}
