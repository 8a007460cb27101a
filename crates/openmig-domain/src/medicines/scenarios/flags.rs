//! High-risk flags.

use crate::identifiers::EntryId;
use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;
use crate::record::{GpRecord, ProblemStatus};

/// GP2GP's "Transfer-degraded medication entry" (codes.md 2b): a product known only by its
/// text, exactly the case the name-based fallback exists for.
const DEGRADED: u64 = 196421000000109;

fn codes(record: &GpRecord) -> Vec<(FlagCode, EntryId)> {
    high_risk_flags(record, TODAY).iter().map(|f| (f.code, f.entry)).collect()
}

fn nsaid_and_warfarin() -> GpRecord {
    let warfarin = repeat_of(1, WARFARIN_3, "As directed by the anticoagulant clinic", 300).issued(&[20], 28.0, 28);
    let ibuprofen = repeat_of(2, IBUPROFEN_400, "One tablet three times a day", 60).issued(&[20], 84.0, 28);
    record(vec![warfarin.build(), ibuprofen.build()])
}

#[test]
fn an_nsaid_with_an_anticoagulant_and_a_low_latest_egfr_gets_both_extra_flags() {
    let mut record = nsaid_and_warfarin();
    record.observations = vec![egfr(20, 75.0, 400), egfr(21, 52.0, 10)];
    let flags = high_risk_flags(&record, TODAY);
    let summary: Vec<(FlagCode, &str, &str)> =
        flags.iter().map(|f| (f.code, f.medicine.as_str(), f.reason.as_str())).collect();
    assert_eq!(
        summary,
        vec![
            (
                FlagCode::Anticoagulant,
                "Warfarin 3mg tablets",
                "Anticoagulant: bleeding risk; check before procedures, NSAIDs or thrombolysis"
            ),
            (FlagCode::Nsaid, "Ibuprofen 400mg tablets", "NSAID: GI bleeding, kidney and cardiovascular risk"),
            (
                FlagCode::NsaidWithAnticoagulant,
                "Ibuprofen 400mg tablets",
                "NSAID with an anticoagulant (Warfarin 3mg tablets): high bleeding risk; avoid the combination"
            ),
            (
                FlagCode::NsaidInKidneyDisease,
                "Ibuprofen 400mg tablets",
                "NSAID in chronic kidney disease (latest eGFR 52 on 2026-11-15): risk of acute kidney injury"
            ),
        ]
    );
    assert!(flags.iter().all(|f| f.basis == FlagBasis::CodeSet));
}

#[test]
fn only_the_latest_egfr_and_active_ckd_problems_count_as_kidney_disease() {
    let mut record = nsaid_and_warfarin();
    record.medications.remove(0);
    record.observations = vec![egfr(20, 45.0, 400), egfr(21, 62.0, 10)];
    assert_eq!(codes(&record), vec![(FlagCode::Nsaid, EntryId(2))], "recovered eGFR");
    let mut ckd = active_problem(30, 700378005, "Chronic kidney disease stage 3A", 500);
    ckd.status = ProblemStatus::Inactive;
    record.problems = vec![ckd.clone()];
    assert_eq!(codes(&record), vec![(FlagCode::Nsaid, EntryId(2))], "inactive problem");
    ckd.status = ProblemStatus::Active;
    record.problems = vec![ckd];
    assert_eq!(codes(&record), vec![(FlagCode::Nsaid, EntryId(2)), (FlagCode::NsaidInKidneyDisease, EntryId(2))]);
    assert_eq!(
        high_risk_flags(&record, TODAY)[1].reason,
        "NSAID in chronic kidney disease (Chronic kidney disease stage 3A): risk of acute kidney injury"
    );
}

#[test]
fn a_stopped_anticoagulant_raises_no_flag_and_no_combination() {
    let mut record = nsaid_and_warfarin();
    record.medications[0].status =
        crate::record::MedicationStatus::Discontinued { on: ago(15), reason: "Switched to apixaban".into() };
    assert_eq!(codes(&record), vec![(FlagCode::Nsaid, EntryId(2))]);
}

