//! The current list and its per-medicine view.

use crate::codesets::DrugClass;
use crate::dates::PartialDate;
use crate::identifiers::{EntryId, SnomedCode};
use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;
use crate::record::{PrescribingSetting, PrescriptionSource, PrescriptionType};

fn view_for(record: &crate::record::GpRecord) -> Vec<MedicineView> {
    review(record, TODAY, &ReviewConfig::default()).current
}

#[test]
fn a_current_repeat_shows_every_fact_a_clinician_asks_for() {
    let apixaban = repeat_of(1, APIXABAN_5, "One tablet twice a day", 200)
        .issued(&every(28, 196, 28), 56.0, 28)
        .instructions("Carry your anticoagulant alert card")
        .build();
    let views = view_for(&record(vec![apixaban]));
    let [view] = views.as_slice() else { panic!("one line") };
    let expected = MedicineView {
        entry: EntryId(1),
        merged_entries: vec![],
        name: "Apixaban 5mg tablets".into(),
        code: SnomedCode::known(703908001),
        substance: Substance::from_text("apixaban").expect("named"),
        strength: Strength::from_text("5mg"),
        class: Some(DrugClass::Anticoagulant),
        dose: "One tablet twice a day".into(),
        patient_instructions: Some("Carry your anticoagulant alert card".into()),
        quantity: 56.0,
        unit: "tablet".into(),
        quantity_text: None,
        prescription_type: PrescriptionType::Repeat,
        started: PartialDate::Day(ago(200)),
        last_issue: Some(IssueSummary {
            entry: EntryId(1),
            date: ago(28),
            quantity: 56.0,
            days_supply: 28,
            supply_ends: Some(TODAY),
        }),
        issue_count: 7,
        issues_remaining: Some(5),
        review_due: None,
        prescriber: PrescriptionSource::Practice { authoriser: gp() },
        issued_by_practice: true,
        source_note: None,
        adherence: view.adherence.clone(),
        supply_alerts: vec![],
        flags: view.flags.clone(),
    };
    assert_eq!(view, &expected);
    // Supply ends today, so today is the one uncovered day of the 3- and 6-month windows;
    // the 12-month window starts at the start, 200 days ago (first issue 196 days ago).
    let Adherence::Estimated { three_months, six_months, twelve_months, .. } = &view.adherence else {
        panic!("a practice repeat has an estimate")
    };
    assert_eq!((three_months.days_covered, three_months.days_in_window), (92, 93));
    assert_eq!((six_months.days_covered, six_months.days_in_window), (184, 185));
    assert_eq!((twelve_months.from, twelve_months.days_covered, twelve_months.days_in_window), (ago(200), 196, 201));
    assert_eq!(view.flags.iter().map(|f| f.code).collect::<Vec<_>>(), vec![FlagCode::Anticoagulant]);
    assert_eq!(view.flags[0].reason, "Anticoagulant: bleeding risk; check before procedures, NSAIDs or thrombolysis");
}

#[test]
fn a_medicine_prescribed_elsewhere_is_current_marked_and_never_given_an_adherence_figure() {
    let methotrexate = repeat_of(1, METHOTREXATE, "Four tablets once a week on Mondays", 700)
        .elsewhere("Freeman Hospital rheumatology clinic")
        .build();
    let views = view_for(&record(vec![methotrexate]));
    let [view] = views.as_slice() else { panic!("listed, never silently missing") };
    assert!(!view.issued_by_practice);
    assert_eq!(view.source_note, Some("Not issued by the GP practice"));
    assert_eq!(
        view.prescriber,
        PrescriptionSource::Elsewhere {
            organisation: "Freeman Hospital rheumatology clinic".into(),
            ods_code: None,
            setting: PrescribingSetting::SpecialistClinic,
        }
    );
    assert_eq!(
        view.adherence,
        Adherence::NotApplicable {
            reason: NotApplicableReason::PrescribedElsewhere,
            explanation: "Not issued by the GP practice: no GP issue records, so no adherence estimate",
        }
    );
    assert_eq!((view.issue_count, view.last_issue.as_ref(), view.issues_remaining), (0, None, None));
    assert!(view.supply_alerts.is_empty(), "no GP issues is not overdue");
    assert_eq!(view.flags.iter().map(|f| f.code).collect::<Vec<_>>(), vec![FlagCode::Methotrexate]);
}

