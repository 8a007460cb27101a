//! Conformance of everything the provider emits through HTTP:
//!
//! - every response body (success Bundles, their entries, every kind of error
//!   OperationOutcome and the CapabilityStatement) validates against the base FHIR STU3
//!   models of the third-party `fhir.resources` package;
//! - insta snapshots of the full example Bundle and of one OperationOutcome per error kind;
//! - no request for one patient ever returns another patient's data.
//!
//! Needs python3 with `fhir.resources==8.3.0`; `./scripts/test` installs it. The
//! validation test fails, never skips, when it is missing.

mod common;

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use common::*;
use openmig_fhir::validator::{validate_stu3, write_json as write};
use serde_json::{Value, json};

const BASE: &str = "/Z90001/STU3/1/gpconnect/structured/fhir";

fn example(items: Vec<Value>) -> Value {
    let mut all = vec![nhs_param(EXAMPLE_NHS)];
    all.extend(items);
    parameters(all)
}

/// Posts `body` with all-valid headers to practice `ODS` through `app`.
async fn post_to(app: &Router, body: &Value) -> Answer {
    send(app.clone(), request_builder(ODS).body(Body::from(body.to_string())).unwrap()).await
}

/// Posts the example allergies request through `app` with one header changed (`None`
/// removes it).
async fn post_with_header_to(app: &Router, name: &str, value: Option<&str>) -> Answer {
    let request = request_builder(ODS).body(Body::from(example(vec![allergies(true)]).to_string())).unwrap();
    send(app.clone(), with_header(request, name, value)).await
}

/// One request per success scenario: (name, answer). Each must be a 200 Bundle.
async fn successes(app: &Router) -> Vec<(&'static str, Answer)> {
    vec![
        ("allergies-resolved-medication-issues", post_to(app, &example(vec![allergies(true), medication(true)])).await),
        (
            "allergies-active-medication-no-issues",
            post_to(app, &example(vec![allergies(false), medication(false)])).await,
        ),
        ("problems", post_to(app, &example(vec![json!({ "name": "includeProblems" })])).await),
        (
            "immunisations-not-given",
            post_to(
                app,
                &example(vec![json!({ "name": "includeImmunisations", "part": [
                    { "name": "includeNotGiven", "valueBoolean": true },
                    { "name": "includeStatus", "valueBoolean": true }
                ] })]),
            )
            .await,
        ),
        ("referrals", post_to(app, &example(vec![json!({ "name": "includeReferrals" })])).await),
        ("consultations", post_to(app, &example(vec![json!({ "name": "includeConsultations" })])).await),
        (
            "consultations-most-recent-with-every-area",
            post_to(
                app,
                &example(vec![
                    allergies(true),
                    medication(false),
                    json!({ "name": "includeConsultations", "part": [
                        { "name": "includeNumberOfMostRecent", "valuePositiveInt": 1 }
                    ] }),
                    json!({ "name": "includeProblems" }),
                    json!({ "name": "includeImmunisations" }),
                    json!({ "name": "includeReferrals" }),
                    json!({ "name": "includeUncategorisedData" }),
                    json!({ "name": "includeInvestigations" }),
                ]),
            )
            .await,
        ),
        (
            "consultations-empty-period",
            post_to(
                app,
                &example(vec![json!({ "name": "includeConsultations", "part": [
                    { "name": "consultationSearchPeriod", "valuePeriod": { "start": "2025-06-17", "end": "2025-06-17" } }
                ] })]),
            )
            .await,
        ),
        (
            "consultations-sensitive-items",
            post_to(
                app,
                &parameters(vec![
                    nhs_param(&sensitive_consultations_nhs().to_string()),
                    json!({ "name": "includeConsultations" }),
                ]),
            )
            .await,
        ),
        ("uncategorised", post_to(app, &example(vec![json!({ "name": "includeUncategorisedData" })])).await),
        (
            "unknown-parameter-warning",
            post_to(app, &example(vec![allergies(false), json!({ "name": "timePeriod", "valueString": "x" })])).await,
        ),
        (
            "no-known-allergies",
            post_to(
                app,
                &parameters(vec![
                    nhs_param(
                        &openmig_domain::fixtures::example_record_with_no_known_allergies()
                            .patient
                            .nhs_number
                            .to_string(),
                    ),
                    allergies(true),
                ]),
            )
            .await,
        ),
    ]
}

