//! Proportion of days covered and the supply alerts.

use chrono::Days;

use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;
use crate::record::Medication;

fn figures(medication: &Medication) -> Vec<(u32, u32)> {
    PDC_WINDOW_MONTHS
        .iter()
        .map(|m| proportion_of_days_covered(medication, TODAY, *m).expect("started"))
        .map(|p| (p.days_covered, p.days_in_window))
        .collect()
}

fn rules() -> SupplyRules {
    ReviewConfig::default().supply_rules()
}

fn alerts_on(medication: &Medication, today: chrono::NaiveDate, rules: &SupplyRules) -> Vec<SupplyAlert> {
    supply_alerts(&record(vec![medication.clone()]), medication, today, rules)
}

#[test]
fn a_56_day_cycle_is_fully_covered_and_overdue_only_70_days_after_the_last_issue() {
    let levothyroxine =
        repeat_of(1, LEVOTHYROXINE_50, "One tablet once a day", 400).issued(&every(56, 400, 50), 56.0, 56).build();
    assert_eq!(levothyroxine.issues.len(), 7, "400, 344, …, 64 days ago");
    // 3 months: 28 days of the issue 120 days ago + 56 of the last; its supply ended 8 days ago.
    assert_eq!(figures(&levothyroxine), vec![(84, 93), (176, 185), (357, 366)]);
    assert!(alerts_on(&levothyroxine, TODAY, &rules()).is_empty(), "8 days past supply is within the grace");
    let last = ago(64);
    assert!(!is_overdue(&levothyroxine, last + Days::new(70), 14));
    assert!(is_overdue(&levothyroxine, last + Days::new(71), 14));
    // Stopped collecting only after three 56-day periods.
    let kinds = |today| -> Vec<&'static str> { alerts_on(&levothyroxine, today, &rules()).iter().map(kind).collect() };
    assert_eq!(kinds(last + Days::new(168)), vec!["Overdue"]);
    assert_eq!(kinds(last + Days::new(169)), vec!["Overdue", "StoppedCollecting"]);
}

#[test]
fn an_early_reissue_is_carried_over_not_lost() {
    // 100 days ago, then 8 days early (80 days ago), then late (20 days ago). The early
    // supply starts when the first runs out, so 100 → 45 days ago is continuous.
    let statin = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 100).issued(&[100, 80, 20], 28.0, 28).build();
    assert_eq!(figures(&statin), vec![(48 + 21, 93), (56 + 21, 101), (56 + 21, 101)]);
    let six = proportion_of_days_covered(&statin, TODAY, 6).expect("started");
    assert_eq!((six.from, six.to), (ago(100), TODAY), "the window starts at the start, not 6 months back");
}

#[test]
fn the_overdue_grace_is_configurable() {
    let m = repeat_of(1, AMLODIPINE_5, "One tablet once a day", 200).issued(&[106, 78, 50], 28.0, 28).build();
    assert_eq!(
        alerts_on(&m, TODAY, &rules()),
        vec![SupplyAlert::Overdue {
            supply_ran_out: ago(22),
            days_late: 22,
            message: "Overdue: the last issue's supply ran out on 2026-11-03 (22 days ago) and no issue since".into(),
        }]
    );
    let lenient = SupplyRules { overdue_grace_days: 30, ..rules() };
    assert!(alerts_on(&m, TODAY, &lenient).is_empty());
}

#[test]
fn stopped_collecting_counts_supply_periods_and_is_configurable() {
    let m = repeat_of(1, SERTRALINE_50, "One tablet once a day", 300).issued(&[141, 113], 28.0, 28).build();
    let kinds = |rules: &SupplyRules| alerts_on(&m, TODAY, rules).iter().map(kind).collect::<Vec<_>>();
    // 113 days since the last issue: more than 3 × 28 and 4 × 28 (112), not more than 5 × 28.
    assert_eq!(kinds(&rules()), vec!["Overdue", "StoppedCollecting"]);
    assert_eq!(kinds(&SupplyRules { stopped_collecting_periods: 4, ..rules() }), vec!["Overdue", "StoppedCollecting"]);
    assert_eq!(kinds(&SupplyRules { stopped_collecting_periods: 5, ..rules() }), vec!["Overdue"]);
}

