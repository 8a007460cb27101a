//! Patient traits: named, computable facts used to find demo and test patients
//! (`openmig patients --trait anticoagulant`).

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::codesets::{DrugClass, sensitive_category};
use crate::medicines::{DEFAULT_OVERDUE_GRACE_DAYS, class_of, current_medicines, is_overdue};
use crate::patient::RegistrationStatus;
use crate::record::GpRecord;

/// A trait a patient may have. The names are the CLI contract in `api.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatientTrait {
    /// Every patient.
    Any,
    /// On a current anticoagulant.
    Anticoagulant,
    /// On a current anti-epileptic.
    Antiepileptic,
    /// On a current insulin.
    Insulin,
    /// On a current opioid.
    Opioid,
    /// Has an active allergy.
    Allergy,
    /// Has a current repeat more than the default grace overdue.
    OverdueRepeat,
    /// On five or more current repeat medicines.
    ManyMedicines,
    /// Has dissented from record sharing.
    Dissent,
    /// Has an entry in the sensitive exclusion set.
    Sensitive,
    /// Has an entry marked confidential.
    Confidential,
    /// Has died.
    Deceased,
    /// Has left the practice.
    Deregistered,
    /// Registered at a practice that has not enabled sharing.
    PracticeSharingDisabled,
    /// On a current sulfonylurea.
    Sulfonylurea,
    /// On a current antidepressant.
    Antidepressant,
    /// On a current oral NSAID.
    Nsaid,
    /// Has a current medicine prescribed outside the practice.
    PrescribedElsewhere,
    /// Has a coded "no known allergies".
    NoKnownAllergies,
    /// Has restricted (S-flagged) demographics.
    Restricted,
}

impl PatientTrait {
    /// Every trait, in CLI order.
    pub const ALL: [PatientTrait; 20] = [
        PatientTrait::Any,
        PatientTrait::Anticoagulant,
        PatientTrait::Antiepileptic,
        PatientTrait::Insulin,
        PatientTrait::Opioid,
        PatientTrait::Allergy,
        PatientTrait::OverdueRepeat,
        PatientTrait::ManyMedicines,
        PatientTrait::Dissent,
        PatientTrait::Sensitive,
        PatientTrait::Confidential,
        PatientTrait::Deceased,
        PatientTrait::Deregistered,
        PatientTrait::PracticeSharingDisabled,
        PatientTrait::Sulfonylurea,
        PatientTrait::Antidepressant,
        PatientTrait::Nsaid,
        PatientTrait::PrescribedElsewhere,
        PatientTrait::NoKnownAllergies,
        PatientTrait::Restricted,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            PatientTrait::Any => "any",
            PatientTrait::Anticoagulant => "anticoagulant",
            PatientTrait::Antiepileptic => "antiepileptic",
            PatientTrait::Insulin => "insulin",
            PatientTrait::Opioid => "opioid",
            PatientTrait::Allergy => "allergy",
            PatientTrait::OverdueRepeat => "overdue-repeat",
            PatientTrait::ManyMedicines => "many-medicines",
            PatientTrait::Dissent => "dissent",
            PatientTrait::Sensitive => "sensitive",
            PatientTrait::Confidential => "confidential",
            PatientTrait::Deceased => "deceased",
            PatientTrait::Deregistered => "deregistered",
            PatientTrait::PracticeSharingDisabled => "practice-sharing-disabled",
            PatientTrait::Sulfonylurea => "sulfonylurea",
            PatientTrait::Antidepressant => "antidepressant",
            PatientTrait::Nsaid => "nsaid",
            PatientTrait::PrescribedElsewhere => "prescribed-elsewhere",
            PatientTrait::NoKnownAllergies => "no-known-allergies",
            PatientTrait::Restricted => "restricted",
        }
    }

    fn bit(self) -> u32 {
        1 << (PatientTrait::ALL.iter().position(|t| *t == self).expect("listed in ALL") as u32)
    }
}

impl fmt::Display for PatientTrait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown trait name; the message lists the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trait '{0}'; known traits: {known}", known = PatientTrait::ALL.map(|t| t.name()).join(", "))]
pub struct UnknownTrait(pub String);

