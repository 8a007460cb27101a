//! Clinical code sets the rules rely on, each code taken from a public source named in
//! `shared/design/codes.md` (repository, path and commit are listed there).
//!
//! Every table here is checked by a test: each id must be a valid SNOMED CT concept id
//! (Verhoeff check digit and partition), and lookup tables must be sorted.

use serde::Serialize;

use crate::identifiers::SnomedCode;
use crate::record::SharingDecision;

/// Categories of entries that must never leave the practice (security.md, "Withheld data").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SensitiveCategory {
    /// Sexually transmitted infection and sexual health.
    SexualHealth,
    /// HIV.
    Hiv,
    /// IVF and assisted conception.
    AssistedConception,
    /// Termination of pregnancy.
    TerminationOfPregnancy,
    /// Gender dysphoria and gender reassignment.
    GenderIdentity,
}

/// The sensitive exclusion seed set (codes.md "Codes round 2", section A), sorted by id.
///
/// The national exclusion lists are published separately; this is the subset verified in
/// public sources. Gender reassignment procedures have no verified SNOMED id in any stored
/// source, so only the gender-identity findings are listed (codes.md A5 says not to invent).
pub const SENSITIVE_CODES: &[(u64, SensitiveCategory)] = {
    use SensitiveCategory::*;
    &[
        (6738008, AssistedConception),
        (8098009, SexualHealth),
        (8619003, AssistedConception),
        (10383002, TerminationOfPregnancy),
        (15628003, SexualHealth),
        (18302006, TerminationOfPregnancy),
        (18391007, TerminationOfPregnancy),
        (33839006, SexualHealth),
        (39406005, TerminationOfPregnancy),
        (40780007, Hiv),
        (42746002, SexualHealth),
        (52079000, Hiv),
        (52637005, AssistedConception),
        (57797005, TerminationOfPregnancy),
        (62479008, Hiv),
        (76272004, SexualHealth),
        (86406008, Hiv),
        (91947003, Hiv),
        (93461009, GenderIdentity),
        (105629000, SexualHealth),
        (111880001, Hiv),
        (165816005, Hiv),
        (169589005, AssistedConception),
        (171121004, Hiv),
        (176849008, TerminationOfPregnancy),
        (176854004, TerminationOfPregnancy),
        (183525003, SexualHealth),
        (183606009, TerminationOfPregnancy),
        (183862006, AssistedConception),
        (186538004, SexualHealth),
        (186729003, SexualHealth),
        (186847001, SexualHealth),
        (186850003, SexualHealth),
        (186867005, SexualHealth),
        (186903006, SexualHealth),
        (213199004, AssistedConception),
        (237084006, SexualHealth),
        (265082003, AssistedConception),
        (266113007, SexualHealth),
        (269964006, SexualHealth),
        (274973002, TerminationOfPregnancy),
        (278977008, Hiv),
        (285409006, TerminationOfPregnancy),
        (302375005, TerminationOfPregnancy),
        (312099009, SexualHealth),
        (313077009, Hiv),
        (386639001, TerminationOfPregnancy),
        (391897002, TerminationOfPregnancy),
        (407374003, GenderIdentity),
        (423391007, SexualHealth),
        (426479005, SexualHealth),
        (440714005, SexualHealth),
        (447972007, TerminationOfPregnancy),
        (714812005, TerminationOfPregnancy),
        (735516004, SexualHealth),
        (1148894007, AssistedConception),
        (6251000119101, TerminationOfPregnancy),
        (6261000119104, TerminationOfPregnancy),
        (10231000132102, AssistedConception),
        (229761000000107, TerminationOfPregnancy),
        (1010871000000101, Hiv),
    ]
};

/// The sensitive category of a code, if it is in the exclusion set.
pub fn sensitive_category(code: SnomedCode) -> Option<SensitiveCategory> {
    lookup(SENSITIVE_CODES, code.value()).copied()
}

/// Consent to record sharing (security.md, UK consent subset).
pub const CONSENT_CODES: &[u64] = &[425691002, 417528008, 417370002, 342591000000108, 319951000000105];
/// Dissent from record sharing. Refusing upload to a shared record, locally or nationally,
/// or declining sharing with a third party, all mean "do not share my GP record" to a
/// gateway; the safe reading is to refuse.
pub const DISSENT_CODES: &[u64] = &[416409005, 416308001, 320011000000108];

