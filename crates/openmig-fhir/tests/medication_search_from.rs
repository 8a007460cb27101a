//! `medicationSearchFromDate` (gpconnect.md §1): a medicine is returned when it is active
//! on or after the date; acutes without an end are active on their start date only,
//! repeats without an end are ongoing, partial dates count as their whole interval and
//! medicines prescribed elsewhere are always returned, with all issues of a returned
//! medicine kept.

mod common;

use chrono::NaiveDate;
use common::{MEDICATIONS, bundle, list, list_items, of_type, warnings};
use openmig_domain::fixtures::{example_record, ids};
use openmig_domain::record::{Medication, MedicationStatus, PrescriptionSource, PrescriptionType};
use openmig_domain::{EntryId, GpRecord, PartialDate};
use openmig_fhir::{MedicationOptions, StructuredOptions};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn from(date: NaiveDate) -> StructuredOptions {
    StructuredOptions {
        medication: Some(MedicationOptions { include_prescription_issues: true, search_from: Some(date) }),
        ..Default::default()
    }
}

/// A record holding only `medication`.
fn only(medication: Medication) -> GpRecord {
    let mut record = example_record();
    record.medications = vec![medication];
    record
}

fn medication(id: EntryId) -> Medication {
    example_record().medications.into_iter().find(|m| m.meta.id == id).unwrap()
}

/// A practice-prescribed medicine of this type, start and status.
fn practice_medicine(kind: PrescriptionType, started: PartialDate, status: MedicationStatus) -> Medication {
    let mut m = medication(ids::NAPROXEN);
    m.prescription_type = kind;
    m.started = started;
    m.status = status;
    m
}

/// True when the medicine is in the Bundle's medications List for `date`.
fn returned(medication: &Medication, date: NaiveDate) -> bool {
    let b = bundle(&only(medication.clone()), &from(date));
    let items = list_items(list(&b, MEDICATIONS).unwrap());
    assert!(items.len() <= 1);
    !items.is_empty()
}

#[test]
fn an_ended_medicine_is_returned_up_to_and_including_its_end_day() {
    let start = day(2024, 3, 4);
    let end = day(2024, 3, 10);
    for kind in [PrescriptionType::Acute, PrescriptionType::Repeat, PrescriptionType::RepeatDispensing] {
        for status in [
            MedicationStatus::Completed { on: PartialDate::Day(end) },
            MedicationStatus::Discontinued { on: end, reason: "Stopped".into() },
        ] {
            let m = practice_medicine(kind, PartialDate::Day(start), status.clone());
            // Before, on and after the start: the medicine is active later, so returned.
            assert!(returned(&m, start.pred_opt().unwrap()), "{kind:?} {status:?}");
            assert!(returned(&m, start), "{kind:?} {status:?}");
            assert!(returned(&m, start.succ_opt().unwrap()), "{kind:?} {status:?}");
            // The day before the end and the end itself are inside; the day after is not.
            assert!(returned(&m, end.pred_opt().unwrap()), "{kind:?} {status:?}");
            assert!(returned(&m, end), "{kind:?} {status:?}");
            assert!(!returned(&m, end.succ_opt().unwrap()), "{kind:?} {status:?}");
        }
    }
}

#[test]
fn an_acute_without_an_end_is_active_on_its_start_day_only() {
    let start = day(2025, 1, 15);
    let m = practice_medicine(PrescriptionType::Acute, PartialDate::Day(start), MedicationStatus::Active);
    assert!(returned(&m, start.pred_opt().unwrap()));
    assert!(returned(&m, start));
    assert!(!returned(&m, start.succ_opt().unwrap()));
}

#[test]
fn a_repeat_without_an_end_is_ongoing() {
    let start = day(2025, 1, 15);
    for kind in [PrescriptionType::Repeat, PrescriptionType::RepeatDispensing] {
        let m = practice_medicine(kind, PartialDate::Day(start), MedicationStatus::Active);
        for date in [start.pred_opt().unwrap(), start, start.succ_opt().unwrap(), day(2026, 11, 25)] {
            assert!(returned(&m, date), "{kind:?} {date}");
        }
    }
}

