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
    /// The type as the practice recorded it, for a consultation of a type openmig has no
    /// kind for ([`EncounterKind::Other`]); `None` for every other kind.
    pub other_type: Option<OtherEncounterType>,
}

/// A consultation type other GP systems record that is not one of openmig's kinds: a
/// free-text type ("Surgery Consultation"), or another SNOMED CT code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherEncounterType {
    /// Its SNOMED CT code, when it had one.
    pub code: Option<SnomedCode>,
    /// Its words as the practice recorded them (a coded type's display); may be empty.
    pub text: String,
}

impl Encounter {
    /// What to call the consultation's type: the kind's term, or the practice's own words
    /// for another type ("Consultation" when it gave none).
    pub fn type_label(&self) -> &str {
        match (&self.kind, &self.other_type) {
            (EncounterKind::Other, Some(other)) if !other.text.trim().is_empty() => &other.text,
            (kind, _) => kind.label(),
        }
    }

    /// The type's SNOMED CT code, when it has one.
    pub fn type_code(&self) -> Option<SnomedCode> {
        match self.kind {
            EncounterKind::Other => self.other_type.as_ref().and_then(|other| other.code),
            kind => kind.code(),
        }
    }
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
    /// Another type of contact, as the practice recorded it
    /// ([`Encounter::other_type`]).
    Other,
}

impl EncounterKind {
    /// The SNOMED CT encounter-type code (`None` for [`EncounterKind::Other`], whose code,
    /// if any, is the encounter's own: [`Encounter::type_code`]).
    pub fn code(self) -> Option<SnomedCode> {
        Some(SnomedCode::known(match self {
            EncounterKind::Surgery => 185202000,
            EncounterKind::Telephone => 386472008,
            EncounterKind::Video => 307321000000107,
            EncounterKind::HomeVisit => 270420001,
            EncounterKind::OutOfHours => 185511000000107,
            EncounterKind::Other => return None,
        }))
    }

    /// The SNOMED CT term.
    pub fn label(self) -> &'static str {
        match self {
            EncounterKind::Surgery => "Seen in GP's surgery",
            EncounterKind::Telephone => "Telephone consultation",
            EncounterKind::Video => "Video-link encounter",
            EncounterKind::HomeVisit => "Seen in own home",
            EncounterKind::OutOfHours => "Seen in out of hours centre",
            EncounterKind::Other => "Consultation",
        }
    }

    /// Every kind with its own code, for tables, readers and tests.
    pub const CODED: [EncounterKind; 5] = [
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
        for kind in EncounterKind::CODED {
            let code = kind.code().expect("a coded kind has a code");
            assert!(SnomedCode::new(code.value()).is_ok(), "{kind:?}");
        }
    }
}
