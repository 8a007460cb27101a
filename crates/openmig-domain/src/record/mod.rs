//! The GP record: a patient and every entry the practice holds about them.
//!
//! Each entry kind lives in its own module. Every entry carries an [`EntryMeta`]: its id
//! within the record, when and by whom it was recorded, and whether the practice marked
//! it confidential (such entries never leave the practice; the gateway says something
//! was withheld without revealing what).

mod alert;
mod allergy;
mod encounter;
mod immunisation;
mod medication;
mod observation;
mod problem;
mod referral;
mod sharing;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use alert::Alert;
pub use allergy::{Allergy, AllergyCategory, AllergyStatus, Criticality, NoKnownAllergies, Reaction, Severity};
pub use encounter::{Encounter, EncounterKind, OtherEncounterType};
pub use immunisation::{Immunisation, ImmunisationStatus};
pub use medication::{
    Issue, Medication, MedicationStatus, PrescribingSetting, PrescriptionSource, PrescriptionType, Product, Quantity,
};
pub use observation::{Observation, ObservationCategory, ObservationComponent, ObservationValue, ReferenceRange};
pub use problem::{LinkedProblem, Problem, ProblemRelation, ProblemStatus, Significance};
pub use referral::{Referral, ReferralPriority};
pub use sharing::{SharingDecision, SharingPreference};

use crate::identifiers::{EntryId, SnomedCode};
use crate::patient::Patient;
use crate::practice::ClinicianId;

/// A SNOMED CT (or dm+d) code with the term the recording system displayed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Coded {
    /// The concept id.
    pub code: SnomedCode,
    /// The term shown to the clinician.
    pub display: String,
}

impl Coded {
    /// Pairs a code with its display term.
    pub fn new(code: SnomedCode, display: impl Into<String>) -> Self {
        Coded { code, display: display.into() }
    }
}

/// What every record entry carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    /// Unique within this patient's record.
    pub id: EntryId,
    /// The day the entry was entered into the GP system.
    #[serde(with = "crate::dates::serde_day")]
    pub recorded_on: NaiveDate,
    /// Who entered it.
    pub recorded_by: ClinicianId,
    /// Marked confidential / private by the practice: never shared outside it.
    pub confidential: bool,
}

/// One patient's whole GP record.
///
/// `Debug` shows only the (redacted) patient and how many entries of each kind there
/// are: a record printed into a log or an error by accident must not carry clinical
/// content.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct GpRecord {
    /// Demographics and registration.
    pub patient: Patient,
    /// Prescribed items with their issues, and medicines prescribed elsewhere.
    pub medications: Vec<Medication>,
    /// Allergies and intolerances, active and resolved.
    pub allergies: Vec<Allergy>,
    /// A coded "no known allergies" statement. Distinct from an empty `allergies` list,
    /// which only means nothing was recorded.
    pub no_known_allergies: Option<NoKnownAllergies>,
    /// Problems (coded diagnoses and significant events).
    pub problems: Vec<Problem>,
    /// Consultations and other encounters.
    pub encounters: Vec<Encounter>,
    /// Observations and test results.
    pub observations: Vec<Observation>,
    /// Immunisations given and not given.
    pub immunisations: Vec<Immunisation>,
    /// Referrals out of the practice.
    pub referrals: Vec<Referral>,
    /// Risks and warnings (e.g. DNACPR, falls risk, safeguarding).
    pub alerts: Vec<Alert>,
    /// Consent and dissent to record sharing.
    pub sharing_preferences: Vec<SharingPreference>,
}

impl std::fmt::Debug for GpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpRecord")
            .field("patient", &self.patient)
            .field("medications", &self.medications.len())
            .field("allergies", &self.allergies.len())
            .field("no_known_allergies", &self.no_known_allergies.is_some())
            .field("problems", &self.problems.len())
            .field("encounters", &self.encounters.len())
            .field("observations", &self.observations.len())
            .field("immunisations", &self.immunisations.len())
            .field("referrals", &self.referrals.len())
            .field("alerts", &self.alerts.len())
            .field("sharing_preferences", &self.sharing_preferences.len())
            .finish()
    }
}

/// What the record says about allergies, kept apart from "nothing recorded".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllergySummary {
    /// At least one active allergy is recorded.
    Allergies {
        /// How many are active.
        active: usize,
    },
    /// The practice coded "no known allergies" and no active allergy since.
    NoKnownAllergies,
    /// Nothing about allergies is recorded: unknown, not "none".
    NothingRecorded,
}

