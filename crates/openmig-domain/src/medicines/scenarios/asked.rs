//! "Prescribed as asked?"

use chrono::NaiveDate;

use crate::dates::PartialDate;
use crate::identifiers::SnomedCode;
use crate::medicines::testkit::products::*;
use crate::medicines::testkit::*;
use crate::medicines::*;
use crate::record::{GpRecord, Medication};

fn start(text: &str, dose: Option<&str>) -> RequestedChange {
    RequestedChange {
        action: RequestAction::Start,
        medicine: MedicineQuery::Text(text.into()),
        dose: dose.map(str::to_string),
    }
}

fn stop(text: &str) -> RequestedChange {
    RequestedChange { action: RequestAction::Stop, medicine: MedicineQuery::Text(text.into()), dose: None }
}

fn asked(record: &GpRecord, on: NaiveDate, item: &RequestedChange) -> RequestOutcome {
    check_item(record, on, item, TODAY)
}

fn started(on: u64, m: &Medication) -> RequestOutcome {
    RequestOutcome::Start(StartOutcome::Started { on: PartialDate::Day(ago(on)), medication: MedicineRef::of(m) })
}

#[test]
fn nothing_matching_is_not_started() {
    let statin = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 300).issued(&[20], 28.0, 28).build();
    let record = record(vec![statin]);
    assert_eq!(
        asked(&record, ago(42), &start("ramipril 2.5mg", None)),
        RequestOutcome::Start(StartOutcome::NotStarted)
    );
}

#[test]
fn a_medicine_running_before_the_request_is_already_on_not_started_in_response() {
    let statin = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 300).issued(&[20], 28.0, 28).build();
    let record = record(vec![statin.clone()]);
    let already = |dose_matches| {
        RequestOutcome::Start(StartOutcome::AlreadyOn {
            since: PartialDate::Day(ago(300)),
            medication: MedicineRef::of(&statin),
            dose_matches,
            still_current: true,
        })
    };
    assert_eq!(asked(&record, ago(42), &start("atorvastatin 40mg", None)), already(true));
    assert_eq!(asked(&record, ago(42), &start("Atorvastatin 80mg tablets", None)), already(false));
    let outcome = asked(&record, ago(42), &start("atorvastatin 40mg", None));
    assert!(matches!(outcome, RequestOutcome::Start(s) if s.dose_matches() == Some(true)));
}

#[test]
fn a_medicine_started_after_the_request_and_since_stopped_says_when_and_why() {
    let sertraline = repeat_of(1, SERTRALINE_50, "One tablet once a day", 90)
        .issued(&[90, 62], 28.0, 28)
        .discontinued(30, "Nausea")
        .build();
    let record = record(vec![sertraline.clone()]);
    assert_eq!(
        asked(&record, ago(100), &start("sertraline 50mg", None)),
        RequestOutcome::Start(StartOutcome::StartedThenStopped {
            started: PartialDate::Day(ago(90)),
            stopped: Some(PartialDate::Day(ago(30))),
            reason: Some("Nausea".into()),
            medication: MedicineRef::of(&sertraline),
        })
    );
}

#[test]
fn a_code_request_matches_its_substance_and_compares_the_dose_text() {
    let statin = repeat_of(1, ATORVASTATIN_80, "One tablet at night", 20).issued(&[20], 28.0, 28).build();
    let record = record(vec![statin.clone()]);
    let by_code = |dose: &str| RequestedChange {
        action: RequestAction::Start,
        medicine: MedicineQuery::Code { code: SnomedCode::known(ATORVASTATIN_80.0), name: None },
        dose: Some(dose.into()),
    };
    assert_eq!(asked(&record, ago(42), &by_code("1 tablet at night.")), started(20, &statin));
    assert_eq!(
        asked(&record, ago(42), &by_code("Two tablets at night")),
        RequestOutcome::Start(StartOutcome::StartedDifferentStrengthOrDose {
            on: PartialDate::Day(ago(20)),
            medication: MedicineRef::of(&statin),
            requested_strength: Strength::from_text("80mg"),
            started_strength: Strength::from_text("80mg"),
            requested_dose: Some("Two tablets at night".into()),
            started_dose: "One tablet at night".into(),
        })
    );
}

#[test]
fn a_code_request_unknown_to_the_record_matches_only_that_code_unless_named() {
    let statin = repeat_of(1, ATORVASTATIN_40, "One tablet at night", 20).issued(&[20], 28.0, 28).build();
    let record = record(vec![statin]);
    let code = SnomedCode::known(ATORVASTATIN_80.0);
    let anonymous = RequestedChange {
        action: RequestAction::Start,
        medicine: MedicineQuery::Code { code, name: None },
        dose: None,
    };
    assert_eq!(asked(&record, ago(42), &anonymous), RequestOutcome::Start(StartOutcome::NotStarted));
    let named =
        RequestedChange { medicine: MedicineQuery::Code { code, name: Some(ATORVASTATIN_80.1.into()) }, ..anonymous };
    let RequestOutcome::Start(outcome) = asked(&record, ago(42), &named) else { panic!("a start request") };
    assert_eq!(outcome.dose_matches(), Some(false), "80mg asked, 40mg started");
}

