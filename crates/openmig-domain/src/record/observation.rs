//! Observations and test results.

use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::dates::PartialDate;

/// A measurement, test result or coded finding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Common entry data.
    pub meta: EntryMeta,
    /// What was observed, e.g. 999791000000106 HbA1c (IFCC).
    pub code: Coded,
    /// When it was measured.
    pub effective: PartialDate,
    /// Vital sign, laboratory result, social history, or none said.
    pub category: ObservationCategory,
    /// The value.
    pub value: ObservationValue,
    /// The laboratory's reference range, when it gave one.
    pub reference_range: Option<ReferenceRange>,
    /// Comment from the clinician or laboratory.
    pub comment: Option<String>,
}

/// Broad grouping, as FHIR `Observation.category` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObservationCategory {
    /// Blood pressure, pulse, weight, BMI…
    VitalSigns,
    /// A laboratory test result.
    Laboratory,
    /// Smoking, alcohol…
    SocialHistory,
    /// Recorded by the practice without a category (GP Connect's "uncategorised data"
    /// carries none): neither vital sign nor social history is claimed for it.
    Uncategorised,
}

/// The value of an observation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ObservationValue {
    /// A number with a UCUM unit.
    Quantity {
        /// The number.
        value: f64,
        /// UCUM unit, e.g. `mmol/mol`.
        unit: String,
    },
    /// A panel of components, e.g. blood pressure (systolic and diastolic).
    Components(Vec<ObservationComponent>),
    /// A coded finding without a value (e.g. "Ex-smoker").
    Finding,
}

/// One component of a panel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObservationComponent {
    /// The component code.
    pub code: Coded,
    /// Its value.
    pub value: f64,
    /// UCUM unit.
    pub unit: String,
}

/// A reference range (either end may be open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceRange {
    /// Lower limit of normal.
    pub low: Option<f64>,
    /// Upper limit of normal.
    pub high: Option<f64>,
    /// The range as the laboratory wrote it, when it did (e.g. "Less than 5.0", or a range
    /// that differs by age or sex): shown as written, beside or instead of the limits.
    pub text: Option<String>,
}

impl Observation {
    /// The single numeric value, when the observation has one.
    pub fn numeric_value(&self) -> Option<f64> {
        match &self.value {
            ObservationValue::Quantity { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// True when a numeric value lies outside the reference range.
    pub fn is_outside_range(&self) -> bool {
        match (self.numeric_value(), &self.reference_range) {
            (Some(v), Some(range)) => range.low.is_some_and(|l| v < l) || range.high.is_some_and(|h| v > h),
            _ => false,
        }
    }
}