impl GpRecord {
    /// A record holding only the patient: nothing recorded yet.
    pub fn new(patient: Patient) -> Self {
        GpRecord {
            patient,
            medications: Vec::new(),
            allergies: Vec::new(),
            no_known_allergies: None,
            problems: Vec::new(),
            encounters: Vec::new(),
            observations: Vec::new(),
            immunisations: Vec::new(),
            referrals: Vec::new(),
            alerts: Vec::new(),
            sharing_preferences: Vec::new(),
        }
    }

    /// How many entries of all kinds the record holds (issues count as entries).
    pub fn entry_count(&self) -> usize {
        self.medications.iter().map(|m| 1 + m.issues.len()).sum::<usize>()
            + self.allergies.len()
            + usize::from(self.no_known_allergies.is_some())
            + self.problems.len()
            + self.encounters.len()
            + self.observations.len()
            + self.immunisations.len()
            + self.referrals.len()
            + self.alerts.len()
            + self.sharing_preferences.len()
    }

    /// The id of every entry the record holds, kind by kind (issues carry no id): what a
    /// problem's related items and a consultation's linked items may point at.
    pub fn entry_ids(&self) -> impl Iterator<Item = EntryId> + '_ {
        let metas = self.medications.iter().map(|e| &e.meta);
        metas
            .chain(self.allergies.iter().map(|e| &e.meta))
            .chain(self.no_known_allergies.iter().map(|e| &e.meta))
            .chain(self.problems.iter().map(|e| &e.meta))
            .chain(self.encounters.iter().map(|e| &e.meta))
            .chain(self.observations.iter().map(|e| &e.meta))
            .chain(self.immunisations.iter().map(|e| &e.meta))
            .chain(self.referrals.iter().map(|e| &e.meta))
            .chain(self.alerts.iter().map(|e| &e.meta))
            .chain(self.sharing_preferences.iter().map(|e| &e.meta))
            .map(|meta| meta.id)
    }

    /// The allergy position a clinician must see first.
    pub fn allergy_summary(&self) -> AllergySummary {
        let active = self.allergies.iter().filter(|a| a.is_active()).count();
        if active > 0 {
            AllergySummary::Allergies { active }
        } else if self.no_known_allergies.is_some() {
            AllergySummary::NoKnownAllergies
        } else {
            AllergySummary::NothingRecorded
        }
    }

    /// The patient's current decision about record sharing: the most recent consent or
    /// dissent entry wins. `None` when nothing is recorded (implied consent applies).
    pub fn sharing_decision(&self) -> Option<SharingDecision> {
        self.sharing_preferences
            .iter()
            .filter(|p| p.decision() != SharingDecision::NotAboutSharing)
            .max_by_key(|p| (p.date, p.meta.id))
            .map(SharingPreference::decision)
    }

    /// True when the patient has dissented from sharing their record.
    pub fn has_dissented(&self) -> bool {
        self.sharing_decision() == Some(SharingDecision::Dissent)
    }

    /// Every SNOMED CT / dm+d code the record carries, in any entry or part of one
    /// (substances, reactions, products, observation components), for code checks.
    pub fn all_codes(&self) -> Vec<SnomedCode> {
        let mut codes: Vec<SnomedCode> = self.coded_entries().into_iter().map(|(_, code)| code).collect();
        codes.extend(self.allergies.iter().filter_map(|a| a.substance.as_ref().map(|s| s.code)));
        codes.extend(self.allergies.iter().filter_map(|a| a.reaction.as_ref().map(|r| r.manifestation.code)));
        codes.extend(self.no_known_allergies.iter().map(|n| n.code.code));
        codes.extend(self.immunisations.iter().filter_map(|i| i.product.as_ref().map(|p| p.code)));
        codes.extend(self.sharing_preferences.iter().map(|p| p.code.code));
        for o in &self.observations {
            if let ObservationValue::Components(parts) = &o.value {
                codes.extend(parts.iter().map(|c| c.code.code));
            }
        }
        codes
    }

    /// Every entry's metadata with the codes it carries, for code-set rules (sensitive
    /// items, confidentiality) that must look at all entry kinds alike.
    pub fn coded_entries(&self) -> Vec<(&EntryMeta, SnomedCode)> {
        let mut out = Vec::new();
        out.extend(self.medications.iter().map(|m| (&m.meta, m.product.code)));
        out.extend(self.allergies.iter().map(|a| (&a.meta, a.code.code)));
        out.extend(self.problems.iter().map(|p| (&p.meta, p.code.code)));
        out.extend(self.observations.iter().map(|o| (&o.meta, o.code.code)));
        out.extend(self.immunisations.iter().map(|i| (&i.meta, i.vaccination.code)));
        out.extend(self.referrals.iter().map(|r| (&r.meta, r.code.code)));
        out.extend(self.alerts.iter().map(|a| (&a.meta, a.code.code)));
        out.extend(self.encounters.iter().filter_map(|e| Some((&e.meta, e.type_code()?))));
        out
    }
}
