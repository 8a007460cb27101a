//! Allergies and intolerances, and the coded "no known allergies" statement.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Coded, EntryMeta};
use crate::dates::PartialDate;

/// An allergy or intolerance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allergy {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The coded allergy, e.g. 91936005 "Allergy to penicillin".
    pub code: Coded,
    /// The causative substance when coded separately.
    pub substance: Option<Coded>,
    /// Medication, food or environment.
    pub category: AllergyCategory,
    /// The reaction seen, when recorded.
    pub reaction: Option<Reaction>,
    /// When it started, as precisely as known.
    pub onset: Option<PartialDate>,
    /// When the clinician asserted it.
    pub asserted: PartialDate,
    /// Active, or resolved with when and why.
    pub status: AllergyStatus,
    /// The potential for a serious reaction next time, when assessed (FHIR
    /// `criticality`: distinct from how bad the reaction was).
    pub criticality: Option<Criticality>,
    /// The clinician's notes, as written.
    pub notes: Option<String>,
}

/// FHIR `AllergyIntolerance.criticality`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Criticality {
    /// Low risk of a serious reaction.
    Low,
    /// High risk: a future reaction may be life-threatening.
    High,
    /// Could not be assessed.
    UnableToAssess,
}

impl Criticality {
    /// The FHIR code (the same in STU3 and R4).
    pub fn code(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::High => "high",
            Criticality::UnableToAssess => "unable-to-assess",
        }
    }

    /// The criticality a FHIR code names.
    pub fn from_code(code: &str) -> Option<Self> {
        [Criticality::Low, Criticality::High, Criticality::UnableToAssess].into_iter().find(|c| c.code() == code)
    }
}

impl Allergy {
    /// True while the allergy is current.
    pub fn is_active(&self) -> bool {
        matches!(self.status, AllergyStatus::Active)
    }
}

/// The GP Connect allergy categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AllergyCategory {
    /// A drug allergy or intolerance.
    Medication,
    /// A food allergy.
    Food,
    /// Anything else (latex, pollen, animal dander…).
    Environment,
}

/// A reaction and its severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reaction {
    /// What happened, e.g. 247472004 "Urticarial rash".
    pub manifestation: Coded,
    /// How bad it was, when recorded (FHIR makes it 0..1).
    pub severity: Option<Severity>,
}

/// Reaction severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Severity {
    /// Mild.
    Mild,
    /// Moderate.
    Moderate,
    /// Severe (anaphylaxis and the like).
    Severe,
}

impl Severity {
    /// Label for screens.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Mild => "mild",
            Severity::Moderate => "moderate",
            Severity::Severe => "severe",
        }
    }
}

/// Whether the allergy still applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllergyStatus {
    /// Current.
    Active,
    /// No longer applies (e.g. disproved by challenge).
    Resolved {
        /// When it was ended.
        on: PartialDate,
        /// Why, e.g. "Tolerated amoxicillin challenge".
        reason: String,
    },
}

/// A coded statement that the patient has no known allergies (716186003) or no known
/// drug allergies (409137002).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoKnownAllergies {
    /// Common entry data.
    pub meta: EntryMeta,
    /// 716186003 or 409137002.
    pub code: Coded,
    /// When it was asserted.
    #[serde(with = "crate::dates::serde_day")]
    pub asserted: NaiveDate,
}