/// What a coded sharing preference means for direct care. Secondary-use opt-outs
/// (e.g. 881561000000100, the retired type-2 opt-out) do not block direct care.
pub fn sharing_decision(code: SnomedCode) -> SharingDecision {
    if CONSENT_CODES.contains(&code.value()) {
        SharingDecision::Consent
    } else if DISSENT_CODES.contains(&code.value()) {
        SharingDecision::Dissent
    } else {
        SharingDecision::NotAboutSharing
    }
}

/// Therapeutic groups used by the medicines rules and the `--trait` finder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum DrugClass {
    /// Warfarin and the direct oral anticoagulants.
    Anticoagulant,
    /// Aspirin, clopidogrel.
    Antiplatelet,
    /// Insulins.
    Insulin,
    /// Sulfonylureas (hypoglycaemia risk).
    Sulfonylurea,
    /// Metformin and other non-insulin glucose-lowering drugs that rarely cause hypoglycaemia.
    OtherAntidiabetic,
    /// Anti-epileptic drugs: never omit a dose.
    Antiepileptic,
    /// Opioid analgesics.
    Opioid,
    /// Oral non-steroidal anti-inflammatory drugs.
    Nsaid,
    /// Antidepressants.
    Antidepressant,
    /// Methotrexate (weekly dosing).
    Methotrexate,
    /// Oral corticosteroids.
    OralCorticosteroid,
    /// Statins.
    Statin,
    /// Blood-pressure lowering drugs (ACE inhibitors, ARBs, calcium-channel blockers, beta-blockers).
    Antihypertensive,
    /// Loop diuretics.
    LoopDiuretic,
    /// Proton-pump inhibitors.
    ProtonPumpInhibitor,
    /// Thyroid hormone replacement.
    ThyroidHormone,
    /// Inhaled bronchodilators and corticosteroids.
    Inhaler,
    /// Antibacterials.
    Antibacterial,
    /// Pregabalin and gabapentin.
    Gabapentinoid,
    /// Benzodiazepines and Z-drug hypnotics.
    Hypnotic,
}

/// dm+d products by therapeutic group, sorted by id. Sources: codes.md section 2 (the
/// OpenSAFELY, PINCER and Greater Manchester SDE code lists and the GP Connect
/// demonstrator; each row's file is listed there).
pub const DRUG_CLASSES: &[(u64, DrugClass)] = {
    use DrugClass::*;
    &[
        (134489001, Statin),
        (317291008, ProtonPumpInhibitor),
        (317295004, ProtonPumpInhibitor),
        (317297007, ProtonPumpInhibitor),
        (317309001, ProtonPumpInhibitor),
        (317310006, ProtonPumpInhibitor),
        (317971007, LoopDiuretic),
        (317972000, LoopDiuretic),
        (318353009, Antihypertensive),
        (318590006, Antihypertensive),
        (318591005, Antihypertensive),
        (318604001, Antihypertensive),
        (318605000, Antihypertensive),
        (318858008, Antihypertensive),
        (318859000, Antihypertensive),
        (318901006, Antihypertensive),
        (318902004, Antihypertensive),
        (318906001, Antihypertensive),
        (318956006, Antihypertensive),
        (319283006, Antihypertensive),
        (319284000, Antihypertensive),
        (319733000, Anticoagulant),
        (319734006, Anticoagulant),
        (319735007, Anticoagulant),
        (319736008, Anticoagulant),
        (319773006, Antiplatelet),
        (319781007, Antiplatelet),
        (319799004, Antiplatelet),
        (320029006, Statin),
        (320030001, Statin),
        (320031002, Statin),
        (320139002, Inhaler),
        (320537007, Inhaler),
        (321175006, Hypnotic),
        (321177003, Hypnotic),
        (321196004, Hypnotic),
        (321745007, Antidepressant),
        (321746008, Antidepressant),
        (321949006, Antidepressant),
        (321959007, Antidepressant),
        (321960002, Antidepressant),
        (321987003, Antidepressant),
        (321989000, Antidepressant),
        (321998002, Antidepressant),
        (322504003, Opioid),
        (322623000, Opioid),
        (322934000, Antiepileptic),
        (322956002, Antiepileptic),
        (322957006, Antiepileptic),
        (323014008, Gabapentinoid),
        (323029005, Antiepileptic),
        (323054005, Antiepileptic),
        (323055006, Antiepileptic),
        (323416001, Antibacterial),
        (324431001, Antibacterial),
        (325242002, Sulfonylurea),
        (325427002, OralCorticosteroid),
        (326874007, Methotrexate),
        (329652003, Nsaid),
        (329653008, Nsaid),
        (329806007, Nsaid),
        (329807003, Nsaid),
        (374294006, ThyroidHormone),
        (374295007, ThyroidHormone),
        (374296008, ThyroidHormone),
        (375193003, Antidepressant),
        (375396003, Antiepileptic),
        (376988009, ThyroidHormone),
        (400780006, Insulin),
        (400877001, Insulin),
        (415167006, Gabapentinoid),
        (703907006, Anticoagulant),
        (703908001, Anticoagulant),
        (45111000001100, Inhaler),
        (448711000001102, Antiepileptic),
        (489711000001100, Antiepileptic),
        (739111000001100, Antiepileptic),
        (889311000001108, Antiepileptic),
        (7890511000001107, Gabapentinoid),
        (9567211000001104, Opioid),
        (9751511000001104, Antidepressant),
        (10618211000001109, Inhaler),
        (11933011000001106, Insulin),
        (16219811000001107, Opioid),
        (19469811000001101, Anticoagulant),
        (19842111000001101, Anticoagulant),
        (19842211000001107, Anticoagulant),
        (29903411000001101, Anticoagulant),
        (35936511000001108, Inhaler),
        (36126511000001106, Opioid),
        (36127311000001102, Opioid),
        (36128311000001101, Opioid),
        (39108511000001108, Antibacterial),
        (39113511000001101, OtherAntidiabetic),
        (39687811000001107, Antibacterial),
        (39692211000001107, Antibacterial),
        (39708511000001104, Opioid),
        (39732311000001104, Antibacterial),
        (39732411000001106, Antibacterial),
        (40446011000001105, Antiepileptic),
        (41946511000001109, Antibacterial),
        (41948311000001104, Antibacterial),
        (42009511000001104, Opioid),
        (42009811000001101, Opioid),
        (42010311000001103, Opioid),
        (42010411000001105, Opioid),
        (42016011000001103, Opioid),
        (42017811000001106, Opioid),
        (42084911000001109, OtherAntidiabetic),
        (42085111000001105, OtherAntidiabetic),
        (42130611000001108, Antiepileptic),
        (42130911000001102, Antiepileptic),
        (42131011000001105, Antiepileptic),
        (42382111000001102, Statin),
        (42382311000001100, Statin),
    ]
};

