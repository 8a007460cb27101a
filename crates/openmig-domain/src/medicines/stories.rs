//! The brief's medicines stories, rebuilt by hand to match the generator's planted story
//! patients (`openmig-generator/src/record/stories.rs`) in substance, with the answers
//! the brief promises.

use super::testkit::products::*;
use super::testkit::*;
use super::*;
use crate::dates::PartialDate;
use crate::identifiers::EntryId;

fn pdc(months: u32, covered: u32, days: u32) -> (u32, u32, u32) {
    (months, covered, days)
}

fn pdc_figures(adherence: &Adherence) -> Vec<(u32, u32, u32)> {
    match adherence {
        Adherence::Estimated { three_months, six_months, twelve_months, .. } => {
            [three_months, six_months, twelve_months]
                .iter()
                .map(|p| (p.months, p.days_covered, p.days_in_window))
                .collect()
        }
        Adherence::NotApplicable { reason, .. } => panic!("expected an estimate, got {reason:?}"),
    }
}

/// Story 1: Epilim Chrono 500, one tablet twice a day, issued every 28 days for over three
/// years, last issued 19 days ago (56 tablets).
fn epilepsy() -> GpRecord {
    let epilim = repeat_of(1, EPILIM_CHRONO_500, "One tablet twice a day", 28 * 40 + 19)
        .issued(&every(28, 28 * 40 + 19, 19), 56.0, 28)
        .build();
    record(vec![epilim])
}

#[test]
fn the_bank_holiday_doctor_sees_the_exact_last_issue_and_the_anti_epileptic_flag() {
    let review = review(&epilepsy(), TODAY, &ReviewConfig::default());
    let [epilim] = review.current.as_slice() else { panic!("one current medicine") };
    assert_eq!(epilim.name, "Epilim Chrono 500 tablets");
    assert_eq!(epilim.substance.as_str(), "valproate");
    assert_eq!(epilim.dose, "One tablet twice a day");
    let last = epilim.last_issue.as_ref().expect("issued");
    assert_eq!((last.date, last.quantity, last.days_supply), (ago(19), 56.0, 28));
    assert_eq!(epilim.issue_count, 41);
    assert_eq!(epilim.issues_remaining, Some(0), "41 issues against 12 authorised");
    assert_eq!(epilim.unit, "tablet");
    assert!(epilim.supply_alerts.is_empty(), "supply runs to 9 days from now");
    assert_eq!(pdc_figures(&epilim.adherence), vec![pdc(3, 93, 93), pdc(6, 185, 185), pdc(12, 366, 366)]);
    assert_eq!(review.flags.len(), 1);
    assert_eq!(review.flags[0].code, FlagCode::Antiepileptic);
    assert_eq!(
        review.flags[0].reason,
        "Anti-epileptic: do not omit or delay doses (seizure risk); keep the same product"
    );
}

/// Story 2: 84, apixaban, gliclazide, ramipril and furosemide, CKD stage 3, eGFR falling.
#[test]
fn the_overnight_admission_shows_anticoagulant_and_sulfonylurea_flags_and_kidney_disease() {
    let start = 28 * 30 + 9;
    let medications = [APIXABAN_5, GLICLAZIDE_80, RAMIPRIL_5, FUROSEMIDE_40]
        .iter()
        .zip(1..)
        .map(|(p, id)| {
            repeat_of(id, *p, "One tablet twice a day", start).issued(&every(28, start, 9), 56.0, 28).build()
        })
        .collect();
    let mut record = record(medications);
    record.problems.push(active_problem(10, 433144002, "Chronic kidney disease stage 3", 400));
    for (id, (days_ago, value)) in (20..).zip([(730, 58.0), (540, 53.0), (365, 47.0), (180, 41.0), (30, 35.0)]) {
        record.observations.push(egfr(id, value, days_ago));
    }
    let review = review(&record, TODAY, &ReviewConfig::default());
    let flags: Vec<(FlagCode, &str)> = review.flags.iter().map(|f| (f.code, f.medicine.as_str())).collect();
    assert_eq!(
        flags,
        vec![(FlagCode::Anticoagulant, "Apixaban 5mg tablets"), (FlagCode::Sulfonylurea, "Gliclazide 80mg tablets")]
    );
    assert_eq!(
        kidney_evidence(&record),
        Some(KidneyEvidence::Problem {
            code: crate::identifiers::SnomedCode::known(433144002),
            display: "Chronic kidney disease stage 3".into()
        })
    );
    assert_eq!(review.current.len(), 4);
}