#[test]
fn an_opioid_issued_faster_than_its_supply_gets_the_stronger_message() {
    let morphine =
        repeat_of(1, MORPHINE_MR_10, "One tablet twice a day", 150).issued(&every(20, 140, 0), 56.0, 28).build();
    assert_eq!(
        alerts_on(&morphine, TODAY, &rules()),
        vec![SupplyAlert::IssuedFasterThanUsed {
            first_issue: ago(140),
            last_issue: TODAY,
            days_supplied: 7 * 28,
            days_elapsed: 140,
            opioid: true,
            message: "Opioid issued faster than prescribed: 196 days' supply in 140 days; \
                      review for over-use, dependence or diversion"
                .into(),
        }]
    );
    let amlodipine =
        repeat_of(2, AMLODIPINE_5, "One tablet once a day", 150).issued(&every(20, 140, 0), 28.0, 28).build();
    let alerts = alerts_on(&amlodipine, TODAY, &rules());
    let [SupplyAlert::IssuedFasterThanUsed { opioid, message, .. }] = alerts.as_slice() else { panic!("one alert") };
    assert!(!opioid);
    assert_eq!(message.as_str(), "Issued faster than the dose would use: 196 days' supply in 140 days");
    // 196 / 140 = 1.4: within a 40 % margin, beyond a 39 % one.
    assert!(alerts_on(&morphine, TODAY, &SupplyRules { over_ordering_margin_percent: 40, ..rules() }).is_empty());
    assert_eq!(alerts_on(&morphine, TODAY, &SupplyRules { over_ordering_margin_percent: 39, ..rules() }).len(), 1);
}

#[test]
fn one_early_reissue_in_six_months_is_not_over_ordering() {
    let m = repeat_of(1, AMLODIPINE_5, "One tablet once a day", 120).issued(&[112, 84, 63, 35, 7], 28.0, 28).build();
    // 4 × 28 = 112 days' supply before the last issue, over 105 days: 7 % over.
    assert!(alerts_on(&m, TODAY, &rules()).is_empty());
    assert_eq!(figures(&m), vec![(93, 93), (113, 121), (113, 121)]);
}

#[test]
fn no_figure_is_given_where_a_figure_would_mislead() {
    let reason = |m: Medication| match adherence(&m, TODAY) {
        Adherence::NotApplicable { reason, .. } => Some(reason),
        Adherence::Estimated { .. } => None,
    };
    let base = || repeat_of(1, AMLODIPINE_5, "One tablet once a day", 100);
    assert_eq!(reason(base().build()), Some(NotApplicableReason::NeverIssued));
    assert_eq!(reason(base().issued(&[10], 28.0, 0).build()), Some(NotApplicableReason::NoDaysSupply));
    assert_eq!(reason(base().acute().issued(&[10], 28.0, 28).build()), Some(NotApplicableReason::AcuteCourse));
    assert_eq!(
        reason(base().elsewhere("Sunderland Royal Hospital").build()),
        Some(NotApplicableReason::PrescribedElsewhere)
    );
    let stopped = base().issued(&[90], 28.0, 28).discontinued(50, "Ankle swelling").build();
    assert_eq!(reason(stopped), Some(NotApplicableReason::NotCurrent));
    assert_eq!(reason(base().issued(&[10], 28.0, 28).build()), None);
}

#[test]
fn a_medicine_starting_after_today_has_no_window() {
    let mut m = repeat_of(1, AMLODIPINE_5, "One tablet once a day", 0).build();
    m.started = crate::dates::PartialDate::Day(TODAY + Days::new(3));
    assert_eq!(proportion_of_days_covered(&m, TODAY, 3), None);
    let today_only = repeat_of(2, AMLODIPINE_5, "One tablet once a day", 0).issued(&[0], 28.0, 28).build();
    let p = proportion_of_days_covered(&today_only, TODAY, 3).expect("started today");
    assert_eq!((p.days_covered, p.days_in_window, p.proportion), (1, 1, 1.0));
}

fn kind(alert: &SupplyAlert) -> &'static str {
    match alert {
        SupplyAlert::Overdue { .. } => "Overdue",
        SupplyAlert::StoppedCollecting { .. } => "StoppedCollecting",
        SupplyAlert::NeverIssued { .. } => "NeverIssued",
        SupplyAlert::IssuedFasterThanUsed { .. } => "IssuedFasterThanUsed",
    }
}
