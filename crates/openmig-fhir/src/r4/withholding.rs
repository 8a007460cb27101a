//! Which entries never leave the practice, for every entry kind the R4 mapping reads.
//!
//! The rule itself (confidential, or any code in the sensitive exclusion set) is the one
//! the STU3 mapping applies, [`is_withheld`]; this module only says which codes each
//! entry kind carries into its resource, so that no withheld code can travel in a part
//! of an entry (a reaction, a vaccine product, a panel component). Withheld entries are
//! dropped before any resource is built, so no resource, reference, count or
//! Practitioner only they name can reveal them.

use openmig_domain::record::{
    Allergy, Encounter, Immunisation, Medication, NoKnownAllergies, Observation, ObservationValue, Problem,
};

use crate::stu3::withholding::is_withheld;

/// A medicine: its dm+d product.
pub(crate) fn medication(medication: &Medication) -> bool {
    is_withheld(&medication.meta, [medication.product.code])
}

/// An allergy: its code, substance and reaction.
pub(crate) fn allergy(allergy: &Allergy) -> bool {
    let codes = std::iter::once(allergy.code.code)
        .chain(allergy.substance.iter().map(|s| s.code))
        .chain(allergy.reaction.iter().map(|r| r.manifestation.code));
    is_withheld(&allergy.meta, codes)
}

/// The "no known allergies" statement.
pub(crate) fn no_known_allergies(nka: &NoKnownAllergies) -> bool {
    is_withheld(&nka.meta, [nka.code.code])
}

/// A problem.
pub(crate) fn problem(problem: &Problem) -> bool {
    is_withheld(&problem.meta, [problem.code.code])
}

/// An observation: its code and any panel component codes.
pub(crate) fn observation(observation: &Observation) -> bool {
    let components: Vec<_> = match &observation.value {
        ObservationValue::Components(parts) => parts.iter().map(|c| c.code.code).collect(),
        ObservationValue::Quantity { .. } | ObservationValue::Finding => Vec::new(),
    };
    is_withheld(&observation.meta, std::iter::once(observation.code.code).chain(components))
}

/// An immunisation: the vaccination procedure and the product.
pub(crate) fn immunisation(immunisation: &Immunisation) -> bool {
    let codes = std::iter::once(immunisation.vaccination.code).chain(immunisation.product.iter().map(|p| p.code));
    is_withheld(&immunisation.meta, codes)
}

/// An encounter: its type code (an encounter's notes are never mapped).
pub(crate) fn encounter(encounter: &Encounter) -> bool {
    is_withheld(&encounter.meta, encounter.type_code())
}
