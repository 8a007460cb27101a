//! Observations: uncategorised ones (vital signs, social history) and laboratory results,
//! the Observations a `DiagnosticReport` lists in `result`. Consultation narratives
//! (read with their Encounter) are not observations of the record.
//!
//! - Category: a result of a report is a laboratory result; otherwise the category
//!   coding says (`vital-signs`, `social-history`, `laboratory`), and an Observation
//!   with none of those reads as a vital sign.
//! - Value: `valueQuantity` is a number with its unit, `component`s a panel, anything
//!   else a coded finding (a `valueString`, which the writer never sends, goes in front
//!   of the comment so it is not lost).
//! - Recorded date: the Observation's `issued` when sent; else its report's `issued` (the
//!   writer's is the latest day any result of the report was recorded); else the first
//!   day the effective date can mean. The recorder is the first `performer`.

use std::collections::HashMap;

use chrono::NaiveDate;
use openmig_domain::record::{
    EntryMeta, Observation, ObservationCategory, ObservationComponent, ObservationValue, ReferenceRange,
};
use serde_json::Value;

use super::super::urls;
use super::bundle::ResId;
use super::values::{array, code_in, first, number, optional_day, required_date, snomed, text};
use super::{ReadError, Reader, invalid};

const KIND: &str = "Observation";

/// Every observation except the consultation narratives.
pub(super) fn read(reader: &mut Reader<'_>, narratives: &HashMap<ResId, ResId>) -> Result<Vec<Observation>, ReadError> {
    let mut reported: HashMap<ResId, Option<NaiveDate>> = HashMap::new();
    for report in reader.of_kind("DiagnosticReport") {
        let resource = reader.resource(report);
        let issued = optional_day(&resource["issued"], "DiagnosticReport", "issued")?;
        for result in array(resource, "result") {
            let target = reader.index.target_of(result, report, "DiagnosticReport.result", KIND)?;
            if let Some(observation) = target {
                reported.entry(observation).or_insert(issued);
            }
        }
    }
    let mut out = Vec::new();
    for id in reader.of_kind(KIND) {
        if narratives.contains_key(&id) {
            continue;
        }
        let resource = reader.resource(id);
        if matches!(text(resource, "status"), Some("entered-in-error" | "cancelled")) {
            continue;
        }
        let Some(entry) = reader.entries.get(id) else { continue };
        let code = snomed(&resource["code"]).ok_or_else(|| invalid(KIND, "code is not SNOMED CT"))?;
        let effective = match resource.get("effectiveDateTime") {
            Some(date) => required_date(date, KIND, "effectiveDateTime")?,
            None => required_date(&resource["effectivePeriod"]["start"], KIND, "effectiveDateTime")?,
        };
        let category = if reported.contains_key(&id) { ObservationCategory::Laboratory } else { category(resource) };
        let (value, value_text) = value(resource)?;
        let comment = match (value_text, text(resource, "comment")) {
            (Some(value), Some(comment)) => Some(format!("{value}\n{comment}")),
            (Some(value), None) => Some(value.to_owned()),
            (None, comment) => comment.map(str::to_owned),
        };
        let issued = optional_day(&resource["issued"], KIND, "issued")?;
        let recorded_on = issued.or(reported.get(&id).copied().flatten()).unwrap_or(effective.earliest());
        let performer = first(resource, "performer").unwrap_or(&Value::Null);
        let recorded_by = reader.clinician(performer, id, "Observation.performer")?;
        out.push(Observation {
            meta: EntryMeta { id: entry, recorded_on, recorded_by, confidential: false },
            code,
            effective,
            category,
            value,
            reference_range: first(resource, "referenceRange").map(|range| ReferenceRange {
                low: number(&range["low"]["value"]),
                high: number(&range["high"]["value"]),
            }),
            comment,
        });
    }
    Ok(out)
}

/// The category coding's meaning; a vital sign when it has none openmig knows.
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
    ObservationCategory::VitalSigns
}

/// The value, and a `valueString` to keep as text.
fn value(resource: &Value) -> Result<(ObservationValue, Option<&str>), ReadError> {
    if let Some(quantity) = resource.get("valueQuantity") {
        return Ok((quantity_value(quantity)?, None));
    }
    let components = array(resource, "component");
    if !components.is_empty() {
        let mut parts = Vec::new();
        for component in components {
            let code =
                snomed(&component["code"]).ok_or_else(|| invalid(KIND, "a component's code is not SNOMED CT"))?;
            let ObservationValue::Quantity { value, unit } = quantity_value(&component["valueQuantity"])? else {
                return Err(invalid(KIND, "a component has no valueQuantity"));
            };
            parts.push(ObservationComponent { code, value, unit });
        }
        return Ok((ObservationValue::Components(parts), None));
    }
    Ok((ObservationValue::Finding, text(resource, "valueString")))
}

fn quantity_value(quantity: &Value) -> Result<ObservationValue, ReadError> {
    let value = number(&quantity["value"]).ok_or_else(|| invalid(KIND, "a quantity has no number"))?;
    let unit = text(quantity, "unit").or_else(|| text(quantity, "code")).unwrap_or_default();
    Ok(ObservationValue::Quantity { value, unit: unit.to_owned() })
}