/// Story 3: the clinic letter 42 days ago asked to start atorvastatin 80mg and stop
/// naproxen; atorvastatin 40mg was started 30 days ago and naproxen is still issued.
#[test]
fn the_clinic_sees_atorvastatin_started_at_a_different_strength_and_naproxen_still_issued() {
    let statin = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 30).issued(&[30, 2], 28.0, 28).build();
    let nsaid = repeat_of(2, NAPROXEN_500, "One tablet twice a day", 598).issued(&every(28, 598, 10), 56.0, 28).build();
    let record = record(vec![statin.clone(), nsaid.clone()]);
    let request = ClinicRequest {
        date: ago(42),
        items: vec![
            RequestedChange {
                action: RequestAction::Start,
                medicine: MedicineQuery::Text("atorvastatin 80mg".into()),
                dose: None,
            },
            RequestedChange {
                action: RequestAction::Stop,
                medicine: MedicineQuery::Text("naproxen".into()),
                dose: None,
            },
        ],
    };
    let checks = check_request(&record, &request, TODAY);
    assert_eq!(
        checks[0].outcome,
        RequestOutcome::Start(StartOutcome::StartedDifferentStrengthOrDose {
            on: PartialDate::Day(ago(30)),
            medication: MedicineRef::of(&statin),
            requested_strength: Strength::from_text("80mg"),
            started_strength: Strength::from_text("40mg"),
            requested_dose: None,
            started_dose: "One tablet at night".into(),
        })
    );
    assert_eq!((ago(30) - ago(42)).num_days(), 12, "started 12 days after the letter");
    assert_eq!(
        checks[1].outcome,
        RequestOutcome::Stop(StopOutcome::StillIssued { last_issue: ago(10), medication: MedicineRef::of(&nsaid) })
    );
}

/// Story 4: sertraline issued every 28 days from 600 to 236 days ago, then only 196, 135
/// and 95 days ago: about 40 % of the last six months covered, overdue.
#[test]
fn the_sertraline_story_gives_its_days_covered_and_is_overdue() {
    let mut issues = every(28, 600, 224);
    assert_eq!(issues.last(), Some(&236));
    issues.extend([196, 135, 95]);
    let sertraline = repeat_of(1, SERTRALINE_50, "One tablet once a day", 600).issued(&issues, 28.0, 28).build();
    let review = review(&record(vec![sertraline]), TODAY, &ReviewConfig::default());
    let view = &review.current[0];
    // 3 months (from 2026-08-25, 93 days): the issue 95 days ago covers 25 of them.
    // 6 months (from 2026-05-25, 185 days): 16 days from the issue 196 days ago, 28 + 28.
    // 12 months (from 2025-11-25, 366 days): 17 + 5 × 28 + 3 × 28.
    assert_eq!(pdc_figures(&view.adherence), vec![pdc(3, 25, 93), pdc(6, 72, 185), pdc(12, 241, 366)]);
    let Adherence::Estimated { six_months, notice, .. } = &view.adherence else { unreachable!() };
    assert!((six_months.proportion - 72.0 / 185.0).abs() < 1e-12);
    assert!((0.38..0.40).contains(&six_months.proportion), "≈ 40 %");
    assert_eq!(*notice, ESTIMATE_NOTICE);
    assert_eq!(
        view.supply_alerts,
        vec![
            SupplyAlert::Overdue {
                supply_ran_out: ago(67),
                days_late: 67,
                message: "Overdue: the last issue's supply ran out on 2026-09-19 (67 days ago) and no issue since"
                    .into(),
            },
            SupplyAlert::StoppedCollecting {
                last_issue: ago(95),
                days_since_last_issue: 95,
                days_supply: 28,
                message: "Possibly stopped collecting: no issue for 95 days, more than 3 supply periods of 28 days"
                    .into(),
            },
        ]
    );
    assert_eq!(review.flags.iter().map(|f| f.code).collect::<Vec<_>>(), vec![FlagCode::Antidepressant]);
    let gaps: Vec<(Option<i64>, bool)> =
        review.history[0].issues.iter().rev().take(4).map(|i| (i.gap_days, i.long_gap)).collect();
    assert_eq!(gaps, vec![(Some(12), false), (Some(33), true), (Some(12), false), (Some(0), false)]);
    assert_eq!(review.history[0].issues[0].entry, EntryId(1));
}
