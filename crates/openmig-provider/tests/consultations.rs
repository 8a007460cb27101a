//! `includeConsultations` through HTTP: alone and with every other area, the period and
//! "most recent N" parts, every way of getting them wrong, withholding, and the diary
//! entries that stay unsupported.
//!
//! The example patient's consultations: the AF diagnosis (2023-02-10), a confidential
//! one (2025-06-17) and the anticoagulation review (2026-11-02). The server's today is
//! 2026-11-25.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::{Value, json};

const CONSULTATIONS: &str = "1149501000000101";
const AF: &str = "Encounter/encounter-9434765919-9";
const REVIEW: &str = "Encounter/encounter-9434765919-10";

fn example(items: Vec<Value>) -> Value {
    let mut all = vec![nhs_param(EXAMPLE_NHS)];
    all.extend(items);
    parameters(all)
}

fn consultations(parts: Vec<Value>) -> Value {
    if parts.is_empty() {
        json!({ "name": "includeConsultations" })
    } else {
        json!({ "name": "includeConsultations", "part": parts })
    }
}

fn period(value: Value) -> Value {
    json!({ "name": "consultationSearchPeriod", "valuePeriod": value })
}

fn most_recent(value_type: &str, value: Value) -> Value {
    let mut part = json!({ "name": "includeNumberOfMostRecent" });
    part[value_type] = value;
    part
}

/// The List of consultations of a 200 answer.
fn consultation_list(answer: &Answer) -> &Value {
    assert_eq!(answer.status, 200, "{}", answer.body);
    resources(&answer.body, "List")
        .into_iter()
        .find(|l| l["code"]["coding"][0]["code"] == CONSULTATIONS)
        .expect("the List of consultations")
}

/// The Encounters the List of consultations refers to.
fn listed(answer: &Answer) -> Vec<String> {
    consultation_list(answer)["entry"]
        .as_array()
        .map(|entries| entries.iter().map(|e| e["item"]["reference"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn warns(answer: &Answer) -> bool {
    consultation_list(answer).to_string().contains("confidential-items")
}

/// No resource twice, and every reference inside the Bundle resolves.
fn assert_closed(answer: &Answer) {
    let entries = answer.body["entry"].as_array().unwrap();
    let mut keys = HashSet::new();
    for resource in entries.iter().map(|e| &e["resource"]) {
        if let (Some(kind), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) {
            assert!(keys.insert(format!("{kind}/{id}")), "{kind}/{id} twice");
        }
    }
    fn walk(value: &Value, contained: &HashSet<String>, keys: &HashSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(reference)) = map.get("reference") {
                    assert!(keys.contains(reference) || contained.contains(reference), "{reference} does not resolve");
                }
                map.values().for_each(|v| walk(v, contained, keys));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, contained, keys)),
            _ => {}
        }
    }
    for resource in entries.iter().map(|e| &e["resource"]) {
        let contained = resource["contained"]
            .as_array()
            .map(|c| c.iter().filter_map(|r| r["id"].as_str()).map(|id| format!("#{id}")).collect())
            .unwrap_or_default();
        walk(resource, &contained, &keys);
    }
}

#[tokio::test]
async fn include_consultations_alone_returns_the_consultations_most_recent_first() {
    let answer = post(&example(vec![consultations(vec![])])).await;
    assert_eq!(listed(&answer), [REVIEW, AF]);
    assert!(warns(&answer), "the confidential consultation is withheld and warned of");
    assert_eq!(resources(&answer.body, "Encounter").len(), 2);
    assert!(resources(&answer.body, "OperationOutcome").is_empty());
    assert_eq!(answer.cache_control, "no-store");
    // The items the consultations refer to are in the Bundle without their areas'
    // primary Lists, in the consultations' secondary Lists instead.
    assert!(!resources(&answer.body, "Condition").is_empty());
    assert!(!resources(&answer.body, "MedicationRequest").is_empty());
    let systems: Vec<&str> = resources(&answer.body, "List")
        .into_iter()
        .filter(|l| l.get("id").is_none())
        .filter_map(|l| l["code"]["coding"][0]["system"].as_str())
        .collect();
    assert_eq!(systems.iter().filter(|s| **s == "http://snomed.info/sct").count(), 1, "one primary List");
    assert!(
        systems.iter().all(|s| [
            "http://snomed.info/sct",
            "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1"
        ]
        .contains(s)),
        "{systems:?}"
    );
    assert!(!answer.body.to_string().contains("family circumstances"));
    assert_closed(&answer);
}

