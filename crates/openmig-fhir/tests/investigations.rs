//! The investigations area: one DiagnosticReport per effective date of laboratory
//! results, `issued` the latest recorded day of its results, `investigationSearchPeriod`
//! inclusive on `issued`, interpretation outside the range, withholding as elsewhere.

mod common;

use chrono::NaiveDate;
use common::{UNCATEGORISED, bundle, list, list_items, of_type, references, warnings};
use openmig_domain::fixtures::{example_record, ids};
use openmig_domain::record::{Observation, ObservationValue, ReferenceRange};
use openmig_domain::{EntryId, GpRecord, PartialDate};
use openmig_fhir::{InvestigationOptions, StructuredOptions, UncategorisedOptions};
use serde_json::Value;

const INVESTIGATIONS: &str = "887191000000108";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn options(period: Option<(NaiveDate, NaiveDate)>) -> StructuredOptions {
    StructuredOptions { investigations: Some(InvestigationOptions { period }), ..Default::default() }
}

fn egfr() -> Observation {
    example_record().observations.into_iter().find(|o| o.meta.id == ids::EGFR).unwrap()
}

/// A laboratory result like the eGFR with another id, date, recorded day and value.
fn result(id: u32, effective: PartialDate, recorded_on: NaiveDate, value: f64) -> Observation {
    let mut o = egfr();
    o.meta.id = EntryId(id);
    o.effective = effective;
    o.meta.recorded_on = recorded_on;
    o.value = ObservationValue::Quantity { value, unit: "mL/min/{1.73_m2}".into() };
    o
}

/// The example record with these laboratory results instead of the eGFR.
fn record(results: Vec<Observation>) -> GpRecord {
    let mut record = example_record();
    record.observations.retain(|o| o.meta.id != ids::EGFR);
    record.observations.extend(results);
    record
}

fn reports(bundle: &Value) -> Vec<&Value> {
    of_type(bundle, "DiagnosticReport")
}

fn result_refs(report: &Value) -> Vec<String> {
    report["result"].as_array().unwrap().iter().map(|r| r["reference"].as_str().unwrap().to_owned()).collect()
}

fn observation_ref(id: u32) -> String {
    format!("Observation/observation-9434765919-{id}")
}

#[test]
fn one_report_per_date_refers_to_that_dates_results_and_the_list_to_the_reports() {
    let r = record(vec![
        result(301, PartialDate::Day(day(2025, 3, 14)), day(2025, 3, 15), 70.0),
        result(302, PartialDate::Day(day(2025, 3, 14)), day(2025, 3, 17), 71.0),
        result(303, PartialDate::Day(day(2025, 6, 1)), day(2025, 6, 2), 72.0),
        // A partial date is a group of its own, apart from the days inside it, ordered by
        // its first day.
        result(304, PartialDate::YearMonth(2025, 3), day(2025, 4, 1), 73.0),
    ]);
    let b = bundle(&r, &options(None));
    let reports = reports(&b);
    let ids: Vec<&str> = reports.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        vec![
            "diagnostic-report-9434765919-2025-03",
            "diagnostic-report-9434765919-2025-03-14",
            "diagnostic-report-9434765919-2025-06-01",
        ]
    );
    assert_eq!(result_refs(reports[0]), vec![observation_ref(304)]);
    assert_eq!(result_refs(reports[1]), vec![observation_ref(301), observation_ref(302)]);
    assert_eq!(result_refs(reports[2]), vec![observation_ref(303)]);
    // issued: the latest recorded day of the report's results, as an instant.
    assert_eq!(reports[1]["issued"], "2025-03-17T00:00:00+00:00");
    assert_eq!(reports[2]["issued"], "2025-06-02T00:00:00+00:00");
    for report in &reports {
        assert_eq!(report["status"], "final");
        assert_eq!(report["code"]["coding"][0]["code"], "721981007");
        assert_eq!(
            report["meta"]["profile"][0],
            "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DiagnosticReport-1"
        );
        assert!(report.get("effectiveDateTime").is_none());
    }
    let investigations = list(&b, INVESTIGATIONS).unwrap();
    assert_eq!(list_items(investigations), ids.iter().map(|id| format!("DiagnosticReport/{id}")).collect::<Vec<_>>());
    // Every result is in the Bundle once, as a laboratory Observation.
    let observations = of_type(&b, "Observation");
    assert_eq!(observations.len(), 4);
    assert!(observations.iter().all(|o| o["category"][0]["coding"][0]["code"] == "laboratory"));
    // The same record gives the same Bundle.
    assert_eq!(b, bundle(&r, &options(None)));
}

