//! Shared set-up: a temporary SQLite store holding the fixture practice and patients
//! (plus variants: deceased, deregistered, restricted, registered elsewhere, sensitive
//! consultation content), a fixed
//! clock, GP Connect JWTs and request builders.
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use openmig_domain::fixtures::{self, AS_OF};
use openmig_domain::{GpRecord, NhsNumber, OdsCode, Practice};
use openmig_store::{PracticeEntry, PreparedRecord, Store};
use openmig_store_sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ODS: &str = "Z90001";
pub const OTHER_ODS: &str = "Z90002";
pub const CLOSED_ODS: &str = "Z90003";
pub const ASID: &str = "900000000001";
pub const EXAMPLE_NHS: &str = "9434765919";

pub fn now() -> DateTime<Utc> {
    Utc.from_utc_datetime(&AS_OF.and_hms_opt(12, 0, 0).unwrap())
}

/// A free NHS number derived from `seed`.
pub fn nhs(seed: u32) -> NhsNumber {
    fixtures::free_nhs(seed)
}

pub fn deceased_nhs() -> NhsNumber {
    fixtures::deceased_record().patient.nhs_number
}
pub fn deregistered_nhs() -> NhsNumber {
    fixtures::deregistered_record().patient.nhs_number
}
pub fn restricted_nhs() -> NhsNumber {
    fixtures::restricted_record().patient.nhs_number
}
pub fn elsewhere_nhs() -> NhsNumber {
    nhs(900_000_400)
}
pub fn dissent_nhs() -> NhsNumber {
    fixtures::dissenting_record().patient.nhs_number
}
/// The example record with sensitive consultation content (see [`sensitive_consultations`]).
pub fn sensitive_consultations_nhs() -> NhsNumber {
    nhs(900_000_600)
}

/// A sexual-health code in the sensitive exclusion set (genital herpes).
pub const SENSITIVE_CODE: u64 = 33839006;

/// The example record (under [`sensitive_consultations_nhs`]) with a sensitive diagnosis
/// (entry 300) recorded in the AF consultation of 2023-02-10, and a sexual-health
/// attendance on 2026-05-05 (encounter 301) that links only another sensitive diagnosis
/// (entry 302).
pub fn sensitive_consultations() -> GpRecord {
    use openmig_domain::record::{Coded, Encounter, EncounterKind, EntryMeta, Problem, ProblemStatus, Significance};
    use openmig_domain::{ClinicianId, EntryId, PartialDate, SnomedCode};
    let gp = || ClinicianId(fixtures::GP_ID.into());
    let meta = |id, on| EntryMeta { id: EntryId(id), recorded_on: on, recorded_by: gp(), confidential: false };
    let problem = |id, on| Problem {
        meta: meta(id, on),
        code: Coded::new(SnomedCode::new(SENSITIVE_CODE).unwrap(), "Genital herpes simplex"),
        status: ProblemStatus::Inactive,
        significance: Significance::Major,
        onset: Some(PartialDate::Day(on)),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    };
    let diagnosed = NaiveDate::from_ymd_opt(2023, 2, 10).unwrap();
    let attended = NaiveDate::from_ymd_opt(2026, 5, 5).unwrap();
    variant(sensitive_consultations_nhs(), |r| {
        r.problems.push(problem(300, diagnosed));
        r.problems.push(problem(302, attended));
        for encounter in &mut r.encounters {
            if encounter.meta.id == fixtures::ids::AF_CONSULTATION {
                encounter.linked.push(EntryId(300));
            }
        }
        r.encounters.push(Encounter {
            meta: meta(301, attended),
            start: attended.and_hms_opt(15, 0, 0).unwrap(),
            duration_minutes: 10,
            kind: EncounterKind::Surgery,
            clinician: gp(),
            notes: "Attended for sexual health follow-up; swab taken.".into(),
            linked: vec![EntryId(302)],
            other_type: None,
        });
    })
}

fn variant(nhs_number: NhsNumber, change: impl FnOnce(&mut GpRecord)) -> GpRecord {
    fixtures::example_variant(nhs_number, change)
}

fn practice(code: &str, sharing: bool) -> PracticeEntry {
    let practice =
        Practice { ods_code: OdsCode::parse(code).unwrap(), sharing_enabled: sharing, ..fixtures::example_practice() };
    PracticeEntry { practice, clinicians: fixtures::example_clinicians() }
}

/// The store, kept alive with its directory.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

pub fn store() -> TestStore {
    store_with(Vec::new())
}

/// The test store with `extra` records besides the usual ones.
pub fn store_with(extra: Vec<GpRecord>) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("provider.db");
    {
        let store = SqliteStore::create(&path).unwrap();
        store.upsert_practices(&[practice(ODS, true), practice(OTHER_ODS, true), practice(CLOSED_ODS, false)]).unwrap();
        let mut records = vec![
            fixtures::example_record(),
            fixtures::example_record_with_no_known_allergies(),
            fixtures::dissenting_record(),
            fixtures::deceased_record(),
            fixtures::deregistered_record(),
            fixtures::restricted_record(),
            variant(elsewhere_nhs(), |r| r.patient.registration.practice = OdsCode::parse(OTHER_ODS).unwrap()),
            sensitive_consultations(),
        ];
        records.extend(extra);
        let prepared: Vec<PreparedRecord> = records.iter().map(|r| PreparedRecord::prepare(r, true, AS_OF)).collect();
        store.upsert_records(&prepared).unwrap();
    }
    let store = SqliteStore::open_read_only(&path).unwrap();
    TestStore { store: Arc::new(store), _dir: dir }
}

