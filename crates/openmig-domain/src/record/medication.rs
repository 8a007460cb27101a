//! Prescribed items and their issues.
//!
//! A GP "medication" is an authorisation (the plan: drug, dose, type, how many issues
//! are authorised) and its issues (each prescription actually produced). Medicines
//! prescribed elsewhere (hospital-only drugs, specialist clinics) are recorded by the
//! practice for safety but never issued by it, so they carry the prescribing
//! organisation and no issues.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::EntryMeta;
use crate::dates::PartialDate;
use crate::identifiers::{OdsCode, SnomedCode};
use crate::practice::ClinicianId;

/// A medicine authorised for the patient.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    /// Common entry data.
    pub meta: EntryMeta,
    /// The dm+d product.
    pub product: Product,
    /// Dose instruction as written, e.g. "One tablet twice a day".
    pub dose: String,
    /// Additional patient instructions, e.g. "Take with food".
    pub patient_instructions: Option<String>,
    /// Quantity per issue.
    pub quantity: Quantity,
    /// Acute, repeat or repeat dispensing.
    pub prescription_type: PrescriptionType,
    /// When the medicine was started.
    pub started: PartialDate,
    /// Active, completed or discontinued.
    pub status: MedicationStatus,
    /// Number of issues authorised in the current authorisation (repeats); `None` for
    /// acute and elsewhere-prescribed medicines.
    pub authorised_issues: Option<u32>,
    /// When the current authorisation began. A repeat is re-authorised at review (GP
    /// Connect models each authorisation as its own plan); issues on or after this day
    /// count against `authorised_issues`. `None` for acute and elsewhere-prescribed.
    #[serde(with = "crate::dates::serde_day::option")]
    pub authorised_from: Option<NaiveDate>,
    /// When the authorisation is due for review.
    #[serde(with = "crate::dates::serde_day::option")]
    pub review_due: Option<NaiveDate>,
    /// Who prescribes it: the practice, or another organisation.
    pub source: PrescriptionSource,
    /// Every issue, oldest first. Always empty for medicines prescribed elsewhere.
    pub issues: Vec<Issue>,
}

/// A dm+d product (VMP or AMP).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Product {
    /// dm+d concept id.
    pub code: SnomedCode,
    /// dm+d name, e.g. "Apixaban 5mg tablets".
    pub name: String,
}

/// An amount with its unit, e.g. 56 tablet; or, when the practice recorded it as words,
/// those words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// How many (0 when the quantity is only [`Quantity::text`]).
    pub value: f64,
    /// Of what, e.g. "tablet", "ml", "pre-filled disposable injection".
    pub unit: String,
    /// The quantity as the practice wrote it when it is not a number and a unit, e.g.
    /// "quantity varies dependent on schedule" (GP Connect's `MedicationQuantityText`,
    /// which carries "both value and units"). `None` for a measured quantity.
    pub text: Option<String>,
}

impl Quantity {
    /// A measured quantity.
    pub fn measured(value: f64, unit: impl Into<String>) -> Self {
        Quantity { value, unit: unit.into(), text: None }
    }

    /// A quantity the practice gave only as words.
    pub fn as_text(text: impl Into<String>) -> Self {
        Quantity { value: 0.0, unit: String::new(), text: Some(text.into()) }
    }
}

/// How the medicine is prescribed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrescriptionType {
    /// A one-off course.
    Acute,
    /// Issued again on request, up to the authorised number of issues.
    Repeat,
    /// Repeat dispensing: a batch of issues the pharmacy dispenses at intervals.
    RepeatDispensing,
}

impl PrescriptionType {
    /// Label for screens and FHIR `prescriptionType` text.
    pub fn label(self) -> &'static str {
        match self {
            PrescriptionType::Acute => "Acute",
            PrescriptionType::Repeat => "Repeat",
            PrescriptionType::RepeatDispensing => "Repeat dispensing",
        }
    }

    /// Repeat and repeat dispensing are both long-term.
    pub fn is_repeat(self) -> bool {
        !matches!(self, PrescriptionType::Acute)
    }
}

/// Whether the authorisation is still in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MedicationStatus {
    /// Still authorised.
    Active,
    /// Ran its course (acute courses end this way).
    Completed {
        /// When it ended.
        on: PartialDate,
    },
    /// Stopped by a clinician, with the reason they gave.
    Discontinued {
        /// When it was stopped.
        #[serde(with = "crate::dates::serde_day")]
        on: NaiveDate,
        /// Why, as recorded (free text in GP systems).
        reason: String,
    },
}

/// Who prescribes the medicine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrescriptionSource {
    /// The practice prescribes and issues it.
    Practice {
        /// The authorising clinician.
        authoriser: ClinicianId,
    },
    /// Prescribed elsewhere and recorded by the practice; the practice never issues it.
    Elsewhere {
        /// The prescribing organisation's name, e.g. "Royal Victoria Infirmary".
        organisation: String,
        /// Its ODS code when known.
        ods_code: Option<OdsCode>,
        /// Why it is prescribed elsewhere.
        setting: PrescribingSetting,
    },
}

/// Why a medicine is prescribed outside the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrescribingSetting {
    /// A hospital-only (red list) medicine.
    HospitalOnly,
    /// Prescribed and monitored by a specialist clinic.
    SpecialistClinic,
}

/// One prescription produced from the authorisation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Day of issue.
    #[serde(with = "crate::dates::serde_day")]
    pub date: NaiveDate,
    /// Quantity issued (in the medication's unit).
    pub quantity: f64,
    /// How many days the quantity lasts at the prescribed dose.
    pub days_supply: u16,
    /// The clinician who signed it.
    pub issued_by: ClinicianId,
}

impl Medication {
    /// The most recent issue, if any.
    pub fn last_issue(&self) -> Option<&Issue> {
        self.issues.iter().max_by_key(|i| i.date)
    }

    /// True for medicines the practice recorded but does not prescribe.
    pub fn is_prescribed_elsewhere(&self) -> bool {
        matches!(self.source, PrescriptionSource::Elsewhere { .. })
    }

    /// Issues left in the current authorisation, for repeats.
    pub fn issues_remaining(&self) -> Option<u32> {
        let authorised = self.authorised_issues?;
        let from = self.authorised_from?;
        let used = self.issues.iter().filter(|i| i.date >= from).count() as u32;
        Some(authorised.saturating_sub(used))
    }

    /// True while the authorisation is in force.
    pub fn is_active(&self) -> bool {
        matches!(self.status, MedicationStatus::Active)
    }
}