#[test]
fn the_period_is_inclusive_on_issued_not_on_the_result_date() {
    // Taken 2026-10-28, recorded (so issued) 2026-10-29.
    let returned = |start, end| !reports(&bundle(&example_record(), &options(Some((start, end))))).is_empty();
    let issued = day(2026, 10, 29);
    let before = issued.pred_opt().unwrap();
    let after = issued.succ_opt().unwrap();
    assert!(returned(issued, issued));
    assert!(returned(before, issued));
    assert!(returned(issued, after));
    assert!(!returned(after, day(2026, 11, 25)));
    assert!(!returned(day(2026, 1, 1), before), "the result date alone does not count");
    // Filtered out: no report, no Observation, an empty List without a warning.
    let b = bundle(&example_record(), &options(Some((after, after))));
    assert!(of_type(&b, "Observation").is_empty());
    let investigations = list(&b, INVESTIGATIONS).unwrap();
    assert!(list_items(investigations).is_empty());
    assert_eq!(investigations["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert!(warnings(investigations).is_empty());
}

#[test]
fn results_outside_their_range_carry_an_interpretation_and_keep_ucum_and_the_range() {
    let mut high = result(311, PartialDate::Day(day(2025, 1, 2)), day(2025, 1, 3), 9.1);
    high.value = ObservationValue::Quantity { value: 9.1, unit: "mmol/L".into() };
    high.reference_range = Some(ReferenceRange { low: Some(3.5), high: Some(5.3), text: None });
    let mut normal = high.clone();
    normal.meta.id = EntryId(312);
    normal.value = ObservationValue::Quantity { value: 4.0, unit: "mmol/L".into() };
    let mut unranged = high.clone();
    unranged.meta.id = EntryId(313);
    unranged.reference_range = None;
    let b = bundle(&record(vec![egfr(), high, normal, unranged]), &options(None));
    let observation = |id: u32| {
        of_type(&b, "Observation").into_iter().find(|o| o["id"] == format!("observation-9434765919-{id}")).unwrap()
    };
    let code = |o: &Value| o["interpretation"]["coding"][0]["code"].as_str().map(str::to_owned);
    assert_eq!(code(observation(ids::EGFR.0)), Some("L".into()));
    assert_eq!(code(observation(311)), Some("H".into()));
    assert_eq!(code(observation(312)), None);
    assert_eq!(code(observation(313)), None);
    let high = observation(311);
    assert_eq!(high["valueQuantity"]["system"], "http://unitsofmeasure.org");
    assert_eq!(high["valueQuantity"]["code"], "mmol/L");
    assert_eq!(high["referenceRange"][0]["high"]["value"], 5.3);
    assert_eq!(high["interpretation"]["coding"][0]["system"], "http://hl7.org/fhir/v2/0078");
}

#[test]
fn withheld_results_are_absent_and_the_list_warns_only_when_their_report_was_asked_for() {
    let mut secret = result(321, PartialDate::Day(day(2025, 3, 14)), day(2025, 3, 20), 70.0);
    secret.meta.confidential = true;
    let shared = result(322, PartialDate::Day(day(2025, 3, 14)), day(2025, 3, 15), 71.0);
    let mut alone = result(323, PartialDate::Day(day(2025, 5, 1)), day(2025, 5, 2), 72.0);
    alone.meta.confidential = true;
    let r = record(vec![secret, shared, alone]);

    let b = bundle(&r, &options(None));
    let investigations = list(&b, INVESTIGATIONS).unwrap();
    assert_eq!(warnings(investigations), vec!["confidential-items".to_owned()]);
    // The 2025-03-14 report holds only the shared result, issued when that was recorded;
    // the report whose only result is withheld is not sent at all.
    let reports = reports(&b);
    assert_eq!(reports.len(), 1);
    assert_eq!(result_refs(reports[0]), vec![observation_ref(322)]);
    assert_eq!(reports[0]["issued"], "2025-03-15T00:00:00+00:00");
    let all = references(&b);
    assert!(!all.iter().any(|r| r == &observation_ref(321) || r == &observation_ref(323)));
    assert!(!of_type(&b, "Observation").iter().any(|o| o["id"] == "observation-9434765919-321"));

    // A period covering neither report: nothing, and no warning.
    let b = bundle(&r, &options(Some((day(2025, 6, 1), day(2025, 6, 30)))));
    assert!(warnings(list(&b, INVESTIGATIONS).unwrap()).is_empty());
    // A period covering only the withheld result's recording: the whole report would
    // have been issued then, so the List warns, but the shared part's issued is outside
    // the period and it is not returned.
    let b = bundle(&r, &options(Some((day(2025, 3, 20), day(2025, 3, 31)))));
    let investigations = list(&b, INVESTIGATIONS).unwrap();
    assert_eq!(warnings(investigations), vec!["confidential-items".to_owned()]);
    assert!(list_items(investigations).is_empty());
}

#[test]
fn laboratory_results_stay_out_of_the_uncategorised_list_when_both_are_asked_for() {
    let options = StructuredOptions {
        investigations: Some(InvestigationOptions::default()),
        uncategorised: Some(UncategorisedOptions::default()),
        ..Default::default()
    };
    let b = bundle(&example_record(), &options);
    let egfr = observation_ref(ids::EGFR.0);
    assert!(!list_items(list(&b, UNCATEGORISED).unwrap()).contains(&egfr));
    assert_eq!(result_refs(reports(&b)[0]), vec![egfr.clone()]);
    assert_eq!(of_type(&b, "Observation").iter().filter(|o| o["id"] == "observation-9434765919-12").count(), 1);
}

#[test]
fn without_investigations_there_is_no_report_and_no_list() {
    let b = bundle(&example_record(), &StructuredOptions { investigations: None, ..StructuredOptions::everything() });
    assert!(reports(&b).is_empty());
    assert!(list(&b, INVESTIGATIONS).is_none());
}
