//! NHS England's GP Connect provider acceptance scenarios of `FHIR.feature`, "Structured
//! Tests" (`nhsconnect/gpconnect-provider-testing`, branch `feature/1.6.0`), ported: the
//! Access Record Structured CapabilityStatement and the metadata read's content types.
//!
//! The scenarios that want FHIR XML are not met, by design: openmig speaks FHIR JSON only,
//! so its CapabilityStatement lists no `application/fhir+xml` ("…indicates acceptance of
//! xml and json format") and a consumer that will accept only XML gets a 406
//! OperationOutcome ("…Accept header is XML…", asserted here). The four whose only point
//! is an XML answer (`_format` XML) are not ported. ARCHITECTURE.md lists the deviation.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use serde_json::Value;

/// The metadata read of the example practice at `query` (after `metadata`), with the
/// read's headers changed by `change`.
async fn metadata(query: &str, change: impl FnOnce(&mut axum::http::HeaderMap)) -> Answer {
    let store = store();
    let mut request =
        Request::get(format!("/{ODS}/STU3/1/gpconnect/structured/fhir/metadata{query}")).body(Body::empty()).unwrap();
    *request.headers_mut() = metadata_headers(ODS);
    change(request.headers_mut());
    send(app(&store), request).await
}

async fn capability_statement() -> Value {
    let answer = metadata("", |_| {}).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");
    answer.body
}

fn set(headers: &mut axum::http::HeaderMap, name: &'static str, value: &str) {
    headers.insert(name, value.parse().unwrap());
}

#[tokio::test]
async fn fhir_get_metadata_and_check_version_of_structured_capability_statement() {
    // The suite compares with the release it is configured for (its App.config's
    // `gpConnectSpecVersionStructured`); openmig implements the 1.6.2 pages.
    assert_eq!(capability_statement().await["version"], "1.6.2");
}

#[tokio::test]
async fn structured_capability_statement_profile_indicates_acceptance_of_xml_and_json_format() {
    // Not met by design (see the module docs): JSON only, and said so.
    let statement = capability_statement().await;
    assert_eq!(statement["format"], serde_json::json!(["application/fhir+json"]));
}

#[tokio::test]
async fn structured_capability_statement_profile_suppliers_software_versions_present() {
    let statement = capability_statement().await;
    assert!(statement["software"]["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert!(statement["software"]["version"].as_str().is_some_and(|v| !v.is_empty()));
}

#[tokio::test]
async fn structured_capability_statement_profile_supported_fhir_version() {
    assert_eq!(capability_statement().await["fhirVersion"], "3.0.1");
}

#[tokio::test]
async fn structured_capability_statement_profile_supports_the_get_structured_record_operation() {
    let statement = capability_statement().await;
    let operations = statement["rest"][0]["operation"].as_array().unwrap();
    let operation = operations.iter().find(|o| o["name"] == "gpc.getstructuredrecord").expect("the operation");
    assert_eq!(
        operation["definition"]["reference"],
        "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1/_history/1.16"
    );
}

#[tokio::test]
async fn the_profiles_are_listed_at_the_versions_the_specification_gives() {
    // GP Connect 1.6.2, "Get the FHIR capability statement" (Access Record Structured).
    let statement = capability_statement().await;
    let profiles: Vec<&str> =
        statement["profile"].as_array().unwrap().iter().filter_map(|p| p["reference"].as_str()).collect();
    for expected in [
        "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1/_history/1.8",
        "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1/_history/1.7",
        "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1/_history/1.3",
        "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1/_history/1.7",
    ] {
        assert!(profiles.contains(&expected), "{expected}");
    }
    assert_eq!(statement["kind"], "capability");
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_accept_header_is_json_and_request_payload_is_xml() {
    let answer = metadata("", |h| {
        set(h, "content-type", "application/fhir+xml");
        set(h, "accept", "application/fhir+json");
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_accept_header_is_xml_and_request_payload_is_json() {
    // Not met by design (see the module docs): a consumer that accepts only XML is told
    // so, in JSON, rather than sent what it cannot read.
    let answer = metadata("", |h| {
        set(h, "content-type", "application/fhir+json");
        set(h, "accept", "application/fhir+xml");
    })
    .await;
    assert_eq!(answer.status, 406, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "OperationOutcome");
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_format_parameter_is_json_and_request_payload_is_json() {
    let answer = metadata("?_format=application/fhir%2Bjson", |h| {
        set(h, "content-type", "application/fhir+json");
        h.remove("accept");
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_format_parameter_is_json_and_request_payload_is_xml() {
    let answer = metadata("?_format=application/fhir%2Bjson", |h| {
        set(h, "content-type", "application/fhir+xml");
        h.remove("accept");
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_accept_header_is_xml_and_format_parameter_is_json() {
    // `_format` overrides `Accept` (FHIR's HTTP page), so JSON is what was asked for.
    let answer = metadata("?_format=application/fhir%2Bjson", |h| {
        set(h, "content-type", "application/fhir+xml");
        set(h, "accept", "application/fhir+xml");
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn structured_fhir_content_type_test_where_accept_header_is_json_and_format_parameter_is_json() {
    let answer = metadata("?_format=application/fhir%2Bjson", |h| {
        set(h, "content-type", "application/fhir+json");
        set(h, "accept", "application/fhir+json");
    })
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn structured_capability_statement_returns_correct_profile_versions() {
    // The suite's 1.6.0 table, for the profiles openmig emits, at the versions the 1.6.2
    // page gives: the two differ for Practitioner (1.2 in the suite, 1.3 on the page)
    // and Observation (1.6, 1.7), and openmig follows the page it implements. Specimen,
    // ProcedureRequest, DocumentReference, HealthcareService and
    // `gpc.migratestructuredrecord` are not listed: openmig sends none of them.
    let statement = capability_statement().await;
    let profiles: Vec<&str> =
        statement["profile"].as_array().unwrap().iter().filter_map(|p| p["reference"].as_str()).collect();
    for (profile, version) in [
        ("CareConnect-GPC-Patient-1", "1.8"),
        ("CareConnect-GPC-Organization-1", "1.4"),
        ("CareConnect-GPC-Practitioner-1", "1.3"),
        ("CareConnect-GPC-PractitionerRole-1", "1.2"),
        ("CareConnect-GPC-AllergyIntolerance-1", "1.7"),
        ("CareConnect-GPC-Medication-1", "1.2"),
        ("CareConnect-GPC-MedicationStatement-1", "1.7"),
        ("CareConnect-GPC-MedicationRequest-1", "1.6"),
        ("CareConnect-GPC-List-1", "1.7"),
        ("GPConnect-StructuredRecord-Bundle-1", "1.3"),
        ("GPConnect-OperationOutcome-1", "1.2"),
        ("CareConnect-GPC-Immunization-1", "1.5"),
        ("CareConnect-GPC-ProblemHeader-Condition-1", "1.7"),
        ("CareConnect-GPC-Encounter-1", "1.5"),
        ("CareConnect-GPC-Observation-1", "1.7"),
        ("CareConnect-GPC-DiagnosticReport-1", "1.3"),
        ("CareConnect-GPC-ReferralRequest-1", "1.2"),
    ] {
        let reference = format!("https://fhir.nhs.uk/STU3/StructureDefinition/{profile}/_history/{version}");
        assert!(profiles.contains(&reference.as_str()), "{reference}");
    }
    let operations: Vec<&str> =
        statement["rest"][0]["operation"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(operations, ["gpc.getstructuredrecord"]);
}
