//! The uncategorised area: `Observation` (`CareConnect-GPC-Observation-1`) in the
//! "Miscellaneous record" List, for every observation that is not a laboratory result
//! (vital signs, social history). Laboratory results belong to investigations (see the
//! investigations module, which reuses [`observation_resource`] for them).
//!
//! `uncategorisedDataSearchPeriod` (gpconnect.md §1): the period is inclusive at both
//! ends, and "partial recorded dates are treated as the whole year/month interval when
//! compared", so an observation dated only `2019` is returned for any period that
//! touches 2019. ("Items with unknown date are returned alongside date-filtered
//! results": every observation in the record has a date, so there are none.)
//!
//! Values: a number is `valueQuantity` with its UCUM unit; a panel (blood pressure) is
//! `component`s, each with its own `valueQuantity`; a coded finding (e.g. "Ex-smoker")
//! has no value. The reference range carries the observation's unit when it has one.
//! `performer` is the clinician who recorded the entry (the record has no separate
//! performer); `issued` (an instant) is not sent, since the record keeps no time.

use chrono::NaiveDate;
use openmig_domain::record::{Observation, ObservationCategory, ObservationValue, ReferenceRange};
use openmig_domain::{GpRecord, PartialDate};
use serde_json::{Value, json};

use super::context::Context;
use super::lists::ListBuilder;
use super::withholding::is_withheld;
use super::{UncategorisedOptions, ids, local_date_time, partial, profile_meta, snomed_concept, urls};

/// The area's List followed by its resources.
pub(crate) fn area(cx: &mut Context<'_>, record: &GpRecord, options: &UncategorisedOptions) -> Vec<Value> {
    let mut list = ListBuilder::new(urls::UNCATEGORISED_LIST);
    let mut resources = Vec::new();
    for observation in record.observations.iter().filter(|o| is_uncategorised(o)) {
        if !in_period(observation.effective, options.period) {
            continue;
        }
        if withheld(observation) {
            list.withheld();
            continue;
        }
        list.item(reference(cx, observation));
        resources.push(observation_resource(cx, observation));
    }
    let mut out = vec![list.build(cx)];
    out.extend(resources);
    out
}

/// True for the observations this area maps (everything but laboratory results).
pub(crate) fn is_uncategorised(observation: &Observation) -> bool {
    observation.category != ObservationCategory::Laboratory
}

/// True when some day the (possibly partial) date could mean lies in the inclusive
/// period; no period means every observation.
fn in_period(date: PartialDate, period: Option<(NaiveDate, NaiveDate)>) -> bool {
    period.is_none_or(|(start, end)| date.latest() >= start && date.earliest() <= end)
}

/// True when the observation must not leave the practice.
pub(crate) fn withheld(observation: &Observation) -> bool {
    let components = match &observation.value {
        ObservationValue::Components(parts) => parts.iter().map(|c| c.code.code).collect(),
        _ => Vec::new(),
    };
    is_withheld(&observation.meta, std::iter::once(observation.code.code).chain(components))
}

/// `Observation/…`.
pub(crate) fn reference(cx: &Context<'_>, observation: &Observation) -> String {
    format!("Observation/{}", ids::entry("observation", cx.nhs, observation.meta.id))
}

/// `CareConnect-GPC-Observation-1`. The caller has checked [`withheld`] and
/// [`is_uncategorised`].
pub(crate) fn observation_resource(cx: &mut Context<'_>, observation: &Observation) -> Value {
    let mut resource = json!({
        "resourceType": "Observation",
        "id": ids::entry("observation", cx.nhs, observation.meta.id),
        "meta": profile_meta(urls::OBSERVATION_PROFILE),
        "status": "final",
        "code": snomed_concept(observation.code.code, &observation.code.display),
        "subject": cx.patient_ref(),
        "effectiveDateTime": partial(observation.effective),
    });
    // GP Connect: uncategorised data carries no `category` (not in use); a test result
    // is `laboratory`. `issued` (mandatory) is when the entry was made.
    if let Some(category) = category(observation.category) {
        resource["category"] = json!([category]);
    }
    resource["issued"] = json!(local_date_time(observation.meta.recorded_on.and_time(chrono::NaiveTime::MIN)));
    if let Some(performer) = cx.practitioner_ref(&observation.meta.recorded_by) {
        resource["performer"] = json!([performer]);
    }
    let mut unit = None;
    match &observation.value {
        ObservationValue::Quantity { value, unit: u } => {
            resource["valueQuantity"] = quantity(*value, u);
            unit = Some(u.as_str());
        }
        ObservationValue::Components(parts) => {
            resource["component"] = parts
                .iter()
                .map(|c| {
                    json!({
                        "code": snomed_concept(c.code.code, &c.code.display),
                        "valueQuantity": quantity(c.value, &c.unit),
                    })
                })
                .collect();
        }
        ObservationValue::Finding => {}
    }
    if let Some(range) = &observation.reference_range {
        resource["referenceRange"] = json!([reference_range(range, unit)]);
    }
    if let Some(comment) = &observation.comment {
        resource["comment"] = json!(comment);
    }
    resource
}

fn quantity(value: f64, unit: &str) -> Value {
    json!({ "value": value, "unit": unit, "system": urls::UCUM, "code": unit })
}

fn reference_range(range: &ReferenceRange, unit: Option<&str>) -> Value {
    let bound = |value: f64| match unit {
        Some(unit) => quantity(value, unit),
        None => json!({ "value": value }),
    };
    let mut out = json!({});
    if let Some(low) = range.low {
        out["low"] = bound(low);
    }
    if let Some(high) = range.high {
        out["high"] = bound(high);
    }
    if let Some(text) = &range.text {
        out["text"] = json!(text);
    }
    out
}

/// The category coding: `laboratory` for a test result, none for uncategorised data
/// (whatever the record calls it: GP Connect has no place for vital signs or social
/// history as such).
fn category(category: ObservationCategory) -> Option<Value> {
    let (code, display) = match category {
        ObservationCategory::Laboratory => ("laboratory", "Laboratory"),
        ObservationCategory::VitalSigns | ObservationCategory::SocialHistory | ObservationCategory::Uncategorised => {
            return None;
        }
    };
    Some(json!({ "coding": [{ "system": urls::OBSERVATION_CATEGORY_SYSTEM, "code": code, "display": display }] }))
}