/// One request per error kind: (name, expected status, expected Spine code, answer).
async fn errors(app: &Router) -> Vec<(&'static str, u16, &'static str, Answer)> {
    let mut expired = claims();
    expired["iat"] = json!(now().timestamp() - 600);
    expired["exp"] = json!(now().timestamp() - 300);
    let bearer = format!("Bearer {}", jwt(&expired));
    let get = Request::get(format!("{BASE}/Patient/$gpc.getstructuredrecord")).body(Body::empty()).unwrap();
    vec![
        ("400-bad-request-header", 400, "BAD_REQUEST", post_with_header_to(app, "Ssp-TraceID", None).await),
        ("400-bad-request-jwt", 400, "BAD_REQUEST", post_with_header_to(app, "Authorization", Some(&bearer)).await),
        (
            "400-invalid-nhs-number",
            400,
            "INVALID_NHS_NUMBER",
            post_to(app, &parameters(vec![nhs_param("9434765918"), allergies(true)])).await,
        ),
        (
            "404-patient-not-found",
            404,
            "PATIENT_NOT_FOUND",
            post_to(app, &parameters(vec![nhs_param(&nhs(900_000_500).to_string()), allergies(true)])).await,
        ),
        (
            "403-no-patient-consent",
            403,
            "NO_PATIENT_CONSENT",
            post_to(app, &parameters(vec![nhs_param(&dissent_nhs().to_string()), allergies(true)])).await,
        ),
        (
            "422-invalid-parameter",
            422,
            "INVALID_PARAMETER",
            post_to(app, &example(vec![json!({ "name": "includeAllergies" })])).await,
        ),
        ("422-invalid-resource", 422, "INVALID_RESOURCE", post_to(app, &json!({ "resourceType": "Patient" })).await),
        ("405-get-instead-of-post", 405, "BAD_REQUEST", send(app.clone(), get).await),
        (
            "415-wrong-content-type",
            415,
            "BAD_REQUEST",
            post_with_header_to(app, "Content-Type", Some("application/xml")).await,
        ),
        (
            "406-not-acceptable",
            406,
            "BAD_REQUEST",
            post_with_header_to(app, "Accept", Some("application/fhir+xml")).await,
        ),
        (
            "501-not-implemented",
            501,
            "NOT_IMPLEMENTED",
            post_to(app, &example(vec![allergies(true), json!({ "name": "includeDiaryEntries" })])).await,
        ),
    ]
}

async fn metadata(app: &Router) -> Answer {
    send(app.clone(), metadata_request(ODS)).await
}

#[tokio::test]
async fn every_response_body_validates_against_the_fhir_resources_stu3_models() {
    let store = store();
    let app = app(&store);
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();

    for (name, answer) in successes(&app).await {
        assert_eq!(answer.status, 200, "{name}: {}", answer.body);
        assert_eq!(answer.body["resourceType"], "Bundle", "{name}");
        files.push(write(dir.path(), &format!("{name}-bundle"), &answer.body));
        for (n, entry) in answer.body["entry"].as_array().unwrap().iter().enumerate() {
            files.push(write(dir.path(), &format!("{name}-{n:03}"), &entry["resource"]));
        }
    }
    for (name, status, code, answer) in errors(&app).await {
        assert_error(&answer, status, code);
        files.push(write(dir.path(), name, &answer.body));
    }
    let capability = metadata(&app).await;
    assert_eq!(capability.status, 200);
    assert_eq!(capability.body["resourceType"], "CapabilityStatement");
    files.push(write(dir.path(), "metadata", &capability.body));

    // Every resource type these requests produce must have been validated at least once.
    let expected = "Bundle,Patient,Organization,Practitioner,PractitionerRole,List,AllergyIntolerance,Medication,\
                    MedicationStatement,MedicationRequest,Condition,Immunization,ReferralRequest,Observation,\
                    DiagnosticReport,Encounter,OperationOutcome,CapabilityStatement";
    validate_stu3(&files, expected);
}

/// The snapshot form of a value: object keys sorted (serde_json's map is ordered by
/// key), with anything non-deterministic redacted. Nothing is redacted today: the
/// provider runs on an injected clock and echoes no trace id.
fn snapshot(name: &str, value: &Value) {
    insta::with_settings!({ sort_maps => true, prepend_module_to_snapshot => false }, {
        insta::assert_json_snapshot!(name, value);
    });
}

