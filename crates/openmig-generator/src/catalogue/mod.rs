//! The generator's knowledge: verified codes, prevalence and prescribing tables, names
//! and places. Data only; the generation logic reads it.

pub mod clinical;
pub mod conditions;
pub mod formulary;
pub mod names;
pub mod places;
pub mod population;

#[cfg(test)]
mod tests {
    use openmig_domain::SnomedCode;

    #[test]
    fn every_code_the_generator_can_emit_is_a_valid_snomed_concept() {
        let mut codes: Vec<u64> = super::clinical::all_codes();
        codes.extend(super::formulary::all_regimens().iter().map(|r| r.code));
        codes.extend(super::conditions::CONDITIONS.iter().map(|c| c.code));
        codes.push(super::conditions::DIABETIC_NEUROPATHY.code);
        for code in codes {
            assert!(SnomedCode::new(code).is_ok(), "{code} fails the SNOMED CT identifier check");
        }
    }

    #[test]
    fn the_age_pyramid_sums_to_one() {
        let total: f64 = super::population::AGE_SEX_PYRAMID.iter().map(|(_, share, _)| share).sum();
        assert!((total - 1.0).abs() < 1e-9, "pyramid sums to {total}");
    }
}