#[test]
fn partial_dates_count_as_their_whole_interval() {
    // An acute started "2019-06" with no end: active through 2019-06-30.
    let m = practice_medicine(PrescriptionType::Acute, PartialDate::YearMonth(2019, 6), MedicationStatus::Active);
    assert!(returned(&m, day(2019, 6, 30)));
    assert!(!returned(&m, day(2019, 7, 1)));
    // A repeat completed in "2020": active through 2020-12-31.
    let m = practice_medicine(
        PrescriptionType::Repeat,
        PartialDate::Year(2018),
        MedicationStatus::Completed { on: PartialDate::Year(2020) },
    );
    assert!(returned(&m, day(2020, 12, 31)));
    assert!(!returned(&m, day(2021, 1, 1)));
    // Completed in "2020-02" (a leap year): through 2020-02-29.
    let m = practice_medicine(
        PrescriptionType::Acute,
        PartialDate::Year(2020),
        MedicationStatus::Completed { on: PartialDate::YearMonth(2020, 2) },
    );
    assert!(returned(&m, day(2020, 2, 29)));
    assert!(!returned(&m, day(2020, 3, 1)));
}

#[test]
fn a_medicine_prescribed_elsewhere_is_always_returned() {
    let methotrexate = medication(ids::METHOTREXATE);
    assert!(matches!(methotrexate.source, PrescriptionSource::Elsewhere { .. }));
    // Even ended long ago, and even as an acute without an end.
    let mut ended = methotrexate.clone();
    ended.status = MedicationStatus::Completed { on: PartialDate::Year(2019) };
    let mut acute = methotrexate.clone();
    acute.prescription_type = PrescriptionType::Acute;
    for m in [&methotrexate, &ended, &acute] {
        assert!(returned(m, day(2026, 11, 25)));
    }
}

#[test]
fn the_example_record_keeps_current_and_elsewhere_medicines_with_all_their_issues() {
    // 2024-03-11: the amoxicillin course ended on 2024-03-10 and naproxen was stopped in
    // 2023; apixaban (ongoing repeat) and methotrexate (elsewhere) remain.
    let b = bundle(&example_record(), &from(day(2024, 3, 11)));
    let statement = |id: EntryId| format!("MedicationStatement/medication-statement-9434765919-{id}");
    let items = list_items(list(&b, MEDICATIONS).unwrap());
    assert_eq!(items, vec![statement(ids::APIXABAN), statement(ids::METHOTREXATE)]);
    // Only the returned medicines' resources are in the Bundle.
    assert_eq!(of_type(&b, "MedicationStatement").len(), 2);
    assert_eq!(of_type(&b, "Medication").len(), 2);
    // All five apixaban issues, not only those after the date; their count is unchanged.
    let orders: Vec<_> = of_type(&b, "MedicationRequest").into_iter().filter(|r| r["intent"] == "order").collect();
    assert_eq!(orders.len(), medication(ids::APIXABAN).issues.len());
    // One day earlier the amoxicillin course is returned too.
    let b = bundle(&example_record(), &from(day(2024, 3, 10)));
    assert_eq!(list_items(list(&b, MEDICATIONS).unwrap()).len(), 3);
}

#[test]
fn a_withheld_medicine_outside_the_date_does_not_warn_but_one_inside_does() {
    let mut record = example_record();
    for m in &mut record.medications {
        if m.meta.id == ids::NAPROXEN {
            m.meta.confidential = true;
        }
    }
    let after_naproxen = bundle(&record, &from(day(2024, 1, 1)));
    assert!(warnings(list(&after_naproxen, MEDICATIONS).unwrap()).is_empty());
    let before_it_stopped = bundle(&record, &from(day(2023, 2, 10)));
    let medications = list(&before_it_stopped, MEDICATIONS).unwrap();
    assert_eq!(warnings(medications), vec!["confidential-items".to_owned()]);
    assert!(!list_items(medications).iter().any(|r| r.ends_with(&format!("-{}", ids::NAPROXEN))));
}

#[test]
fn no_search_date_returns_every_medicine() {
    let b = bundle(&example_record(), &StructuredOptions::everything());
    assert_eq!(list_items(list(&b, MEDICATIONS).unwrap()).len(), example_record().medications.len());
}
