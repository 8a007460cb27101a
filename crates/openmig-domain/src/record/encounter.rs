//! Encounters: consultations and other contacts, with their free-text notes.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::EntryMeta;
use crate::identifiers::{EntryId, SnomedCode};
use crate::practice::ClinicianId;

/// A consultation or other contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encounter {
    /// Common entry data.
    pub meta: EntryMeta,
    /// When it started (local UK time as the GP system records it).
    #[serde(with = "crate::dates::serde_date_time")]
    pub start: NaiveDateTime,
    /// How long it lasted.
    pub duration_minutes: u16,
    /// Surgery, telephone, home visit…
    pub kind: EncounterKind,
    /// The clinician seen.
    pub clinician: ClinicianId,
    /// The consultation notes as typed.
    pub notes: String,
    /// Entries made during the encounter (problems, medications, observations…).
    pub linked: Vec<EntryId>,
}

/// The kind of contact, each with its SNOMED CT encounter-type code (UK Core
/// `UKCore-EncounterType` value set, see `shared/design/codes.md` D1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EncounterKind {
    /// Seen in the surgery.
    Surgery,
    /// Telephone consultation.
    Telephone,
    /// Video consultation.
    Video,
    /// Home visit.
    HomeVisit,
    /// Seen by the out-of-hours service.
    OutOfHours,
}

impl EncounterKind {
    /// The SNOMED CT encounter-type code.
    pub fn code(self) -> SnomedCode {
        SnomedCode::known(match self {
            EncounterKind::Surgery => 185202000,
            EncounterKind::Telephone => 386472008,
            EncounterKind::Video => 307321000000107,
            EncounterKind::HomeVisit => 270420001,
            EncounterKind::OutOfHours => 185511000000107,
        })
    }

    /// The SNOMED CT term.
    pub fn label(self) -> &'static str {
        match self {
            EncounterKind::Surgery => "Seen in GP's surgery",
            EncounterKind::Telephone => "Telephone consultation",
            EncounterKind::Video => "Video-link encounter",
            EncounterKind::HomeVisit => "Seen in own home",
            EncounterKind::OutOfHours => "Seen in out of hours centre",
        }
    }

    /// Every kind, for tables and tests.
    pub const ALL: [EncounterKind; 5] = [
        EncounterKind::Surgery,
        EncounterKind::Telephone,
        EncounterKind::Video,
        EncounterKind::HomeVisit,
        EncounterKind::OutOfHours,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encounter_code_is_a_valid_snomed_concept() {
        for kind in EncounterKind::ALL {
            assert!(SnomedCode::new(kind.code().value()).is_ok(), "{kind:?}");
        }
    }
}