#[test]
fn a_repeat_never_issued_has_no_figure_and_is_flagged_once_past_the_grace() {
    let old = repeat_of(1, RAMIPRIL_5, "One capsule once a day", 60).build();
    let new = repeat_of(2, AMLODIPINE_5, "One tablet once a day", 10).build();
    let views = view_for(&record(vec![old, new]));
    let by_name: Vec<(&str, &[SupplyAlert])> = views.iter().map(|v| (v.name.as_str(), &v.supply_alerts[..])).collect();
    assert_eq!(
        by_name,
        vec![
            ("Amlodipine 5mg tablets", &[][..]),
            (
                "Ramipril 5mg capsules",
                &[SupplyAlert::NeverIssued {
                    since: ago(60),
                    days: 60,
                    message: "Never issued: current repeat started 60 days ago with no issue recorded".into(),
                }][..]
            ),
        ]
    );
    for view in &views {
        assert_eq!(view.adherence, NotApplicableReason::NeverIssued.adherence_for_test());
        assert_eq!((view.issue_count, view.issues_remaining), (0, Some(12)));
    }
}

#[test]
fn acute_courses_repeated_often_are_one_line_counting_every_issue() {
    // Co-codamol as six separate acute entries, one every five days, each a week's supply.
    let courses: Vec<_> = (11..=16)
        .zip([30, 25, 20, 15, 10, 5])
        .map(|(id, days_ago)| {
            repeat_of(id, CO_CODAMOL, "One to two tablets four times a day when required", days_ago)
                .acute()
                .issued(&[days_ago], 28.0, 7)
                .completed(days_ago.saturating_sub(7))
                .build()
        })
        .collect();
    let old_antibiotic = repeat_of(20, AMOXICILLIN_500, "One capsule three times a day", 120)
        .acute()
        .issued(&[120], 21.0, 7)
        .completed(113)
        .build();
    let mut medications = courses;
    medications.push(old_antibiotic);
    let record = record(medications);
    let review = review(&record, TODAY, &ReviewConfig::default());
    let [line] = review.current.as_slice() else { panic!("one merged line; the old antibiotic is not current") };
    assert_eq!(line.entry, EntryId(16));
    assert_eq!(line.merged_entries, vec![EntryId(11), EntryId(12), EntryId(13), EntryId(14), EntryId(15)]);
    assert_eq!(line.issue_count, 6);
    assert_eq!(line.last_issue.as_ref().map(|i| (i.entry, i.date)), Some((EntryId(16), ago(5))));
    assert_eq!(line.adherence, NotApplicableReason::AcuteCourse.adherence_for_test());
    assert_eq!(
        line.supply_alerts,
        vec![SupplyAlert::IssuedFasterThanUsed {
            first_issue: ago(30),
            last_issue: ago(5),
            days_supplied: 35,
            days_elapsed: 25,
            opioid: true,
            message: "Opioid issued faster than prescribed: 35 days' supply in 25 days; \
                      review for over-use, dependence or diversion"
                .into(),
        }]
    );
    assert_eq!(
        review.flags.iter().map(|f| (f.code, f.entry)).collect::<Vec<_>>(),
        vec![(FlagCode::Opioid, EntryId(16))]
    );
    // The record-wide flag list (for practice-wide searches) has one flag per current entry.
    assert_eq!(high_risk_flags(&record, TODAY).len(), 6);
}

#[test]
fn stopped_medicines_leave_the_list_and_the_list_is_sorted_by_name() {
    let stopped = repeat_of(1, WARFARIN_3, "As directed by the anticoagulant clinic", 400)
        .issued(&[400, 372], 28.0, 28)
        .discontinued(350, "Switched to apixaban")
        .build();
    let zeta = repeat_of(2, RAMIPRIL_5, "One capsule once a day", 100).issued(&[20], 28.0, 28).build();
    let alpha = repeat_of(3, AMLODIPINE_5, "One tablet once a day", 100).issued(&[20], 28.0, 28).build();
    let names: Vec<String> = view_for(&record(vec![stopped, zeta, alpha])).into_iter().map(|v| v.name).collect();
    assert_eq!(names, vec!["Amlodipine 5mg tablets", "Ramipril 5mg capsules"]);
}

impl NotApplicableReason {
    fn adherence_for_test(self) -> Adherence {
        Adherence::NotApplicable { reason: self, explanation: self.explanation() }
    }
}