#[tokio::test]
async fn include_consultations_with_every_other_area_adds_no_duplicate() {
    let answer = post(&example(vec![
        allergies(true),
        medication(true),
        consultations(vec![]),
        json!({ "name": "includeProblems" }),
        json!({ "name": "includeImmunisations" }),
        json!({ "name": "includeReferrals" }),
        json!({ "name": "includeUncategorisedData" }),
        json!({ "name": "includeInvestigations" }),
    ]))
    .await;
    assert_eq!(listed(&answer), [REVIEW, AF]);
    for code in [
        "886921000000105",
        "1103671000000101",
        "933361000000108",
        "717711000000103",
        "1102181000000102",
        "792931000000107",
        "826501000000100",
        "887191000000108",
    ] {
        assert!(resources(&answer.body, "List").iter().any(|l| l["code"]["coding"][0]["code"] == code), "{code}");
    }
    assert_closed(&answer);

    // With issues off, the consultations still bring the one issue they refer to.
    let answer = post(&example(vec![medication(false), consultations(vec![])])).await;
    let orders: Vec<&Value> =
        resources(&answer.body, "MedicationRequest").into_iter().filter(|r| r["intent"] == "order").collect();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0]["id"], "medication-request-order-9434765919-1-5");
    assert_closed(&answer);
}

#[tokio::test]
async fn the_search_period_is_inclusive_on_and_around_its_boundaries() {
    let listed_for =
        |value: Value| async move { listed(&post(&example(vec![consultations(vec![period(value)])])).await) };
    assert_eq!(listed_for(json!({ "start": "2023-02-10", "end": "2023-02-10" })).await, [AF]);
    assert_eq!(listed_for(json!({ "start": "2023-02-09", "end": "2023-02-10" })).await, [AF]);
    assert!(listed_for(json!({ "start": "2023-02-09", "end": "2023-02-09" })).await.is_empty());
    assert!(listed_for(json!({ "start": "2023-02-11", "end": "2023-02-11" })).await.is_empty());
    assert_eq!(listed_for(json!({ "start": "2026-11-02" })).await, [REVIEW]);
    assert!(listed_for(json!({ "start": "2026-11-03" })).await.is_empty());
    assert_eq!(listed_for(json!({ "end": "2023-02-10" })).await, [AF]);
    assert_eq!(listed_for(json!({ "end": "2026-11-25" })).await, [REVIEW, AF], "today is allowed");
    assert_eq!(listed_for(json!({})).await, [REVIEW, AF]);

    // Nothing in the period: the List is empty, and warns only if it covers the
    // confidential consultation (2025-06-17).
    let empty =
        post(&example(vec![consultations(vec![period(json!({ "start": "2025-06-17", "end": "2025-06-18" }))])])).await;
    assert_eq!(consultation_list(&empty)["emptyReason"]["coding"][0]["code"], "no-content-recorded");
    assert!(warns(&empty));
    let empty =
        post(&example(vec![consultations(vec![period(json!({ "start": "2025-06-18", "end": "2026-11-01" }))])])).await;
    assert_eq!(consultation_list(&empty)["note"][0]["text"], "Information not available");
    assert!(!warns(&empty));
}

#[tokio::test]
async fn most_recent_n_takes_the_latest_consultations() {
    let one = post(&example(vec![consultations(vec![most_recent("valuePositiveInt", json!(1))])])).await;
    assert_eq!(listed(&one), [REVIEW]);
    assert_eq!(resources(&one.body, "Encounter").len(), 1);
    assert!(!warns(&one), "the confidential consultation is older than the one returned");
    assert_closed(&one);
    // GP Connect's own test suite and the GP2GP adaptor send valueInteger.
    let two = post(&example(vec![consultations(vec![most_recent("valueInteger", json!(2))])])).await;
    assert_eq!(listed(&two), [REVIEW, AF]);
    assert!(warns(&two));
    let many = post(&example(vec![consultations(vec![most_recent("valuePositiveInt", json!(50))])])).await;
    assert_eq!(listed(&many), [REVIEW, AF]);
}

