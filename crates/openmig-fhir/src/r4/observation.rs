//! `UKCore-Observation`: vital signs, laboratory results and social history.
//!
//! - `category` is the record's own grouping in R4 `observation-category` (`vital-signs`,
//!   `laboratory`, `social-history`).
//! - A number is `valueQuantity` with its UCUM unit (the record keeps units in UCUM); a
//!   panel such as blood pressure is `component`s, each with its own quantity; a coded
//!   finding ("Ex-smoker") is the code alone, with no value.
//! - `referenceRange` carries the observation's unit; `interpretation` is `L` or `H`
//!   (R4 `v3-ObservationInterpretation`) when a single number lies below or above a
//!   documented limit.
//! - `effectiveDateTime` keeps its recorded precision; `issued` (an instant) is not
//!   sent, since the record keeps no time.
//! - `performer` is the recording clinician for vital signs and social history; for a
//!   laboratory result the laboratory performed it and the record does not say which,
//!   so no performer is sent.
//! - The clinician's or laboratory's comment is an R4 `note`.

use openmig_domain::record::{Observation, ObservationCategory, ObservationValue, ReferenceRange};
use serde_json::{Value, json};

use super::context::Context;
use super::{coding, decimal, ids, meta, non_empty, partial, snomed_concept, urls, withholding};

/// Every Observation of the patient, shared observations in record order.
pub(crate) fn resources(cx: &Context<'_>) -> Vec<Value> {
    cx.record.observations.iter().filter(|o| !withholding::observation(o)).map(|o| observation(cx, o)).collect()
}

fn observation(cx: &Context<'_>, observation: &Observation) -> Value {
    let mut resource = json!({
        "resourceType": "Observation",
        "id": ids::entry("observation", cx.nhs, observation.meta.id),
        "meta": meta(urls::profiles::OBSERVATION),
        "status": "final",
        "code": snomed_concept(observation.code.code, &observation.code.display),
        "subject": cx.patient_ref(),
    });
    if let Some(category) = category(observation.category) {
        resource["category"] = json!([category]);
    }
    if let Some(encounter) = cx.encounter_of(observation.meta.id) {
        resource["encounter"] = encounter;
    }
    resource["effectiveDateTime"] = json!(partial(observation.effective));
    if observation.category != ObservationCategory::Laboratory
        && let Some(performer) = cx.practitioner_ref(&observation.meta.recorded_by)
    {
        resource["performer"] = json!([performer]);
    }
    let mut unit = None;
    match &observation.value {
        ObservationValue::Quantity { value, unit: u } => {
            if let Some(quantity) = quantity(*value, u) {
                resource["valueQuantity"] = quantity;
                unit = Some(u.as_str());
            }
        }
        ObservationValue::Components(parts) => {
            let components: Vec<Value> = parts
                .iter()
                .map(|c| {
                    let mut component = json!({ "code": snomed_concept(c.code.code, &c.code.display) });
                    if let Some(quantity) = quantity(c.value, &c.unit) {
                        component["valueQuantity"] = quantity;
                    }
                    component
                })
                .collect();
            if !components.is_empty() {
                resource["component"] = json!(components);
            }
        }
        ObservationValue::Finding => {}
    }
    if let Some((code, display)) = interpretation(observation) {
        resource["interpretation"] =
            json!([{ "coding": [coding(urls::OBSERVATION_INTERPRETATION_SYSTEM, code, Some(display))] }]);
    }
    if let Some(comment) = observation.comment.as_deref().and_then(non_empty) {
        resource["note"] = json!([{ "text": comment }]);
    }
    if let Some(range) = observation.reference_range.as_ref().and_then(|r| reference_range(r, unit)) {
        resource["referenceRange"] = json!([range]);
    }
    resource
}

/// A UCUM quantity; `None` for a number JSON cannot carry.
fn quantity(value: f64, unit: &str) -> Option<Value> {
    let mut out = json!({ "value": decimal(value)? });
    if let Some(unit) = non_empty(unit) {
        out["unit"] = json!(unit);
        out["system"] = json!(urls::UCUM);
        out["code"] = json!(unit);
    }
    Some(out)
}

/// The range with the observation's unit; `None` when neither limit is usable (R4
/// obs-3 asks for at least a low, a high or a text).
fn reference_range(range: &ReferenceRange, unit: Option<&str>) -> Option<Value> {
    let bound = |value: f64| match unit {
        Some(unit) => quantity(value, unit),
        None => decimal(value).map(|v| json!({ "value": v })),
    };
    let mut out = json!({});
    if let Some(low) = range.low.and_then(bound) {
        out["low"] = low;
    }
    if let Some(high) = range.high.and_then(bound) {
        out["high"] = high;
    }
    if let Some(text) = &range.text {
        out["text"] = json!(text);
    }
    out.as_object().is_some_and(|o| !o.is_empty()).then_some(out)
}

/// `L` below the documented lower limit, `H` above the upper one.
fn interpretation(observation: &Observation) -> Option<(&'static str, &'static str)> {
    let value = observation.numeric_value()?;
    let range = observation.reference_range.as_ref()?;
    if range.low.is_some_and(|low| value < low) {
        Some(("L", "Low"))
    } else if range.high.is_some_and(|high| value > high) {
        Some(("H", "High"))
    } else {
        None
    }
}

/// The category coding; `None` for an observation the practice did not categorise.
fn category(category: ObservationCategory) -> Option<Value> {
    let (code, display) = match category {
        ObservationCategory::VitalSigns => ("vital-signs", "Vital Signs"),
        ObservationCategory::Laboratory => ("laboratory", "Laboratory"),
        ObservationCategory::SocialHistory => ("social-history", "Social History"),
        ObservationCategory::Uncategorised => return None,
    };
    Some(json!({ "coding": [coding(urls::OBSERVATION_CATEGORY_SYSTEM, code, Some(display))] }))
}