#[tokio::test]
async fn the_example_bundle_matches_its_snapshot() {
    let store = store();
    let answer = post_to(&app(&store), &example(vec![allergies(true), medication(true)])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    snapshot("example-allergies-resolved-medication-issues", &answer.body);
}

#[tokio::test]
async fn the_example_consultations_bundle_matches_its_snapshot() {
    let store = store();
    let answer = post_to(&app(&store), &example(vec![json!({ "name": "includeConsultations" })])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    snapshot("example-consultations", &answer.body);
}

#[tokio::test]
async fn each_error_kind_matches_its_snapshot() {
    let store = store();
    for (name, status, code, answer) in errors(&app(&store)).await {
        assert_error(&answer, status, code);
        let seen = json!({ "status": answer.status, "contentType": answer.content_type, "body": answer.body });
        snapshot(&format!("error-{name}"), &seen);
    }
}

/// Every NHS number the store holds, with whether its patient's record is served.
fn fixture_patients() -> Vec<(String, bool)> {
    use openmig_domain::fixtures;
    vec![
        (fixtures::example_record().patient.nhs_number.to_string(), true),
        (fixtures::example_record_with_no_known_allergies().patient.nhs_number.to_string(), true),
        (dissent_nhs().to_string(), false),
        (deceased_nhs().to_string(), false),
        (deregistered_nhs().to_string(), false),
        (restricted_nhs().to_string(), false),
        (elsewhere_nhs().to_string(), false),
    ]
}

fn everything(nhs_number: &str) -> Value {
    parameters(vec![
        nhs_param(nhs_number),
        allergies(true),
        medication(true),
        json!({ "name": "includeProblems" }),
        // includeNotGiven may not be combined with includeProblems.
        json!({ "name": "includeImmunisations" }),
        json!({ "name": "includeReferrals" }),
        json!({ "name": "includeUncategorisedData" }),
    ])
}

/// Every `reference` string under a `subject` or `patient` element, anywhere in `value`.
fn patient_references(value: &Value, key: Option<&str>, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if matches!(key, Some("subject" | "patient"))
                && let Some(reference) = map.get("reference").and_then(Value::as_str)
            {
                out.push(reference.to_string());
            }
            for (k, v) in map {
                patient_references(v, Some(k), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| patient_references(v, key, out)),
        _ => {}
    }
}

/// Every NHS-number identifier value anywhere in `value`.
fn nhs_identifiers(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if map.get("system").and_then(Value::as_str) == Some("https://fhir.nhs.uk/Id/nhs-number")
                && let Some(v) = map.get("value").and_then(Value::as_str)
            {
                out.insert(v.to_string());
            }
            map.values().for_each(|v| nhs_identifiers(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| nhs_identifiers(v, out)),
        _ => {}
    }
}

fn assert_only_patient(nhs_number: &str, served: bool, answer: &Answer, all: &[(String, bool)]) {
    let text = answer.body.to_string();
    // No other fixture patient's NHS number appears anywhere, whatever the outcome.
    for (other, _) in all.iter().filter(|(other, _)| other != nhs_number) {
        assert!(!text.contains(other.as_str()), "request for {nhs_number} mentions {other}: {text}");
    }
    if !served {
        assert!(answer.status == 403 || answer.status == 404, "{nhs_number}: {}", answer.status);
        assert_eq!(answer.body["resourceType"], "OperationOutcome");
        assert!(!text.contains(nhs_number), "error diagnostics must not carry the NHS number: {text}");
        return;
    }
    assert_eq!(answer.status, 200, "{nhs_number}: {text}");
    let patients = resources(&answer.body, "Patient");
    assert_eq!(patients.len(), 1, "exactly one Patient in the Bundle for {nhs_number}");
    let patient = patients[0];
    let mut numbers = BTreeSet::new();
    nhs_identifiers(&answer.body, &mut numbers);
    assert_eq!(numbers, BTreeSet::from([nhs_number.to_string()]), "NHS numbers in the Bundle for {nhs_number}");
    let entry = answer.body["entry"].as_array().unwrap().iter().find(|e| e["resource"]["resourceType"] == "Patient");
    let full_url = entry.and_then(|e| e["fullUrl"].as_str()).unwrap_or_default().to_string();
    let id = patient["id"].as_str().expect("the Patient has an id");
    let local = format!("Patient/{id}");
    let mut references = Vec::new();
    patient_references(&answer.body, None, &mut references);
    assert!(!references.is_empty(), "{nhs_number}: no subject references at all");
    for reference in references {
        assert!(
            reference == local || reference == full_url,
            "{nhs_number}: subject {reference} is not the Bundle's Patient ({local})"
        );
    }
}

/// `post_to` as a `Send` future (for `tokio::spawn`): status and body only.
async fn post_sendable(app: Router, body: &Value) -> Answer {
    use tower::ServiceExt;
    let request = request_builder(ODS).body(Body::from(body.to_string())).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, content_type: String::new(), cache_control: String::new(), body }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_request_returns_another_patients_data() {
    let store = store();
    let app = app(&store);
    let all = fixture_patients();
    // Sequentially, then all at once through one router, so that no state leaks
    // between concurrent requests.
    for (nhs_number, served) in &all {
        let answer = post_to(&app, &everything(nhs_number)).await;
        assert_only_patient(nhs_number, *served, &answer, &all);
    }
    let tasks: Vec<_> = all
        .iter()
        .cycle()
        .take(all.len() * 4)
        .map(|(nhs_number, served)| {
            let app = app.clone();
            let (nhs_number, served) = (nhs_number.clone(), *served);
            tokio::spawn(async move {
                let answer = post_sendable(app, &everything(&nhs_number)).await;
                (nhs_number, served, answer)
            })
        })
        .collect();
    for task in tasks {
        let (nhs_number, served, answer) = task.await.unwrap();
        assert_only_patient(&nhs_number, served, &answer, &all);
    }
}