impl FromStr for PatientTrait {
    type Err = UnknownTrait;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatientTrait::ALL.into_iter().find(|t| t.name() == s).ok_or_else(|| UnknownTrait(s.to_string()))
    }
}

/// A set of traits, stored as a bit mask (the bit order is [`PatientTrait::ALL`] and is
/// part of the storage format: append new traits, never reorder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraitSet(u32);

impl TraitSet {
    /// Rebuilds a set from its stored bits.
    pub fn from_bits(bits: u32) -> Self {
        TraitSet(bits)
    }

    /// The stored bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// Adds a trait.
    pub fn insert(&mut self, t: PatientTrait) {
        self.0 |= t.bit();
    }

    /// True when the set has the trait.
    pub fn contains(self, t: PatientTrait) -> bool {
        self.0 & t.bit() != 0
    }

    /// The mask to test stored bits against.
    pub fn mask_of(t: PatientTrait) -> u32 {
        t.bit()
    }
}

/// Computes a patient's traits on `today`. Sharing at the practice level is not in the
/// record, so the caller says whether the practice shares.
pub fn traits_of(record: &GpRecord, practice_shares: bool, today: NaiveDate) -> TraitSet {
    let mut set = TraitSet::default();
    set.insert(PatientTrait::Any);
    let current = current_medicines(record, today);
    let has_class = |class: DrugClass| current.iter().any(|m| class_of(m) == Some(class));
    for (t, class) in [
        (PatientTrait::Anticoagulant, DrugClass::Anticoagulant),
        (PatientTrait::Antiepileptic, DrugClass::Antiepileptic),
        (PatientTrait::Insulin, DrugClass::Insulin),
        (PatientTrait::Opioid, DrugClass::Opioid),
        (PatientTrait::Sulfonylurea, DrugClass::Sulfonylurea),
        (PatientTrait::Antidepressant, DrugClass::Antidepressant),
        (PatientTrait::Nsaid, DrugClass::Nsaid),
    ] {
        if has_class(class) {
            set.insert(t);
        }
    }
    if record.allergies.iter().any(|a| a.is_active()) {
        set.insert(PatientTrait::Allergy);
    }
    if record.no_known_allergies.is_some() {
        set.insert(PatientTrait::NoKnownAllergies);
    }
    if current.iter().any(|m| is_overdue(m, today, DEFAULT_OVERDUE_GRACE_DAYS)) {
        set.insert(PatientTrait::OverdueRepeat);
    }
    if current.iter().filter(|m| m.prescription_type.is_repeat() || m.is_prescribed_elsewhere()).count() >= 5 {
        set.insert(PatientTrait::ManyMedicines);
    }
    if current.iter().any(|m| m.is_prescribed_elsewhere()) {
        set.insert(PatientTrait::PrescribedElsewhere);
    }
    if record.has_dissented() {
        set.insert(PatientTrait::Dissent);
    }
    let entries = record.coded_entries();
    if entries.iter().any(|(_, code)| sensitive_category(*code).is_some()) {
        set.insert(PatientTrait::Sensitive);
    }
    if entries.iter().any(|(meta, _)| meta.confidential) {
        set.insert(PatientTrait::Confidential);
    }
    let patient = &record.patient;
    if patient.deceased.is_some() {
        set.insert(PatientTrait::Deceased);
    }
    if matches!(patient.registration.status, RegistrationStatus::Deregistered { .. }) {
        set.insert(PatientTrait::Deregistered);
    }
    if !practice_shares {
        set.insert(PatientTrait::PracticeSharingDisabled);
    }
    if patient.restricted {
        set.insert(PatientTrait::Restricted);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trait_names_parse_back() {
        for t in PatientTrait::ALL {
            assert_eq!(t.name().parse::<PatientTrait>(), Ok(t));
        }
        let err = "nonsense".parse::<PatientTrait>().unwrap_err();
        assert!(err.to_string().contains("anticoagulant"));
    }

    #[test]
    fn trait_bits_are_distinct() {
        let mut all = TraitSet::default();
        for t in PatientTrait::ALL {
            assert!(!all.contains(t));
            all.insert(t);
        }
        assert_eq!(all.bits().count_ones() as usize, PatientTrait::ALL.len());
    }
}
