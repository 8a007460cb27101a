//! Changes since a date.

use crate::dates::PartialDate;
use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;

fn since(record: &crate::record::GpRecord, days_ago: u64) -> Vec<MedicineChange> {
    changes_since(record, ago(days_ago), TODAY, 7).changes
}

#[test]
fn a_dose_change_mid_course_is_one_change_with_the_reason() {
    // The 50mg course is stopped 18 days into its last 28-day supply.
    let fifty = repeat_of(1, SERTRALINE_50, "One tablet once a day", 200)
        .issued(&every(28, 196, 28), 28.0, 28)
        .discontinued(10, "Dose increased")
        .build();
    let hundred = repeat_of(2, SERTRALINE_100, "One tablet once a day", 10).issued(&[10], 28.0, 28).build();
    let record = record(vec![fifty.clone(), hundred.clone()]);
    assert_eq!(
        since(&record, 30),
        vec![MedicineChange::DoseChanged {
            on: PartialDate::Day(ago(10)),
            from: MedicineRef::of(&fifty),
            to: MedicineRef::of(&hundred),
            reason: Some("Dose increased".into()),
        }]
    );
    // The new course is not over-ordering, and its PDC starts with it.
    let review = review(&record, TODAY, &ReviewConfig::default());
    let [view] = review.current.as_slice() else { panic!("only the 100mg is current") };
    assert!(view.supply_alerts.is_empty());
    let Adherence::Estimated { twelve_months, .. } = &view.adherence else { panic!("estimated") };
    assert_eq!((twelve_months.from, twelve_months.days_covered, twelve_months.days_in_window), (ago(10), 11, 11));
}

#[test]
fn a_brand_to_generic_switch_at_the_same_strength_and_dose_is_a_product_switch() {
    let epilim = repeat_of(1, EPILIM_CHRONO_500, "One tablet twice a day", 300)
        .issued(&every(28, 300, 20), 56.0, 28)
        .discontinued(20, "Practice formulary: generic")
        .build();
    let generic = repeat_of(2, VALPROATE_500, "One tablet twice a day", 20).issued(&[20], 56.0, 28).build();
    let record = record(vec![generic.clone(), epilim.clone()]);
    assert_eq!(
        since(&record, 60),
        vec![MedicineChange::ProductSwitched {
            on: PartialDate::Day(ago(20)),
            from: MedicineRef::of(&epilim),
            to: MedicineRef::of(&generic),
            reason: Some("Practice formulary: generic".into()),
        }]
    );
}

#[test]
fn a_medicine_stopped_then_restarted_months_later_is_a_stop_and_a_start() {
    let first = repeat_of(1, AMLODIPINE_5, "One tablet once a day", 400)
        .issued(&every(28, 400, 232), 28.0, 28)
        .discontinued(220, "Ankle swelling")
        .build();
    let again = repeat_of(2, AMLODIPINE_5, "One tablet once a day", 60).issued(&[60, 32, 4], 28.0, 28).build();
    let record = record(vec![again.clone(), first.clone()]);
    assert_eq!(
        since(&record, 365),
        vec![
            MedicineChange::Stopped {
                on: PartialDate::Day(ago(220)),
                reason: Some("Ankle swelling".into()),
                medicine: MedicineRef::of(&first),
            },
            MedicineChange::Started { on: PartialDate::Day(ago(60)), medicine: MedicineRef::of(&again) },
        ]
    );
    assert_eq!(since(&record, 100).len(), 1, "only the restart is since 100 days ago");
}

#[test]
fn acute_courses_start_but_do_not_stop_and_completed_repeats_stop_without_a_reason() {
    let antibiotic = repeat_of(1, AMOXICILLIN_500, "One capsule three times a day", 20)
        .acute()
        .issued(&[20], 21.0, 7)
        .completed(13)
        .build();
    let steroid = repeat_of(2, PREDNISOLONE_5, "Six tablets in the morning", 100)
        .issued(&[100, 72], 168.0, 28)
        .completed(44)
        .build();
    let elsewhere = repeat_of(3, METHOTREXATE, "Four tablets once a week", 30).elsewhere("RVI rheumatology").build();
    let record = record(vec![antibiotic.clone(), steroid.clone(), elsewhere.clone()]);
    assert_eq!(
        since(&record, 60),
        vec![
            MedicineChange::Stopped {
                on: PartialDate::Day(ago(44)),
                reason: None,
                medicine: MedicineRef::of(&steroid)
            },
            MedicineChange::Started { on: PartialDate::Day(ago(30)), medicine: MedicineRef::of(&elsewhere) },
            MedicineChange::Started { on: PartialDate::Day(ago(20)), medicine: MedicineRef::of(&antibiotic) },
        ]
    );
}

#[test]
fn a_new_course_far_from_the_old_ones_stop_is_not_a_dose_change() {
    let forty = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 300)
        .issued(&[300], 28.0, 28)
        .discontinued(100, "Myalgia")
        .build();
    let eighty = repeat_of(2, ATORVASTATIN_80, "One tablet at night", 90).issued(&[90], 28.0, 28).build();
    let kinds: Vec<&str> = since(&record(vec![forty, eighty]), 120)
        .iter()
        .map(|c| match c {
            MedicineChange::Started { .. } => "started",
            MedicineChange::Stopped { .. } => "stopped",
            MedicineChange::DoseChanged { .. } => "dose changed",
            MedicineChange::ProductSwitched { .. } => "switched",
        })
        .collect();
    assert_eq!(kinds, vec!["stopped", "started"], "10 days apart, beyond the 7-day link");
}
