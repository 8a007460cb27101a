//! The medicines review API through HTTP: the same answers as `openmig medicines --json`
//! and `openmig asked --json`, with the clinical content checked.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn the_review_lists_current_medicines_with_dose_and_flags() {
    let gateway = gateway();
    let answer = get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"), Some(&gateway.doctor())).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "application/json");
    assert_eq!(answer.cache_control, "no-store");
    let current = answer.body["current"].as_array().unwrap();
    let apixaban = current.iter().find(|m| m.to_string().contains("Apixaban")).expect("apixaban is current");
    assert!(apixaban.to_string().contains("One tablet twice a day"), "the dose instruction is shown: {apixaban}");
    assert_eq!(answer.body["notice"], openmig_domain::medicines::ESTIMATE_NOTICE);
    let warnings = answer.body["practiceWarnings"].as_array().expect("the practice's warnings are passed on");
    assert!(
        warnings.iter().any(|w| w.as_str().unwrap().contains("Items excluded due to confidentiality")),
        "the clinician is told items were withheld: {warnings:?}"
    );
    let codes: Vec<&str> =
        answer.body["flags"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    for wanted in ["Anticoagulant", "Methotrexate"] {
        assert!(codes.contains(&wanted), "{wanted} missing from {codes:?}");
    }
    let entries = gateway.audit_entries();
    assert_eq!(entries.last().unwrap().event.interaction, "medicines.review");
    assert_eq!(entries.last().unwrap().event.items_returned as usize, current.len());
}

#[tokio::test]
async fn since_adds_changes_and_bad_dates_are_refused() {
    let gateway = gateway();
    let token = gateway.doctor();
    let with = get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines?since=2020-01-01"), Some(&token)).await;
    assert_eq!(with.status, 200, "{}", with.text);
    assert!(with.body["changes"].is_object() || with.body["changes"].is_array(), "{}", with.body["changes"]);
    for bad in ["2020-13-01", "yesterday", "2999-01-01"] {
        let answer =
            get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines?since={bad}"), Some(&token)).await;
        assert_eq!((answer.status, error_code(&answer).as_str()), (400, "BAD_REQUEST"), "{bad}");
    }
    let invalid = get(&gateway, "/api/v1/patients/9434765918/medicines", Some(&token)).await;
    assert_eq!(invalid.status, 400);
}

#[tokio::test]
async fn requested_check_answers_started_or_not_for_each_item() {
    let gateway = gateway();
    let token = gateway.doctor();
    let body = json!({
        "requestedOn": "2020-01-01",
        "items": [
            { "action": "start", "name": "apixaban" },
            { "action": "start", "name": "atorvastatin 80mg", "dose": "one at night" },
        ]
    });
    let path = format!("/api/v1/patients/{EXAMPLE_NHS}/medicines/requested-check");
    let answer = post_json(&gateway, &path, &token, &body).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let checks = answer.body.as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[1]["outcome"]["outcome"], "NotStarted", "{}", checks[1]);

    for bad in [
        json!({ "requestedOn": "2020-01-01", "items": [] }),
        json!({ "requestedOn": "2020-01-01", "items": [{ "action": "pause", "name": "x" }] }),
        json!({ "requestedOn": "2020-01-01", "items": [{ "action": "start" }] }),
        json!({ "requestedOn": "2020-01-01", "items": [{ "action": "start", "code": "12345" }] }),
        json!({ "requestedOn": "2999-01-01", "items": [{ "action": "start", "name": "x" }] }),
        json!({ "items": [] }),
    ] {
        let answer = post_json(&gateway, &path, &token, &bad).await;
        assert_eq!((answer.status, answer.body["resourceType"].as_str()), (400, Some("OperationOutcome")), "{bad}");
    }
}

#[tokio::test]
async fn today_is_the_uk_calendar_day_on_a_summer_evening() {
    use chrono::TimeZone;
    // 23:30 UTC on 14 July is 00:30 BST on 15 July: the clinician's "today".
    let evening = chrono::Utc.with_ymd_and_hms(2026, 7, 14, 23, 30, 0).unwrap();
    let mut gateway = gateway();
    std::sync::Arc::get_mut(&mut gateway.gateway).expect("not shared yet").clock = std::sync::Arc::new(move || evening);
    let token = gateway.token_at(openmig_domain::Role::Doctor, ED, Some(openmig_domain::ConsentBasis::Given), evening);
    let answer = get(&gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"), Some(&token)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["today"], json!("2026-07-15"));
}