#[test]
fn methotrexate_not_written_as_weekly_gets_a_second_flag() {
    let weekly = repeat_of(1, METHOTREXATE, "Four tablets once a week on Mondays", 100).issued(&[10], 16.0, 28);
    let daily = repeat_of(2, METHOTREXATE, "Four tablets daily", 100).issued(&[10], 16.0, 28);
    let flags = high_risk_flags(&record(vec![weekly.build(), daily.build()]), TODAY);
    let summary: Vec<(FlagCode, EntryId)> = flags.iter().map(|f| (f.code, f.entry)).collect();
    assert_eq!(
        summary,
        vec![
            (FlagCode::Methotrexate, EntryId(1)),
            (FlagCode::Methotrexate, EntryId(2)),
            (FlagCode::MethotrexateNotStatedWeekly, EntryId(2)),
        ]
    );
    assert_eq!(flags[2].reason, "Methotrexate dose does not say weekly: confirm it is taken once a week");
}

#[test]
fn lithium_and_antipsychotics_are_recognised_by_name_and_say_so() {
    let named = |id, name: &str| repeat(id, DEGRADED, name, "One tablet at night", 100).issued(&[10], 28.0, 28).build();
    let record = record(vec![
        named(1, "Lithium carbonate 400mg modified-release tablets"),
        named(2, "Priadel 200mg modified-release tablets"),
        named(3, "Olanzapine 10mg tablets"),
        named(4, "Quetiapine 25mg tablets"),
        named(5, "Paracetamol 500mg tablets"),
        named(6, "Olanzapinex 5mg tablets"),
    ]);
    let flags = high_risk_flags(&record, TODAY);
    let summary: Vec<(FlagCode, EntryId, FlagBasis)> = flags.iter().map(|f| (f.code, f.entry, f.basis)).collect();
    assert_eq!(
        summary,
        vec![
            (FlagCode::Lithium, EntryId(1), FlagBasis::ProductName),
            (FlagCode::Lithium, EntryId(2), FlagBasis::ProductName),
            (FlagCode::Antipsychotic, EntryId(3), FlagBasis::ProductName),
            (FlagCode::Antipsychotic, EntryId(4), FlagBasis::ProductName),
        ]
    );
}

#[test]
fn every_code_set_group_has_its_flag_and_reason() {
    let med = |id, product, dose| repeat_of(id, product, dose, 100).issued(&[10], 28.0, 28).build();
    let record = record(vec![
        med(1, GLARGINE, "20 units at night"),
        med(2, GLICLAZIDE_80, "One tablet twice a day"),
        med(3, MORPHINE_MR_10, "One tablet twice a day"),
        med(4, PREDNISOLONE_5, "Six tablets in the morning"),
        med(5, SERTRALINE_50, "One tablet once a day"),
        med(6, AMLODIPINE_5, "One tablet once a day"),
    ]);
    let summary: Vec<(FlagCode, String)> =
        high_risk_flags(&record, TODAY).into_iter().map(|f| (f.code, f.reason)).collect();
    let expected = [
        (FlagCode::Insulin, "Insulin: hypoglycaemia risk; never omit in type 1 diabetes; check dose and device"),
        (FlagCode::Sulfonylurea, "Sulfonylurea: hypoglycaemia risk, especially when not eating or in renal impairment"),
        (FlagCode::Opioid, "Opioid: sedation and respiratory depression risk; check total dose; do not stop abruptly"),
        (
            FlagCode::OralCorticosteroid,
            "Oral steroid: do not stop abruptly (adrenal crisis); may need extra cover when ill",
        ),
        (
            FlagCode::Antidepressant,
            "Antidepressant: review mood and suicide risk; serotonin syndrome; taper, do not stop",
        ),
    ];
    assert_eq!(summary, expected.map(|(c, r)| (c, r.to_string())).to_vec());
}
