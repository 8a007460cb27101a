//! Every refusal through HTTP: token, organisation, agreement, practice sharing, role,
//! consent, patient status. Each gives its own code and message, and is audited.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use openmig_audit::Outcome;
use openmig_domain::{ConsentBasis, Role};

async fn structured(gateway: &TestGateway, token: &str, nhs: &str) -> Answer {
    send(gateway.app(), structured_request(token, &allergies_and_medication(nhs))).await
}

#[tokio::test]
async fn a_doctor_with_consent_gets_the_record_and_the_view_is_audited_first() {
    let gateway = gateway();
    let answer = structured(&gateway, &gateway.doctor(), EXAMPLE_NHS).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.cache_control, "no-store");
    assert!(answer.text.contains("Apixaban"), "the anticoagulant is in the record");
    let entries = gateway.audit_entries();
    assert_eq!(entries.len(), 1);
    let event = &entries[0].event;
    assert_eq!(event.outcome, Outcome::Permitted);
    assert_eq!(event.interaction, "gpconnect.getstructuredrecord");
    assert_eq!(event.consent, Some(ConsentBasis::Given));
    assert_eq!(event.patient.unwrap().to_string(), EXAMPLE_NHS);
    assert_eq!(event.trace_id, "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a");
    let entries = answer.body["entry"].as_array().unwrap();
    let is_outcome = |entry: &&serde_json::Value| entry["resource"]["resourceType"] == "OperationOutcome";
    let record_items = entries.iter().filter(|entry| !is_outcome(entry)).count();
    assert_eq!(event.items_returned as usize, record_items, "the audit counts the record's resources");
    // The practice withheld a confidential consultation: the consumer is told so.
    let outcome = entries.iter().find(is_outcome).expect("the practice's warnings reach the consumer");
    let said = outcome["resource"]["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(said.contains("Items excluded due to confidentiality"), "{said}");
}

#[tokio::test]
async fn missing_and_forged_tokens_are_refused_with_401_and_audited() {
    let gateway = gateway();
    let missing = get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"), None).await;
    assert_eq!((missing.status, error_code(&missing).as_str()), (401, "TOKEN_MISSING"));
    let token = gateway.doctor();
    let mut forged = token.clone();
    forged.pop();
    forged.push(if token.ends_with('A') { 'B' } else { 'A' });
    let forged = get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"), Some(&forged)).await;
    assert_eq!(forged.status, 401, "{}", forged.text);
    assert!(!forged.text.contains("Apixaban"));
    // Token refusals happen before the patient is known: audited, about nobody.
    assert_eq!(gateway.audit_count(), 2);
    assert!(gateway.audit_entries().is_empty());
}

#[tokio::test]
async fn each_policy_refusal_has_its_own_code() {
    let gateway = gateway();
    let cases = [
        (
            gateway.token(Role::Doctor, "ZZZ99", Some(ConsentBasis::Given)),
            EXAMPLE_NHS.to_string(),
            403,
            "UNKNOWN_ORGANISATION",
        ),
        (
            gateway.token(Role::Doctor, COMMUNITY, Some(ConsentBasis::Given)),
            EXAMPLE_NHS.to_string(),
            403,
            "NO_SHARING_AGREEMENT",
        ),
        (gateway.token(Role::Administrative, ED, None), EXAMPLE_NHS.to_string(), 403, "ROLE_NOT_PERMITTED"),
        (gateway.token(Role::Auditor, ED, None), EXAMPLE_NHS.to_string(), 403, "ROLE_NOT_PERMITTED"),
        (gateway.token(Role::Doctor, ED, None), EXAMPLE_NHS.to_string(), 403, "CONSENT_REQUIRED"),
        (gateway.doctor(), closed_practice_nhs().to_string(), 403, "PRACTICE_SHARING_DISABLED"),
        (gateway.doctor(), dissent_nhs().to_string(), 403, "NO_PATIENT_CONSENT"),
        (gateway.doctor(), deceased_nhs().to_string(), 404, "PATIENT_DECEASED"),
        (gateway.doctor(), deregistered_nhs().to_string(), 404, "PATIENT_NOT_REGISTERED"),
        (gateway.doctor(), restricted_nhs().to_string(), 404, "PATIENT_NOT_FOUND"),
        (gateway.doctor(), nhs(900_000_900).to_string(), 404, "PATIENT_NOT_FOUND"),
    ];
    for (token, nhs, status, code) in &cases {
        let answer = structured(&gateway, token, nhs).await;
        assert_eq!((answer.status, error_code(&answer).as_str()), (*status, *code), "{code}: {}", answer.text);
        assert_eq!(answer.body["resourceType"], "OperationOutcome");
        assert!(!answer.text.contains("Apixaban"), "{code} leaked clinical content");
    }
    let sharing_off = structured(&gateway, &gateway.doctor(), &closed_practice_nhs().to_string()).await;
    assert_eq!(sharing_off.body["issue"][0]["diagnostics"], "This GP practice has not enabled record sharing.");
    assert_eq!(gateway.audit_count() as usize, cases.len() + 1, "every refusal is audited");
    for (_, nhs, _, code) in &cases {
        let entries = gateway.patient_audit(nhs);
        assert!(
            entries.iter().any(|e| e.event.outcome == Outcome::Refused && e.event.error_code.as_deref() == Some(*code)),
            "{code} not audited for its patient"
        );
    }
}

