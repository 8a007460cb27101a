//! Property tests: PDC stays a proportion, an extra issue never lowers it, and flags (and
//! the whole review) do not depend on the order of the record's entries.

use proptest::prelude::*;

use super::testkit::products::*;
use super::testkit::*;
use super::*;
use crate::record::{Issue, Medication};

/// Products the generated records draw from: every high-risk group, the name-based
/// fallback (on GP2GP's transfer-degraded code), brand and generic of one substance, and
/// two strengths of another.
const POOL: &[(u64, &str)] = &[
    APIXABAN_5,
    WARFARIN_3,
    IBUPROFEN_400,
    NAPROXEN_500,
    METHOTREXATE,
    EPILIM_CHRONO_500,
    VALPROATE_500,
    SERTRALINE_50,
    SERTRALINE_100,
    CO_CODAMOL,
    AMLODIPINE_5,
    (196421000000109, "Lithium carbonate 400mg modified-release tablets"),
    (196421000000109, "Olanzapine 10mg tablets"),
];

const DOSES: &[&str] = &["One tablet once a day", "One tablet twice a day", "Four tablets once a week"];

fn issues() -> impl Strategy<Value = Vec<(u64, u16)>> {
    prop::collection::vec((0u64..700, prop::sample::select(vec![0u16, 7, 14, 28, 56])), 0..12)
}

prop_compose! {
    fn medication(id: u32)(
        product in prop::sample::select(POOL.to_vec()),
        dose in prop::sample::select(DOSES.to_vec()),
        started in 0u64..700,
        kind in 0u8..3,
        status in 0u8..3,
        ended in 0u64..700,
        issues in issues(),
    ) -> Medication {
        let mut m = repeat_of(id, product, dose, started);
        m = match kind {
            0 => m.acute(),
            1 => m.elsewhere("RVI rheumatology"),
            _ => m,
        };
        if kind != 1 {
            m.0.issues = issues
                .iter()
                .map(|(d, supply)| Issue { date: ago(*d), quantity: 28.0, days_supply: *supply, issued_by: gp() })
                .collect();
        }
        m = match status {
            0 => m.completed(ended),
            1 => m.discontinued(ended, "Stopped"),
            _ => m,
        };
        m.build()
    }
}

fn medications() -> impl Strategy<Value = Vec<Medication>> {
    (0usize..8).prop_flat_map(|n| (1..=n as u32).map(medication).collect::<Vec<_>>())
}

fn pdc(medication: &Medication, months: u32) -> Option<Pdc> {
    proportion_of_days_covered(medication, TODAY, months)
}

proptest! {
    #[test]
    fn pdc_is_always_a_proportion(m in medication(1), months in 1u32..=24) {
        if let Some(p) = pdc(&m, months) {
            prop_assert!((0.0..=1.0).contains(&p.proportion));
            prop_assert!(p.days_covered <= p.days_in_window);
            prop_assert!(p.days_in_window >= 1);
        }
    }

    #[test]
    fn adding_an_issue_never_lowers_pdc(
        m in medication(1),
        extra_day in 0u64..800,
        extra_supply in 0u16..120,
        months in prop::sample::select(PDC_WINDOW_MONTHS.to_vec()),
    ) {
        let mut more = m.clone();
        more.issues.push(Issue { date: ago(extra_day), quantity: 1.0, days_supply: extra_supply, issued_by: gp() });
        match (pdc(&m, months), pdc(&more, months)) {
            (Some(before), Some(after)) => {
                prop_assert_eq!(before.days_in_window, after.days_in_window);
                prop_assert!(after.days_covered >= before.days_covered);
                prop_assert!(after.proportion >= before.proportion);
            }
            (None, None) => {}
            other => prop_assert!(false, "windows differ: {:?}", other),
        }
    }

    #[test]
    fn flags_and_the_whole_review_ignore_the_order_of_entries(
        (medications, shuffled) in medications().prop_flat_map(|ms| (Just(ms.clone()), Just(ms).prop_shuffle())),
        low_egfr in any::<bool>(),
    ) {
        let mut one = record(medications);
        one.observations = vec![egfr(100, if low_egfr { 41.0 } else { 75.0 }, 30), egfr(101, 65.0, 300)];
        let mut other = one.clone();
        other.medications = shuffled;
        other.observations.reverse();
        prop_assert_eq!(high_risk_flags(&one, TODAY), high_risk_flags(&other, TODAY));
        let config = ReviewConfig { changes_since: Some(ago(365)), ..ReviewConfig::default() };
        prop_assert_eq!(review(&one, TODAY, &config), review(&other, TODAY, &config));
    }
}

#[test]
fn every_pool_product_is_a_valid_concept_id() {
    for (code, _) in POOL {
        assert!(crate::identifiers::SnomedCode::new(*code).is_ok(), "{code}");
    }
}
