//! The FHIR R4 UK Core read API through HTTP: metadata, Patient search and read,
//! `$everything`, searches by patient, formats, errors; confidential and sensitive
//! entries never appear.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use openmig_domain::fixtures;
use serde_json::Value;

/// The types of the entries a search matched (not its `outcome` entries: what the
/// practice or the gateway says about the search).
fn resource_types(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["search"]["mode"] != "outcome")
                .map(|e| e["resource"]["resourceType"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// What the `outcome` entries of a searchset say.
fn outcomes(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["search"]["mode"] == "outcome")
        .flat_map(|e| e["resource"]["issue"].as_array().cloned().unwrap_or_default())
        .filter_map(|issue| issue["diagnostics"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn metadata_is_an_r4_capability_statement_without_a_token() {
    let gateway = gateway();
    let answer = get(&gateway, "/fhir/R4/metadata", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type, "application/fhir+json; charset=utf-8");
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");
    assert_eq!(answer.body["fhirVersion"], "4.0.1");
}

#[tokio::test]
async fn patient_search_by_nhs_number_finds_the_patient() {
    let gateway = gateway();
    let token = gateway.doctor();
    let path = format!("/fhir/R4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{EXAMPLE_NHS}");
    let answer = get(&gateway, &path, Some(&token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["type"], "searchset");
    assert_eq!(answer.body["total"], 1);
    let patient = &answer.body["entry"][0]["resource"];
    assert_eq!(patient["id"], EXAMPLE_NHS);
    assert_eq!(patient["identifier"][0]["value"], EXAMPLE_NHS);
    assert_eq!(answer.body["entry"][0]["fullUrl"], format!("{PUBLIC_URL}/fhir/R4/Patient/{EXAMPLE_NHS}"));

    let restricted = format!("/fhir/R4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{}", restricted_nhs());
    let none = get(&gateway, &restricted, Some(&token)).await;
    assert_eq!((none.status, none.body["total"].as_u64()), (200, Some(0)), "a restricted patient is not found");

    let wrong_system =
        get(&gateway, &format!("/fhir/R4/Patient?identifier=https://example.org/mrn|{EXAMPLE_NHS}"), Some(&token))
            .await;
    assert_eq!((wrong_system.status, error_code(&wrong_system).as_str()), (400, "INVALID_IDENTIFIER_SYSTEM"));
    let no_system = get(&gateway, &format!("/fhir/R4/Patient?identifier={EXAMPLE_NHS}"), Some(&token)).await;
    assert_eq!(no_system.status, 400);
    let bad_number =
        get(&gateway, "/fhir/R4/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765918", Some(&token)).await;
    assert_eq!((bad_number.status, error_code(&bad_number).as_str()), (400, "INVALID_NHS_NUMBER"));
}

#[tokio::test]
async fn everything_holds_the_clinical_record_without_withheld_entries() {
    let gateway = gateway();
    let answer = get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}/$everything"), Some(&gateway.doctor())).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let types = resource_types(&answer.body);
    assert_eq!(types[0], "Patient");
    for wanted in [
        "MedicationStatement",
        "MedicationRequest",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "Immunization",
        "Encounter",
    ] {
        assert!(types.iter().any(|t| t == wanted), "no {wanted} in $everything: {types:?}");
    }
    let statement = answer.body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["resourceType"] == "MedicationStatement" && r.to_string().contains("Apixaban"))
        .expect("apixaban MedicationStatement");
    assert!(statement["dosage"][0]["text"].as_str().is_some_and(|t| !t.is_empty()), "{statement}");
    // The confidential consultation of the fixture never leaves the gateway.
    let record = fixtures::example_record();
    let shared = record.encounters.iter().filter(|e| !e.meta.confidential).count();
    assert!(shared < record.encounters.len(), "the fixture has a confidential encounter");
    assert_eq!(types.iter().filter(|t| *t == "Encounter").count(), shared);
}

#[tokio::test]
async fn searches_by_patient_return_one_resource_type() {
    let gateway = gateway();
    let token = gateway.doctor();
    for kind in [
        "MedicationRequest",
        "MedicationStatement",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "Immunization",
        "Encounter",
    ] {
        let answer = get(&gateway, &format!("/fhir/R4/{kind}?patient={EXAMPLE_NHS}"), Some(&token)).await;
        assert_eq!(answer.status, 200, "{kind}: {}", answer.text);
        let types = resource_types(&answer.body);
        assert!(!types.is_empty(), "{kind} search found nothing");
        assert!(types.iter().all(|t| t == kind), "{kind}: {types:?}");
        assert_eq!(answer.body["total"].as_u64().unwrap() as usize, types.len());
        // The practice withheld a confidential consultation; every answer says so.
        let said = outcomes(&answer.body);
        assert!(said.iter().any(|s| s.contains("Items excluded due to confidentiality")), "{kind}: {said:?}");
    }
    let reference = get(&gateway, &format!("/fhir/R4/Condition?patient=Patient/{EXAMPLE_NHS}"), Some(&token)).await;
    assert_eq!(reference.status, 200);
    let missing = get(&gateway, "/fhir/R4/Condition", Some(&token)).await;
    assert_eq!(missing.status, 400);
    let unsupported = get(&gateway, &format!("/fhir/R4/Appointment?patient={EXAMPLE_NHS}"), Some(&token)).await;
    assert_eq!((unsupported.status, error_code(&unsupported).as_str()), (404, "RESOURCE_TYPE_NOT_SUPPORTED"));
    let unknown = get(&gateway, "/fhir/R4/Patient/1234567890", Some(&token)).await;
    assert_eq!(unknown.status, 404);
}

#[tokio::test]
async fn formats_other_than_json_get_406() {
    let gateway = gateway();
    let token = gateway.doctor();
    let xml = Request::get(format!("/fhir/R4/Patient/{EXAMPLE_NHS}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/fhir+xml")
        .body(Body::empty())
        .unwrap();
    let answer = send(gateway.app(), xml).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (406, "FORMAT_NOT_SUPPORTED"));
    let format = get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}?_format=xml"), Some(&token)).await;
    assert_eq!(format.status, 406);
    let json = get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}?_format=json"), Some(&token)).await;
    assert_eq!(json.status, 200);
}