#[tokio::test]
async fn emergency_override_is_permitted_with_its_reason_recorded_for_review() {
    let gateway = gateway();
    let token = gateway.token(Role::Paramedic, "ZC020", Some(ConsentBasis::Emergency));
    let answer = structured(&gateway, &token, EXAMPLE_NHS).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let entries = gateway.audit_entries();
    let event = &entries[0].event;
    assert_eq!(event.consent, Some(ConsentBasis::Emergency));
    assert_eq!(event.override_reason.as_deref(), Some("Unconscious, no relatives"));
    assert_eq!(event.role, Some(Role::Paramedic));
}

#[tokio::test]
async fn administrative_staff_see_demographics_but_not_the_clinical_record() {
    let gateway = gateway();
    let clerk = gateway.token(Role::Administrative, ED, None);
    let patient = get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}"), Some(&clerk)).await;
    assert_eq!(patient.status, 200, "{}", patient.text);
    assert_eq!(patient.body["resourceType"], "Patient");
    let meds = get(&gateway, &format!("/fhir/R4/MedicationStatement?patient={EXAMPLE_NHS}"), Some(&clerk)).await;
    assert_eq!((meds.status, error_code(&meds).as_str()), (403, "ROLE_NOT_PERMITTED"));
}

#[tokio::test]
async fn the_gateway_operation_checks_the_request_like_a_provider() {
    let gateway = gateway();
    let token = gateway.doctor();
    let get_instead = Request::get("/gpconnect/fhir/Patient/$gpc.getstructuredrecord")
        .header("Authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(gateway.app(), get_instead).await.status, 405);
    let mut wrong_type = structured_request(&token, &allergies_and_medication(EXAMPLE_NHS));
    wrong_type.headers_mut().insert("content-type", "text/plain".parse().unwrap());
    assert_eq!(send(gateway.app(), wrong_type).await.status, 415);
    let bad_nhs = send(gateway.app(), structured_request(&token, &allergies_and_medication("9434765918"))).await;
    assert_eq!((bad_nhs.status, error_code(&bad_nhs).as_str()), (400, "INVALID_NHS_NUMBER"));
    let mut no_interaction = structured_request(&token, &allergies_and_medication(EXAMPLE_NHS));
    no_interaction.headers_mut().remove("ssp-interactionid");
    assert_eq!(send(gateway.app(), no_interaction).await.status, 400);
}

#[tokio::test]
async fn the_directory_traces_the_registered_practice_even_when_it_does_not_share() {
    let gateway = gateway();
    let clerk = gateway.token(Role::Administrative, ED, None);
    let answer = get(&gateway, &format!("/directory/patients/{}", closed_practice_nhs()), Some(&clerk)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["practice"]["odsCode"], CLOSED_ODS);
    assert_eq!(answer.body["practice"]["sharingEnabled"], false);
    assert_eq!(answer.body["practice"]["clinicalSystem"], "EMIS Web");
    assert_eq!(answer.body["registration"], "registered");
    let restricted = get(&gateway, &format!("/directory/patients/{}", restricted_nhs()), Some(&clerk)).await;
    assert_eq!(restricted.status, 404);
    let invalid = get(&gateway, "/directory/patients/123", Some(&clerk)).await;
    assert_eq!((invalid.status, error_code(&invalid).as_str()), (400, "INVALID_NHS_NUMBER"));
}

#[tokio::test]
async fn only_an_auditor_under_an_agreement_reads_a_practice_audit_report_overrides_first() {
    let gateway = gateway();
    let paramedic = gateway.token(Role::Paramedic, "ZC020", Some(ConsentBasis::Emergency));
    assert_eq!(structured(&gateway, &gateway.doctor(), EXAMPLE_NHS).await.status, 200);
    assert_eq!(structured(&gateway, &paramedic, EXAMPLE_NHS).await.status, 200);

    let auditor = gateway.token(Role::Auditor, "ZC050", None);
    let csv = get(&gateway, &format!("/practices/{ODS}/audit"), Some(&auditor)).await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert_eq!(csv.content_type, "text/csv; charset=utf-8");
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(rows.len(), 3, "header and two views: {}", csv.text);
    assert!(
        rows[1].contains("emergency") && rows[1].contains("Unconscious, no relatives"),
        "override first: {}",
        rows[1]
    );
    let json =
        get(&gateway, &format!("/practices/{ODS}/audit?format=json&patient={EXAMPLE_NHS}"), Some(&auditor)).await;
    assert_eq!(json.status, 200, "{}", json.text);
    assert_eq!(json.body.as_array().unwrap().len(), 2);

    let doctor = get(&gateway, &format!("/practices/{ODS}/audit"), Some(&gateway.doctor())).await;
    assert_eq!((doctor.status, error_code(&doctor).as_str()), (403, "ROLE_NOT_PERMITTED"));
    let elsewhere = gateway.token(Role::Auditor, ED, None);
    let no_agreement = get(&gateway, &format!("/practices/{ODS}/audit"), Some(&elsewhere)).await;
    assert_eq!((no_agreement.status, error_code(&no_agreement).as_str()), (403, "NO_SHARING_AGREEMENT"));
    let bad = get(&gateway, &format!("/practices/{ODS}/audit?from=2026-02-30"), Some(&auditor)).await;
    assert_eq!(bad.status, 400);
}

#[tokio::test]
async fn at_capacity_the_gateway_sheds_load_with_retry_after_but_still_answers_health_checks() {
    let gateway = gateway();
    let app = openmig_gateway::routes::router_limited(std::sync::Arc::clone(&gateway.gateway), 0);
    let request = Request::get(format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"))
        .header("Authorization", format!("Bearer {}", gateway.doctor()))
        .body(Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.clone(), request).await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "1");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("GATEWAY_BUSY"));
    let health = tower::ServiceExt::oneshot(app, Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(health.status(), 200);
}