#[tokio::test]
async fn period_and_most_recent_together_is_422_invalid_resource() {
    for kind in ["valuePositiveInt", "valueInteger"] {
        let body =
            example(vec![consultations(vec![period(json!({ "start": "2024-01-01" })), most_recent(kind, json!(3))])]);
        assert_error(&post(&body).await, 422, "INVALID_RESOURCE");
    }
}

#[tokio::test]
async fn invalid_most_recent_values_are_422_invalid_parameter() {
    for (kind, value) in [
        ("valuePositiveInt", json!(0)),
        ("valueInteger", json!(0)),
        ("valueInteger", json!(-2)),
        ("valuePositiveInt", json!(1.5)),
        ("valuePositiveInt", json!("3")),
        ("valueString", json!("3")),
        ("valueDecimal", json!(3)),
    ] {
        let answer = post(&example(vec![consultations(vec![most_recent(kind, value.clone())])])).await;
        assert_error(&answer, 422, "INVALID_PARAMETER");
        assert!(answer.body["issue"][0]["diagnostics"].as_str().unwrap().contains("includeNumberOfMostRecent"));
    }
}

#[tokio::test]
async fn invalid_search_periods_are_422_invalid_parameter() {
    let cases = [
        json!({ "name": "consultationSearchPeriod", "valueDate": "2024-01-01" }),
        json!({ "name": "consultationSearchPeriod" }),
        json!({ "name": "consultationSearchPeriod", "valuePeriod": "2024-01-01" }),
        period(json!({ "start": "2024-05" })),
        period(json!({ "start": "2024" })),
        period(json!({ "end": "2024-05" })),
        period(json!({ "start": "2024-05-01T10:00:00+00:00" })),
        period(json!({ "start": "2024-5-1" })),
        period(json!({ "start": "2024-02-30" })),
        period(json!({ "start": 20240101 })),
        period(json!({ "start": "2026-11-26" })),
        period(json!({ "end": "2026-11-26" })),
        period(json!({ "start": "2024-01-01", "end": "2027-01-01" })),
        period(json!({ "start": "2024-06-02", "end": "2024-06-01" })),
    ];
    for part in cases {
        let answer = post(&example(vec![consultations(vec![part.clone()])])).await;
        assert_error(&answer, 422, "INVALID_PARAMETER");
        assert!(
            answer.body["issue"][0]["diagnostics"].as_str().unwrap().contains("consultationSearchPeriod"),
            "{part}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn include_consultations_with_a_value_is_422_and_an_unknown_part_is_reported() {
    let body = example(vec![json!({ "name": "includeConsultations", "valueBoolean": true })]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");

    let answer = post(&example(vec![consultations(vec![json!({ "name": "madeUp", "valueString": "x" })])])).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        resources(&answer.body, "OperationOutcome")[0]["issue"][0]["diagnostics"],
        "includeConsultations.madeUp"
    );
    assert_eq!(listed(&answer), [REVIEW, AF]);
}

#[tokio::test]
async fn every_part_forbidden_with_consultations_is_422_invalid_parameter() {
    let period = json!({ "start": "2024-01-01" });
    let forbidden = [
        (
            "medicationSearchFromDate",
            json!({ "name": "includeMedication", "part": [{ "name": "medicationSearchFromDate", "valueDate": "2024-01-01" }] }),
        ),
        (
            "uncategorisedDataSearchPeriod",
            json!({ "name": "includeUncategorisedData", "part": [{ "name": "uncategorisedDataSearchPeriod", "valuePeriod": period }] }),
        ),
        (
            "filterSignificance",
            json!({ "name": "includeProblems", "part": [{ "name": "filterSignificance", "valueCode": "major" }] }),
        ),
        (
            "filterStatus",
            json!({ "name": "includeProblems", "part": [{ "name": "filterStatus", "valueCode": "active" }] }),
        ),
        (
            "referralSearchPeriod",
            json!({ "name": "includeReferrals", "part": [{ "name": "referralSearchPeriod", "valuePeriod": period }] }),
        ),
        (
            "diaryEntriesSearchDate",
            json!({ "name": "includeDiaryEntries", "part": [{ "name": "diaryEntriesSearchDate", "valueDate": "2026-12-01" }] }),
        ),
        (
            "includeNotGiven",
            json!({ "name": "includeImmunisations", "part": [{ "name": "includeNotGiven", "valueBoolean": false }] }),
        ),
        (
            "includeStatus",
            json!({ "name": "includeImmunisations", "part": [{ "name": "includeStatus", "valueBoolean": true }] }),
        ),
    ];
    for (part, parameter) in forbidden {
        let answer = post(&example(vec![consultations(vec![]), parameter])).await;
        assert_error(&answer, 422, "INVALID_PARAMETER");
        let diagnostics = answer.body["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(diagnostics.contains(part) && diagnostics.contains("includeConsultations"), "{diagnostics}");
    }
    // investigationSearchPeriod is not forbidden.
    let answer = post(&example(vec![
        consultations(vec![]),
        json!({ "name": "includeInvestigations", "part": [{ "name": "investigationSearchPeriod", "valuePeriod": period }] }),
    ]))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}

#[tokio::test]
async fn a_withheld_item_inside_a_consultation_leaves_no_trace_through_http() {
    let nhs = sensitive_consultations_nhs().to_string();
    for extra in [vec![consultations(vec![])], vec![consultations(vec![most_recent("valuePositiveInt", json!(2))])]] {
        let mut items = vec![nhs_param(&nhs)];
        items.extend(extra);
        let answer = post(&parameters(items)).await;
        let prefix = format!("encounter-{nhs}-");
        assert_eq!(listed(&answer), [format!("Encounter/{prefix}10"), format!("Encounter/{prefix}9")]);
        assert!(warns(&answer));
        let text = answer.body.to_string();
        for hidden in [
            SENSITIVE_CODE.to_string(),
            "Genital herpes".into(),
            format!("condition-{nhs}-300"),
            format!("condition-{nhs}-302"),
            format!("encounter-{nhs}-301"),
            format!("consultation-{nhs}-301"),
            format!("observation-narrative-{nhs}-9"),
            "sexual health".into(),
            "2026-05-05".into(),
            "Irregular pulse".into(),
        ] {
            assert!(!text.contains(&hidden), "{hidden} leaked");
        }
        assert_eq!(resources(&answer.body, "Encounter").len(), 2);
        assert_closed(&answer);
    }
}

#[tokio::test]
async fn include_diary_entries_is_501_saying_why() {
    let answer = post(&example(vec![json!({ "name": "includeDiaryEntries" })])).await;
    assert_error(&answer, 501, "NOT_IMPLEMENTED");
    let diagnostics = answer.body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(
        diagnostics.starts_with("includeDiaryEntries") && diagnostics.contains("no diary entries"),
        "{diagnostics}"
    );
    // Its part is still validated first: a past search date is a 422.
    let body = example(vec![
        json!({ "name": "includeDiaryEntries", "part": [{ "name": "diaryEntriesSearchDate", "valueDate": "2026-11-24" }] }),
    ]);
    assert_error(&post(&body).await, 422, "INVALID_PARAMETER");
}

#[tokio::test]
async fn the_capability_statement_lists_consultations_and_the_encounter_profile() {
    let store = store();
    let answer = send(app(&store), metadata_request(ODS)).await;
    assert_eq!(answer.status, 200);
    let description = answer.body["description"].as_str().unwrap();
    assert!(description.contains("includeConsultations (consultationSearchPeriod, includeNumberOfMostRecent)"));
    assert!(!description.contains("includeConsultations and"));
    let profiles: Vec<&str> =
        answer.body["profile"].as_array().unwrap().iter().map(|p| p["reference"].as_str().unwrap()).collect();
    assert!(
        profiles.contains(&"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1/_history/1.5")
    );
    assert!(profiles.contains(&"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1/_history/1.7"));
}