#[test]
fn a_brand_request_is_answered_by_the_generic_of_the_same_substance_and_strength() {
    let valproate = repeat_of(1, VALPROATE_500, "One tablet twice a day", 20).issued(&[20], 56.0, 28).build();
    let record = record(vec![valproate.clone()]);
    let brand = RequestedChange {
        action: RequestAction::Start,
        medicine: MedicineQuery::Code {
            code: SnomedCode::known(EPILIM_CHRONO_500.0),
            name: Some(EPILIM_CHRONO_500.1.into()),
        },
        dose: Some("One tablet twice a day".into()),
    };
    assert_eq!(asked(&record, ago(30), &brand), started(20, &valproate));
}

#[test]
fn after_a_dose_change_the_current_course_is_judged_and_the_first_start_is_reported() {
    let fifty = repeat_of(1, SERTRALINE_50, "One tablet once a day", 200)
        .issued(&every(28, 196, 28), 28.0, 28)
        .discontinued(10, "Dose increased")
        .build();
    let hundred = repeat_of(2, SERTRALINE_100, "One tablet once a day", 10).issued(&[10], 28.0, 28).build();
    let record = record(vec![fifty, hundred.clone()]);
    assert_eq!(asked(&record, ago(20), &start("sertraline 100mg", None)), started(10, &hundred));
    let RequestOutcome::Start(StartOutcome::StartedDifferentStrengthOrDose { on, medication, .. }) =
        asked(&record, ago(300), &start("sertraline 50mg", None))
    else {
        panic!("now on 100mg")
    };
    assert_eq!((on, medication), (PartialDate::Day(ago(200)), MedicineRef::of(&hundred)));
}

#[test]
fn a_stop_request_reports_stopped_still_issued_still_current_or_not_on_record() {
    let naproxen = repeat_of(1, NAPROXEN_500, "One tablet twice a day", 400)
        .issued(&[100, 72], 56.0, 28)
        .discontinued(30, "Stopped at clinic's request")
        .build();
    let ramipril = repeat_of(2, RAMIPRIL_5, "One capsule once a day", 400).issued(&[60], 28.0, 28).build();
    let methotrexate =
        repeat_of(3, METHOTREXATE, "Four tablets once a week", 400).elsewhere("RVI rheumatology").build();
    let record = record(vec![naproxen.clone(), ramipril.clone(), methotrexate.clone()]);
    assert_eq!(
        asked(&record, ago(42), &stop("naproxen")),
        RequestOutcome::Stop(StopOutcome::Stopped {
            on: Some(PartialDate::Day(ago(30))),
            reason: Some("Stopped at clinic's request".into()),
            medication: MedicineRef::of(&naproxen),
        })
    );
    assert_eq!(
        asked(&record, ago(42), &stop("Ramipril 5mg capsules")),
        RequestOutcome::Stop(StopOutcome::StillCurrent {
            last_issue: Some(ago(60)),
            medication: MedicineRef::of(&ramipril)
        })
    );
    assert_eq!(
        asked(&record, ago(90), &stop("ramipril")),
        RequestOutcome::Stop(StopOutcome::StillIssued { last_issue: ago(60), medication: MedicineRef::of(&ramipril) })
    );
    assert_eq!(
        asked(&record, ago(42), &stop("methotrexate")),
        RequestOutcome::Stop(StopOutcome::StillCurrent {
            last_issue: None,
            medication: MedicineRef::of(&methotrexate)
        })
    );
    assert_eq!(asked(&record, ago(42), &stop("diclofenac")), RequestOutcome::Stop(StopOutcome::NotOnRecord));
}

#[test]
fn a_medicine_stopped_then_restarted_after_the_request_counts_as_started() {
    let first = repeat_of(1, AMLODIPINE_5, "One tablet once a day", 400)
        .issued(&every(28, 400, 232), 28.0, 28)
        .discontinued(220, "Ankle swelling")
        .build();
    let again = repeat_of(2, AMLODIPINE_5, "One tablet once a day", 60).issued(&[60, 32, 4], 28.0, 28).build();
    let record = record(vec![first, again.clone()]);
    assert_eq!(asked(&record, ago(100), &start("amlodipine 5mg", None)), started(60, &again));
    assert_eq!(
        asked(&record, ago(250), &stop("amlodipine")),
        RequestOutcome::Stop(StopOutcome::StillIssued { last_issue: ago(4), medication: MedicineRef::of(&again) })
    );
}

#[test]
fn a_whole_request_is_answered_item_by_item() {
    let record = record(vec![]);
    let request = ClinicRequest { date: ago(42), items: vec![start("atorvastatin 80mg", None), stop("naproxen")] };
    let outcomes: Vec<RequestOutcome> =
        check_request(&record, &request, TODAY).into_iter().map(|c| c.outcome).collect();
    assert_eq!(
        outcomes,
        vec![RequestOutcome::Start(StartOutcome::NotStarted), RequestOutcome::Stop(StopOutcome::NotOnRecord)]
    );
}
