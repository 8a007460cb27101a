//! The parts of the record a clinician's view divides it into, and the GP Connect
//! primary Lists that carry each: where an item that could not be read belongs, and
//! which Lists a practice said it withheld items from.

use serde::{Deserialize, Serialize};

use super::urls;

/// A part of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Section {
    /// Medicines: MedicationStatement, its plan and its issues.
    Medications,
    /// Allergies and adverse reactions: AllergyIntolerance, active and ended.
    Allergies,
    /// Problems: Condition.
    Problems,
    /// Consultations: Encounter, and their structure Lists.
    Consultations,
    /// Test results: the Observations a DiagnosticReport reports.
    TestResults,
    /// Other observations: GP Connect's uncategorised data.
    Observations,
    /// Immunisations: Immunization.
    Immunisations,
    /// Referrals: ReferralRequest.
    Referrals,
}

impl Section {
    /// The section's heading, as a warning names it.
    pub fn label(self) -> &'static str {
        match self {
            Section::Medications => "Medications",
            Section::Allergies => "Allergies and adverse reactions",
            Section::Problems => "Problems",
            Section::Consultations => "Consultations",
            Section::TestResults => "Test results",
            Section::Observations => "Observations",
            Section::Immunisations => "Immunisations",
            Section::Referrals => "Referrals",
        }
    }

    /// The section whose items a List with this SNOMED CT code lists (a primary List, or
    /// a consultation's structure List).
    pub fn of_list(code: &str) -> Option<Section> {
        Some(match code {
            c if c == urls::ALLERGIES_LIST.0 || c == urls::ENDED_ALLERGIES_LIST.0 => Section::Allergies,
            c if c == urls::MEDICATIONS_LIST.0 => Section::Medications,
            c if c == urls::PROBLEMS_LIST.0 => Section::Problems,
            c if c == urls::IMMUNISATIONS_LIST.0 => Section::Immunisations,
            c if c == urls::REFERRALS_LIST.0 => Section::Referrals,
            c if c == urls::UNCATEGORISED_LIST.0 => Section::Observations,
            c if c == urls::INVESTIGATIONS_LIST.0 => Section::TestResults,
            c if [urls::CONSULTATIONS_LIST.0, urls::CONSULTATION_LIST.0, urls::TOPIC_LIST.0, urls::HEADING_LIST.0]
                .contains(&c) =>
            {
                Section::Consultations
            }
            _ => return None,
        })
    }
}

impl Section {
    /// The section of a secondary List (code system `GPConnect-SecondaryListValues-1`):
    /// the area whose answer it is part of, Problems for the items linked to problems
    /// (`problems-…`) and Consultations for the items recorded in consultations
    /// (`consultations-…`). A withheld item there was withheld from that area's answer.
    pub fn of_secondary_list(code: &str) -> Option<Section> {
        if code.starts_with("problems-") {
            Some(Section::Problems)
        } else if code.starts_with("consultations-") {
            Some(Section::Consultations)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_primary_list_has_its_section() {
        for (code, section) in [
            (urls::ALLERGIES_LIST.0, Section::Allergies),
            (urls::ENDED_ALLERGIES_LIST.0, Section::Allergies),
            (urls::MEDICATIONS_LIST.0, Section::Medications),
            (urls::PROBLEMS_LIST.0, Section::Problems),
            (urls::CONSULTATIONS_LIST.0, Section::Consultations),
            (urls::IMMUNISATIONS_LIST.0, Section::Immunisations),
            (urls::REFERRALS_LIST.0, Section::Referrals),
            (urls::UNCATEGORISED_LIST.0, Section::Observations),
            (urls::INVESTIGATIONS_LIST.0, Section::TestResults),
        ] {
            assert_eq!(Section::of_list(code), Some(section), "{code}");
        }
        assert_eq!(Section::of_list("12345"), None);
    }
}