/// The therapeutic group of a dm+d product, when it is in the table.
pub fn drug_class(code: SnomedCode) -> Option<DrugClass> {
    lookup(DRUG_CLASSES, code.value()).copied()
}

fn lookup<T>(table: &'static [(u64, T)], id: u64) -> Option<&'static T> {
    table.binary_search_by_key(&id, |(k, _)| *k).ok().map(|i| &table[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_valid_and_sorted<T>(name: &str, table: &[(u64, T)]) {
        for (id, _) in table {
            assert!(SnomedCode::new(*id).is_ok(), "{name}: {id} is not a valid SNOMED concept id");
        }
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "{name} must be sorted and unique");
    }

    #[test]
    fn every_code_set_holds_only_valid_sorted_concept_ids() {
        assert_valid_and_sorted("SENSITIVE_CODES", SENSITIVE_CODES);
        assert_valid_and_sorted("DRUG_CLASSES", DRUG_CLASSES);
        for id in CONSENT_CODES.iter().chain(DISSENT_CODES) {
            assert!(SnomedCode::new(*id).is_ok(), "{id}");
        }
    }

    #[test]
    fn lookups_find_what_the_tables_say() {
        assert_eq!(drug_class(SnomedCode::known(703908001)), Some(DrugClass::Anticoagulant));
        assert_eq!(drug_class(SnomedCode::known(739111000001100)), Some(DrugClass::Antiepileptic));
        assert_eq!(drug_class(SnomedCode::known(317291008)), Some(DrugClass::ProtonPumpInhibitor));
        assert_eq!(sensitive_category(SnomedCode::known(105629000)), Some(SensitiveCategory::SexualHealth));
        assert_eq!(sensitive_category(SnomedCode::known(49436004)), None);
        assert_eq!(sharing_decision(SnomedCode::known(416409005)), SharingDecision::Dissent);
        assert_eq!(sharing_decision(SnomedCode::known(425691002)), SharingDecision::Consent);
        assert_eq!(sharing_decision(SnomedCode::known(881561000000100)), SharingDecision::NotAboutSharing);
    }
}