pub fn app(store: &TestStore) -> Router {
    openmig_provider::router(Arc::clone(&store.store), now)
}

/// The default claims of a valid token for practice `ODS`, issued 10 s ago.
pub fn claims() -> Value {
    let iat = now().timestamp() - 10;
    json!({
        "iss": "https://consumer.example/",
        "sub": "1",
        "aud": format!("https://provider.example/{ODS}/STU3/1/gpconnect/structured"),
        "iat": iat,
        "exp": iat + 300,
        "reason_for_request": "directcare",
        "requested_scope": "patient/*.read",
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{ "system": "https://consumer.example/device", "value": "dev-1" }],
            "model": "Consumer", "version": "1.0"
        },
        "requesting_organization": {
            "resourceType": "Organization", "name": "Consumer Hospital",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX01" }]
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner", "id": "1",
            "name": [{ "family": "Jones", "given": ["Sam"], "prefix": ["Dr"] }],
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" }]
        }
    })
}

/// An unsigned GP Connect JWT over `claims`, with the trailing dot.
pub fn jwt(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

pub fn nhs_param(nhs: &str) -> Value {
    json!({ "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } })
}

pub fn allergies(resolved: bool) -> Value {
    json!({ "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": resolved }] })
}

pub fn medication(issues: bool) -> Value {
    json!({ "name": "includeMedication", "part": [{ "name": "includePrescriptionIssues", "valueBoolean": issues }] })
}

pub fn parameters(items: Vec<Value>) -> Value {
    json!({ "resourceType": "Parameters", "parameter": items })
}

/// A request that passes every header check; tests then break one thing.
pub fn request_builder(ods: &str) -> axum::http::request::Builder {
    Request::post(format!("/{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord"))
        .header("Ssp-TraceID", "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a")
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", ASID)
        .header("Ssp-InteractionID", "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1")
        .header("Authorization", format!("Bearer {}", jwt(&claims())))
        .header("Content-Type", "application/fhir+json;charset=utf-8")
        .header("Accept", "application/fhir+json;charset=utf-8")
}

/// A metadata read of practice `ods` with every header and a token the operation's
/// checks accept (scope `organization/*.read`, the metadata interaction id).
pub fn metadata_headers(ods: &str) -> axum::http::HeaderMap {
    let mut claims = claims();
    claims["requested_scope"] = "organization/*.read".into();
    claims["aud"] = format!("https://provider.example/{ods}/STU3/1/gpconnect/structured").into();
    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in [
        ("Ssp-TraceID", "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a".to_owned()),
        ("Ssp-From", "200000000359".to_owned()),
        ("Ssp-To", ASID.to_owned()),
        ("Ssp-InteractionID", "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1".to_owned()),
        ("Authorization", format!("Bearer {}", jwt(&claims))),
        ("Accept", "application/fhir+json".to_owned()),
    ] {
        headers.insert(axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
    }
    headers
}

/// `GET …/metadata` of practice `ods`, with [`metadata_headers`].
pub fn metadata_request(ods: &str) -> Request<Body> {
    let mut request =
        Request::get(format!("/{ods}/STU3/1/gpconnect/structured/fhir/metadata")).body(Body::empty()).unwrap();
    *request.headers_mut() = metadata_headers(ods);
    request
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub cache_control: String,
    pub body: Value,
}

pub async fn send(app: Router, request: Request<Body>) -> Answer {
    let response: Response<Body> = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let content_type = header("content-type");
    let cache_control = header("cache-control");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, content_type, cache_control, body }
}

/// Posts `body` with all-valid headers to practice `ODS`.
pub async fn post(body: &Value) -> Answer {
    let store = store();
    send(app(&store), request_builder(ODS).body(Body::from(body.to_string())).unwrap()).await
}

/// `request` with header `name` set to `value`, or removed when `value` is `None`.
pub fn with_header(mut request: Request<Body>, name: &str, value: Option<&str>) -> Request<Body> {
    let name = axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap();
    match value {
        Some(value) => {
            request.headers_mut().insert(name, value.parse().unwrap());
        }
        None => {
            request.headers_mut().remove(name);
        }
    }
    request
}

/// Posts the example patient's allergies request with one header changed (`None` removes it).
pub async fn post_with_header(name: &str, value: Option<&str>) -> Answer {
    let store = store();
    let request = request_builder(ODS)
        .body(Body::from(parameters(vec![nhs_param(EXAMPLE_NHS), allergies(true)]).to_string()))
        .unwrap();
    send(app(&store), with_header(request, name, value)).await
}

/// Posts a valid request whose token carries `claims`.
pub async fn post_with_claims(claims: &Value) -> Answer {
    post_with_header("Authorization", Some(&format!("Bearer {}", jwt(claims)))).await
}

/// Asserts a GP Connect OperationOutcome error with `status` and Spine `code`.
pub fn assert_error(answer: &Answer, status: u16, code: &str) {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert_eq!(answer.body["resourceType"], "OperationOutcome", "body: {}", answer.body);
    assert_eq!(
        answer.body["meta"]["profile"][0],
        "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"
    );
    let coding = &answer.body["issue"][0]["details"]["coding"][0];
    assert_eq!(coding["system"], "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1");
    assert_eq!(coding["code"], code, "body: {}", answer.body);
    assert!(answer.body["issue"][0]["diagnostics"].as_str().is_some_and(|d| !d.is_empty()));
    assert!(answer.content_type.starts_with("application/fhir+json"));
}

/// The resources of a Bundle of one type.
pub fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).filter(|r| r["resourceType"] == kind).collect()
}
