//! What must never happen: a sensitive entry leaving the gateway, data sent without an
//! audit entry, an audit chain that does not verify, or an answer that is not valid FHIR.

mod common;

use std::path::PathBuf;

use common::*;
use openmig_fhir::validator::{validate_r4b, validate_stu3, write_json};
use serde_json::{Value, json};

/// Every patient route, for one patient.
fn routes(nhs: &str) -> Vec<String> {
    let mut routes = vec![
        format!("/fhir/R4/Patient/{nhs}"),
        format!("/fhir/R4/Patient/{nhs}/$everything"),
        format!("/api/v1/patients/{nhs}/medicines?since=2015-01-01"),
        format!("/directory/patients/{nhs}"),
    ];
    for kind in [
        "MedicationRequest",
        "MedicationStatement",
        "AllergyIntolerance",
        "Condition",
        "Observation",
        "Immunization",
        "Encounter",
    ] {
        routes.push(format!("/fhir/R4/{kind}?patient={nhs}"));
    }
    routes
}

fn consultation_parameters(nhs: &str) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [
        { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
        { "name": "includeConsultations" },
    ]})
}

fn everything_parameters(nhs: &str) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [
        { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
        { "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": true }] },
        { "name": "includeMedication", "part": [{ "name": "includePrescriptionIssues", "valueBoolean": true }] },
        { "name": "includeProblems" },
        { "name": "includeImmunisations" },
        { "name": "includeUncategorisedData" },
        { "name": "includeInvestigations" },
        { "name": "includeReferrals" },
    ]})
}

#[tokio::test]
async fn a_sensitive_diagnosis_never_leaves_the_gateway_by_any_route() {
    let gateway = gateway();
    let token = gateway.doctor();
    let nhs = sensitive_nhs().to_string();
    let mut answers = Vec::new();
    for route in routes(&nhs) {
        let answer = get(&gateway, &route, Some(&token)).await;
        assert_eq!(answer.status, 200, "{route}: {}", answer.text);
        answers.push((route, answer.text));
    }
    let structured = send(gateway.app(), structured_request(&token, &everything_parameters(&nhs))).await;
    assert_eq!(structured.status, 200, "{}", structured.text);
    answers.push(("gpconnect".into(), structured.text));
    let consultations = send(gateway.app(), structured_request(&token, &consultation_parameters(&nhs))).await;
    assert_eq!(consultations.status, 200, "{}", consultations.text);
    answers.push(("gpconnect consultations".into(), consultations.text));
    for (route, text) in &answers {
        assert!(!text.contains(&SENSITIVE_CODE.to_string()), "{route} revealed the sensitive code");
        assert!(!text.to_lowercase().contains("herpes"), "{route} revealed the sensitive diagnosis");
        assert!(!text.contains("-900\"") && !text.contains("/900\""), "{route} refers to the withheld entry's id");
    }
}

#[tokio::test]
async fn when_the_audit_cannot_be_written_no_data_is_sent() {
    let gateway = gateway();
    let token = gateway.doctor();
    // An attacker or a failing disk: the audit table disappears under the running log.
    let connection = rusqlite::Connection::open(&gateway.audit_db).unwrap();
    connection.execute_batch("DROP TABLE audit_entry;").unwrap();
    for route in routes(EXAMPLE_NHS) {
        let answer = get(&gateway, &route, Some(&token)).await;
        assert_eq!(answer.status, 500, "{route}: {}", answer.text);
        assert_eq!(error_code(&answer), "AUDIT_UNAVAILABLE", "{route}");
        assert!(!answer.text.contains("Apixaban") && !answer.text.contains("Hebburn"), "{route} sent data");
    }
    let structured = send(gateway.app(), structured_request(&token, &everything_parameters(EXAMPLE_NHS))).await;
    assert_eq!((structured.status, error_code(&structured).as_str()), (500, "AUDIT_UNAVAILABLE"));
}

