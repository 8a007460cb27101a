//! Bad input never panics, never fails with a server error, and never returns another
//! patient's data: random and half-valid `Parameters` bodies through HTTP.

mod common;

use axum::body::Body;
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Every patient in the test store, by NHS number.
fn store_patients() -> Vec<String> {
    vec![
        EXAMPLE_NHS.to_string(),
        openmig_domain::fixtures::example_record_with_no_known_allergies().patient.nhs_number.to_string(),
        dissent_nhs().to_string(),
        deceased_nhs().to_string(),
        deregistered_nhs().to_string(),
        restricted_nhs().to_string(),
        elsewhere_nhs().to_string(),
        sensitive_consultations_nhs().to_string(),
    ]
}

const NAMES: [&str; 14] = [
    "patientNHSNumber",
    "includeAllergies",
    "includeResolvedAllergies",
    "includeMedication",
    "includePrescriptionIssues",
    "medicationSearchFromDate",
    "includeConsultations",
    "consultationSearchPeriod",
    "includeNumberOfMostRecent",
    "includeProblems",
    "includeImmunisations",
    "includeUncategorisedData",
    "includeInvestigations",
    "includeReferrals",
];

fn value() -> impl Strategy<Value = (String, Value)> {
    let patients = store_patients();
    prop_oneof![
        any::<bool>().prop_map(|b| ("valueBoolean".to_string(), json!(b))),
        "[0-9a-zA-Z -]{0,12}".prop_map(|s| ("valueString".to_string(), json!(s))),
        "(19|20)[0-9]{2}(-[01][0-9](-[0-3][0-9])?)?".prop_map(|d| ("valueDate".to_string(), json!(d))),
        ("(20)[0-9]{2}-[01][0-9]-[0-3][0-9]", "(20)[0-9]{2}(-[01][0-9])?")
            .prop_map(|(a, b)| ("valuePeriod".to_string(), json!({ "start": a, "end": b }))),
        (-3i64..40).prop_map(|n| ("valueInteger".to_string(), json!(n))),
        proptest::sample::select(patients).prop_map(|n| (
            "valueIdentifier".to_string(),
            json!({ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": n })
        )),
        "[0-9]{0,11}".prop_map(|n| (
            "valueIdentifier".to_string(),
            json!({ "system": "https://fhir.nhs.uk/Id/nhs-number", "value": n })
        )),
    ]
}

fn parameter() -> impl Strategy<Value = Value> {
    let part = (proptest::sample::select(NAMES.to_vec()), value()).prop_map(|(name, (key, value))| {
        let mut part = json!({ "name": name });
        part[key] = value;
        part
    });
    (proptest::sample::select(NAMES.to_vec()), proptest::option::of(value()), proptest::collection::vec(part, 0..3))
        .prop_map(|(name, value, parts)| {
            let mut parameter = json!({ "name": name });
            if let Some((key, value)) = value {
                parameter[key] = value;
            }
            if !parts.is_empty() {
                parameter["part"] = Value::Array(parts);
            }
            parameter
        })
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        // Structured: a patient and a handful of random parameters.
        (proptest::sample::select(store_patients()), proptest::collection::vec(parameter(), 0..6)).prop_map(
            |(nhs, mut rest)| {
                rest.insert(0, nhs_param(&nhs));
                parameters(rest).to_string()
            }
        ),
        // Unstructured: random parameters, or random text.
        proptest::collection::vec(parameter(), 0..6).prop_map(|items| parameters(items).to_string()),
        ".{0,64}",
    ]
}

fn requested_nhs(body: &str) -> Option<String> {
    let json: Value = serde_json::from_str(body).ok()?;
    json["parameter"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "patientNHSNumber")
        .and_then(|p| p["valueIdentifier"]["value"].as_str())
        .map(str::to_string)
}

/// One store for every case: the requests only read it.
static STORE: std::sync::OnceLock<TestStore> = std::sync::OnceLock::new();

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_get_a_clear_answer_and_only_the_patient_asked_for(body in body()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let store = STORE.get_or_init(store);
        let request = request_builder(ODS).body(Body::from(body.clone())).unwrap();
        let answer = runtime.block_on(send(app(store), request));
        prop_assert!(
            [200, 400, 403, 404, 422, 501].contains(&answer.status),
            "status {} for {body}: {}", answer.status, answer.body
        );
        let kind = answer.body["resourceType"].as_str().unwrap_or_default().to_string();
        if answer.status == 200 {
            prop_assert_eq!(kind, "Bundle");
            let asked = requested_nhs(&body).expect("a 200 names a patient");
            let text = answer.body.to_string();
            for other in store_patients().iter().filter(|n| **n != asked) {
                prop_assert!(!text.contains(other.as_str()), "another patient's NHS number in the answer to {body}");
            }
        } else {
            prop_assert_eq!(kind, "OperationOutcome", "{}", answer.body);
        }
    }
}
