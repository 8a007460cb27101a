//! `$gpc.getstructuredrecord` through HTTP (the router in-process), one test per scenario.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::json;

fn example(items: Vec<serde_json::Value>) -> serde_json::Value {
    let mut all = vec![nhs_param(EXAMPLE_NHS)];
    all.extend(items);
    parameters(all)
}

#[tokio::test]
async fn allergies_and_medication_return_the_record() {
    let answer = post(&example(vec![allergies(true), medication(true)])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
    assert_eq!(answer.cache_control, "no-store");
    assert_eq!(answer.body["resourceType"], "Bundle");
    let patient = resources(&answer.body, "Patient");
    assert_eq!(patient[0]["identifier"][0]["value"], EXAMPLE_NHS);
    assert!(!resources(&answer.body, "MedicationStatement").is_empty());
    assert!(!resources(&answer.body, "AllergyIntolerance").is_empty());
    assert!(resources(&answer.body, "MedicationRequest").iter().any(|r| r["intent"] == "order"));
    assert!(resources(&answer.body, "OperationOutcome").is_empty());
}

#[tokio::test]
async fn prescription_issues_false_drops_orders() {
    let answer = post(&example(vec![medication(false)])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let requests = resources(&answer.body, "MedicationRequest");
    assert!(requests.iter().any(|r| r["intent"] == "plan"));
    assert!(requests.iter().all(|r| r["intent"] != "order"));
}

#[tokio::test]
async fn invalid_nhs_number_is_400() {
    assert_error(&post(&parameters(vec![nhs_param("9434765918"), allergies(true)])).await, 400, "INVALID_NHS_NUMBER");
}

#[tokio::test]
async fn wrong_identifier_system_is_400() {
    let body = parameters(vec![
        json!({ "name": "patientNHSNumber", "valueIdentifier": { "system": "urn:x", "value": EXAMPLE_NHS } }),
    ]);
    assert_error(&post(&body).await, 400, "INVALID_IDENTIFIER_SYSTEM");
}

#[tokio::test]
async fn unknown_patient_is_404() {
    let body = parameters(vec![nhs_param(&nhs(900_000_500).to_string()), allergies(true)]);
    assert_error(&post(&body).await, 404, "PATIENT_NOT_FOUND");
}

#[tokio::test]
async fn deceased_patient_is_404() {
    assert_error(&post(&parameters(vec![nhs_param(&deceased_nhs().to_string())])).await, 404, "PATIENT_NOT_FOUND");
}

#[tokio::test]
async fn deregistered_patient_is_404() {
    assert_error(&post(&parameters(vec![nhs_param(&deregistered_nhs().to_string())])).await, 404, "PATIENT_NOT_FOUND");
}

#[tokio::test]
async fn restricted_patient_is_404() {
    assert_error(&post(&parameters(vec![nhs_param(&restricted_nhs().to_string())])).await, 404, "PATIENT_NOT_FOUND");
}

#[tokio::test]
async fn patient_of_another_practice_is_404() {
    assert_error(&post(&parameters(vec![nhs_param(&elsewhere_nhs().to_string())])).await, 404, "PATIENT_NOT_FOUND");
}

#[tokio::test]
async fn dissenting_patient_is_403() {
    assert_error(&post(&parameters(vec![nhs_param(&dissent_nhs().to_string())])).await, 403, "NO_PATIENT_CONSENT");
}

#[tokio::test]
async fn unknown_practice_is_404() {
    let store = store();
    let body = example(vec![allergies(true)]).to_string();
    let answer = send(app(&store), request_builder("Z99999").body(Body::from(body)).unwrap()).await;
    assert_error(&answer, 404, "ORGANISATION_NOT_FOUND");
}

#[tokio::test]
async fn practice_with_sharing_disabled_is_403() {
    let store = store();
    let body = example(vec![allergies(true)]).to_string();
    let answer = send(app(&store), request_builder(CLOSED_ODS).body(Body::from(body)).unwrap()).await;
    assert_error(&answer, 403, "ACCESS_DENIED");
}

#[tokio::test]
async fn get_instead_of_post_is_405() {
    let store = store();
    let request = Request::get(format!("/{ODS}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord"))
        .body(Body::empty())
        .unwrap();
    assert_error(&send(app(&store), request).await, 405, "BAD_REQUEST");
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    assert_error(&post_with_header("Content-Type", Some("application/xml")).await, 415, "BAD_REQUEST");
}

#[tokio::test]
async fn unacceptable_accept_is_406() {
    assert_error(&post_with_header("Accept", Some("application/fhir+xml")).await, 406, "BAD_REQUEST");
}

#[tokio::test]
async fn body_that_is_not_json_is_400() {
    let store = store();
    let answer = send(app(&store), request_builder(ODS).body(Body::from("{not json")).unwrap()).await;
    assert_error(&answer, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn body_that_is_not_parameters_is_422() {
    assert_error(&post(&json!({ "resourceType": "Patient" })).await, 422, "INVALID_RESOURCE");
}

#[tokio::test]
async fn include_allergies_without_resolved_part_is_422() {
    let body = example(vec![json!({ "name": "includeAllergies" })]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn wrong_value_type_is_422() {
    let body = example(vec![
        json!({ "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueString": "yes" }] }),
    ]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn nhs_number_of_wrong_type_is_422() {
    let body = parameters(vec![json!({ "name": "patientNHSNumber", "valueString": EXAMPLE_NHS })]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

fn medication_from(date: &str) -> serde_json::Value {
    json!({ "name": "includeMedication", "part": [{ "name": "medicationSearchFromDate", "valueDate": date }] })
}

#[tokio::test]
async fn partial_medication_search_date_is_422() {
    assert_error(&post(&example(vec![medication_from("2024-05")])).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn future_medication_search_date_is_422() {
    assert_error(&post(&example(vec![medication_from("2026-11-26")])).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn valid_medication_search_date_returns_only_medicines_active_on_or_after_it() {
    // The example record: apixaban (ongoing repeat), amoxicillin (acute ended 2024-03-10),
    // naproxen (repeat stopped 2023-02-10) and methotrexate (prescribed elsewhere).
    let medicines = |answer: &Answer| {
        let mut references: Vec<String> = resources(&answer.body, "MedicationStatement")
            .iter()
            .map(|s| s["medicationReference"]["reference"].as_str().unwrap().to_owned())
            .collect();
        references.sort();
        references
    };
    let answer = post(&example(vec![medication_from("2024-05-01")])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(resources(&answer.body, "OperationOutcome").is_empty());
    let returned = medicines(&answer);
    assert_eq!(returned.len(), 2, "{returned:?}");
    assert!(returned.iter().all(|r| r.ends_with("-1") || r.ends_with("-4")), "{returned:?}");
    // Issues of a returned medicine are all kept, including those before the date.
    assert!(resources(&answer.body, "MedicationRequest").iter().any(|r| r["intent"] == "order"));

    // On the amoxicillin course's last day it is still returned.
    let answer = post(&example(vec![medication_from("2024-03-10")])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(medicines(&answer).len(), 3);
}

#[tokio::test]
async fn forbidden_combination_is_422() {
    let body = example(vec![json!({ "name": "includeConsultations" }), medication_from("2024-05-01")]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn consultation_period_and_most_recent_together_is_422_invalid_resource() {
    let body = example(vec![json!({ "name": "includeConsultations", "part": [
        { "name": "consultationSearchPeriod", "valuePeriod": { "start": "2024-01-01" } },
        { "name": "includeNumberOfMostRecent", "valuePositiveInt": 3 }
    ] })]);
    assert_error(&post(&body).await, 422, "INVALID_RESOURCE");
}

#[tokio::test]
async fn unsupported_area_is_501_naming_it() {
    let answer = post(&example(vec![allergies(true), json!({ "name": "includeDiaryEntries" })])).await;
    assert_error(&answer, 501, "NOT_IMPLEMENTED");
    assert!(answer.body["issue"][0]["diagnostics"].as_str().unwrap().contains("includeDiaryEntries"));
}

fn investigations(period: serde_json::Value) -> serde_json::Value {
    json!({ "name": "includeInvestigations", "part": [{ "name": "investigationSearchPeriod", "valuePeriod": period }] })
}

#[tokio::test]
async fn investigations_return_a_report_per_date_filtered_on_issued() {
    // The example record's one laboratory result (eGFR, taken 2026-10-28, recorded
    // 2026-10-29, below its range).
    let answer = post(&example(vec![json!({ "name": "includeInvestigations" })])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let reports = resources(&answer.body, "DiagnosticReport");
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0]["issued"], "2026-10-29T00:00:00+00:00");
    let observations = resources(&answer.body, "Observation");
    assert_eq!(observations.len(), 1);
    assert_eq!(observations[0]["interpretation"]["coding"][0]["code"], "L");
    let list = resources(&answer.body, "List");
    assert!(list.iter().any(|l| l["code"]["coding"][0]["code"] == "887191000000108"));

    // The period is inclusive on issued: the recorded day is in, the day after is out.
    let answer = post(&example(vec![investigations(json!({ "start": "2026-10-29" }))])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(resources(&answer.body, "DiagnosticReport").len(), 1);
    let answer = post(&example(vec![investigations(json!({ "start": "2026-10-30" }))])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(resources(&answer.body, "DiagnosticReport").is_empty());
    assert!(resources(&answer.body, "Observation").is_empty());
}

#[tokio::test]
async fn problems_immunisations_referrals_and_uncategorised_data_are_returned() {
    let answer = post(&example(vec![
        json!({ "name": "includeProblems", "part": [{ "name": "filterStatus", "valueCode": "active" }] }),
        json!({ "name": "includeImmunisations" }),
        json!({ "name": "includeReferrals" }),
        json!({ "name": "includeUncategorisedData" }),
    ]))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let conditions = resources(&answer.body, "Condition");
    assert!(!conditions.is_empty());
    assert!(conditions.iter().all(|c| c["clinicalStatus"] == "active"), "the active filter applies");
    for list_code in ["717711000000103", "1102181000000102", "792931000000107", "826501000000100"] {
        let lists = resources(&answer.body, "List");
        assert!(lists.iter().any(|l| l["code"]["coding"][0]["code"] == list_code), "list {list_code} present");
    }
}

#[tokio::test]
async fn invalid_problem_filter_is_422_before_501() {
    let body = example(vec![
        json!({ "name": "includeProblems", "part": [{ "name": "filterStatus", "valueCode": "resolved" }] }),
    ]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn unknown_parameter_is_reported_in_the_bundle() {
    let answer = post(&example(vec![allergies(false), json!({ "name": "timePeriod", "valueString": "x" })])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let outcomes = resources(&answer.body, "OperationOutcome");
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0]["issue"].as_array().unwrap().len(), 1);
    assert_eq!(outcomes[0]["issue"][0]["severity"], "warning");
    assert_eq!(outcomes[0]["issue"][0]["diagnostics"], "timePeriod");
}

#[tokio::test]
async fn unknown_part_is_reported_in_the_bundle() {
    let body = example(vec![json!({ "name": "includeAllergies", "part": [
        { "name": "includeResolvedAllergies", "valueBoolean": true },
        { "name": "madeUpPart", "valueBoolean": true }
    ] })]);
    let answer = post(&body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        resources(&answer.body, "OperationOutcome")[0]["issue"][0]["diagnostics"],
        "includeAllergies.madeUpPart"
    );
}

#[tokio::test]
async fn no_recognised_parameters_is_422() {
    assert_error(&post(&parameters(vec![json!({ "name": "timePeriod" })])).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn metadata_is_a_capability_statement() {
    let store = store();
    let answer = send(app(&store), metadata_request(ODS)).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");
    assert_eq!(answer.body["fhirVersion"], "3.0.1");
}