#[tokio::test]
async fn the_audit_chain_verifies_after_mixed_traffic_and_records_each_view() {
    let gateway = gateway();
    let token = gateway.doctor();
    let mut sent = 0;
    for route in routes(EXAMPLE_NHS) {
        assert_eq!(get(&gateway, &route, Some(&token)).await.status, 200, "{route}");
        sent += 1;
    }
    assert_eq!(get(&gateway, &format!("/fhir/R4/Patient/{}", dissent_nhs()), Some(&token)).await.status, 200);
    assert_eq!(get(&gateway, &format!("/api/v1/patients/{}/medicines", dissent_nhs()), Some(&token)).await.status, 403);
    assert_eq!(get(&gateway, "/fhir/R4/Condition?patient=9434765919", None).await.status, 401);
    sent += 3;
    assert_eq!(gateway.audit_count(), sent);
    let example = gateway.patient_audit(EXAMPLE_NHS);
    assert_eq!(example.len(), routes(EXAMPLE_NHS).len());
    let interactions: Vec<&str> = example.iter().map(|e| e.event.interaction.as_str()).collect();
    for wanted in
        ["fhir-r4.patient-read", "fhir-r4.everything", "fhir-r4.search", "medicines.review", "directory.trace"]
    {
        assert!(interactions.contains(&wanted), "{wanted} not audited: {interactions:?}");
    }
    assert!(example.iter().all(|e| e.event.user_id == "555123456789" && e.event.organisation == ED));
}

#[tokio::test]
async fn gateway_answers_validate_as_fhir() {
    let gateway = gateway();
    let token = gateway.doctor();
    let dir = tempfile::tempdir().unwrap();
    let mut r4: Vec<PathBuf> = Vec::new();
    for (index, route) in routes(EXAMPLE_NHS).iter().filter(|r| r.starts_with("/fhir")).enumerate() {
        let answer = get(&gateway, route, Some(&token)).await;
        r4.push(write_json(dir.path(), &format!("r4-{index}"), &answer.body));
    }
    let metadata = get(&gateway, "/fhir/R4/metadata", None).await;
    r4.push(write_json(dir.path(), "r4-metadata", &metadata.body));
    let refused = get(&gateway, &format!("/fhir/R4/Condition?patient={}", dissent_nhs()), Some(&token)).await;
    r4.push(write_json(dir.path(), "r4-refusal", &refused.body));
    validate_r4b(&r4, "Bundle,Patient,CapabilityStatement,OperationOutcome");

    let structured = send(gateway.app(), structured_request(&token, &everything_parameters(EXAMPLE_NHS))).await;
    let metadata = get(&gateway, "/gpconnect/fhir/metadata", None).await;
    let refused =
        send(gateway.app(), structured_request(&token, &everything_parameters(&dissent_nhs().to_string()))).await;
    let consultations = send(gateway.app(), structured_request(&token, &consultation_parameters(EXAMPLE_NHS))).await;
    assert_eq!(consultations.status, 200);
    let stu3 = vec![
        write_json(dir.path(), "stu3-consultations", &consultations.body),
        write_json(dir.path(), "stu3-bundle", &structured.body),
        write_json(dir.path(), "stu3-metadata", &metadata.body),
        write_json(dir.path(), "stu3-refusal", &refused.body),
    ];
    validate_stu3(&stu3, "Bundle,CapabilityStatement,OperationOutcome");
}

/// The titles of the Lists in a GP Connect answer that say items were withheld.
fn lists_saying_items_were_withheld(bundle: &Value) -> Vec<String> {
    let mut titles: Vec<String> = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "List")
        .filter(|list| {
            list["extension"].as_array().into_iter().flatten().any(|e| {
                e["url"] == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1"
                    && e["valueCode"] == "confidential-items"
            })
        })
        .map(|list| list["title"].as_str().unwrap_or_default().to_owned())
        .collect();
    titles.sort();
    titles
}

#[tokio::test]
async fn the_practice_s_withheld_items_are_said_on_the_gateway_s_own_lists() {
    // The practice withholds the sensitive diagnosis: its Problems List and the
    // consultation it was recorded in say so. The gateway renders its answer anew from
    // the record, which no longer holds the item, so it must say so itself.
    let gateway = gateway();
    let token = gateway.doctor();
    let nhs = sensitive_nhs().to_string();
    let everything = send(gateway.app(), structured_request(&token, &everything_parameters(&nhs))).await;
    assert_eq!(everything.status, 200, "{}", everything.text);
    let consultations = send(gateway.app(), structured_request(&token, &consultation_parameters(&nhs))).await;
    assert_eq!(consultations.status, 200, "{}", consultations.text);
    assert_eq!(
        everything.body["id"], "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a",
        "Bundle.id is the consumer's Ssp-TraceID"
    );
    assert_eq!(lists_saying_items_were_withheld(&everything.body), ["Problems"]);
    assert_eq!(lists_saying_items_were_withheld(&consultations.body), ["List of consultations"]);
    // A patient from whom nothing was withheld gets no such warning.
    let example = send(gateway.app(), structured_request(&token, &everything_parameters(EXAMPLE_NHS))).await;
    assert_eq!(example.status, 200, "{}", example.text);
    assert_eq!(lists_saying_items_were_withheld(&example.body), Vec::<String>::new());
}
