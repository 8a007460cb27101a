//! Shared set-up: a temporary store with the fixture practice and patients (plus
//! variants: deceased, deregistered, restricted, a practice that does not share), a
//! demo-token issuer, an audit log, a fixed clock, and request helpers.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use openmig_audit::{AuditLog, AuditOptions, CheckpointKey, ReportFilter, ReportSubject};
use openmig_auth::{IssuerKey, TokenRequest, TrustedIssuers};
use openmig_directory::{Directory, DirectoryPractice, Endpoint, SqliteDirectory};
use openmig_domain::fixtures::{self, AS_OF};
use openmig_domain::{ConsentBasis, GpRecord, NhsNumber, OdsCode, Practice, Role};
use openmig_gateway::federation::{Federation, FederationOptions};
use openmig_gateway::{Gateway, GatewayConfig};
use openmig_store::{PracticeEntry, PreparedRecord, Store};
use openmig_store_sqlite::SqliteStore;
use openmig_tls::DemoPki;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const ODS: &str = "Z90001";
pub const CLOSED_ODS: &str = "Z90003";
/// A second practice that shares, for "other practices are unaffected".
pub const OTHER_ODS: &str = "Z90002";
pub const EXAMPLE_NHS: &str = "9434765919";
pub const PUBLIC_URL: &str = "http://gateway.test";
pub const AUDIENCE: &str = openmig_auth::DEFAULT_AUDIENCE;
/// The emergency department of the demo configuration.
pub const ED: &str = "ZC010";
/// Community services: demographics only.
pub const COMMUNITY: &str = "ZC060";

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
pub fn closed_practice_nhs() -> NhsNumber {
    nhs(900_000_400)
}
pub fn sensitive_nhs() -> NhsNumber {
    nhs(900_000_600)
}
/// A sexual-health diagnosis in the sensitive exclusion set (genital herpes simplex).
pub const SENSITIVE_CODE: u64 = 33839006;
pub fn other_practice_nhs() -> NhsNumber {
    nhs(900_000_700)
}
pub fn dissent_nhs() -> NhsNumber {
    fixtures::dissenting_record().patient.nhs_number
}

fn variant(nhs_number: NhsNumber, change: impl FnOnce(&mut GpRecord)) -> GpRecord {
    fixtures::example_variant(nhs_number, change)
}

fn practice(code: &str, sharing: bool) -> PracticeEntry {
    let practice =
        Practice { ods_code: OdsCode::parse(code).unwrap(), sharing_enabled: sharing, ..fixtures::example_practice() };
    PracticeEntry { practice, clinicians: fixtures::example_clinicians() }
}

/// A running gateway's parts, kept alive with their directory.
pub struct TestGateway {
    pub gateway: Arc<Gateway>,
    pub key: IssuerKey,
    pub audit_db: PathBuf,
    pub checkpoints: PathBuf,
    pub keys_dir: PathBuf,
    pub dir: tempfile::TempDir,
}

impl TestGateway {
    pub fn app(&self) -> Router {
        openmig_gateway::router(Arc::clone(&self.gateway))
    }

    /// A token for `role` at `org`, on `consent`.
    pub fn token(&self, role: Role, org: &str, consent: Option<ConsentBasis>) -> String {
        self.token_at(role, org, consent, now())
    }

    /// [`TestGateway::token`] issued at `at`.
    pub fn token_at(&self, role: Role, org: &str, consent: Option<ConsentBasis>, at: DateTime<Utc>) -> String {
        let request = TokenRequest {
            user_id: "555123456789".into(),
            user_name: "Dr Sam Jones".into(),
            role,
            organisation: OdsCode::parse(org).unwrap(),
            device: "ED system test".into(),
            consent,
            override_reason: (consent == Some(ConsentBasis::Emergency)).then(|| "Unconscious, no relatives".into()),
            audience: AUDIENCE.into(),
            ttl: Duration::from_secs(300),
            purpose: "directcare".into(),
        };
        openmig_auth::mint(&self.key, &request, at).unwrap()
    }

    /// A doctor in the emergency department with the patient's consent.
    pub fn doctor(&self) -> String {
        self.token(Role::Doctor, ED, Some(ConsentBasis::Given))
    }

    /// The audit entries about patients of the example practice and the closed one,
    /// emergency overrides first, then in time order.
    pub fn audit_entries(&self) -> Vec<openmig_audit::AuditEntry> {
        let mut entries = Vec::new();
        for ods in [ODS, CLOSED_ODS] {
            let filter =
                ReportFilter { subject: ReportSubject::Practice(OdsCode::parse(ods).unwrap()), from: None, to: None };
            entries.extend(openmig_audit::report(&self.audit_db, &filter).unwrap());
        }
        entries.sort_by_key(|entry| entry.sequence);
        entries
    }

    /// The audit entries about one patient.
    pub fn patient_audit(&self, nhs: &str) -> Vec<openmig_audit::AuditEntry> {
        let filter =
            ReportFilter { subject: ReportSubject::Patient(NhsNumber::parse(nhs).unwrap()), from: None, to: None };
        openmig_audit::report(&self.audit_db, &filter).unwrap()
    }

    /// How many entries the audit log holds, checking the whole chain on the way.
    pub fn audit_count(&self) -> u64 {
        let public = CheckpointKey::load_or_create(&self.keys_dir).unwrap().public();
        let report = openmig_audit::verify(&self.audit_db, &public, &self.checkpoints).unwrap();
        assert!(report.is_intact(), "{:?}", report.problem);
        report.entries
    }
}

pub fn gateway() -> TestGateway {
    gateway_with(GatewayConfig::demo())
}

/// A gateway federating to the fixture practices' systems (one mutual-TLS listener on
/// loopback serving the region store), as `openmig serve --role all` runs them.
pub fn gateway_with(config: GatewayConfig) -> TestGateway {
    gateway_built(config, |region, _| {
        let pki = DemoPki::generate().unwrap();
        let origin = start_practices(region, &pki, openmig_provider::Faults::new());
        let endpoints = [ODS, CLOSED_ODS, OTHER_ODS].map(|ods| (ods, origin.clone())).to_vec();
        let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
        let options = FederationOptions::default();
        let federation = Federation::new(client, options, None, "200000000999".into(), Arc::new(now)).unwrap();
        (Arc::new(federation), endpoints)
    })
}

/// Serves every practice of the region store file (with `faults`) on one mutual-TLS
/// loopback listener; returns its origin, `https://127.0.0.1:PORT`.
pub fn start_practices(region: &std::path::Path, pki: &DemoPki, faults: openmig_provider::Faults) -> String {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_read_only(region).unwrap());
    let router = openmig_provider::router_with_faults(store, now, faults);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(openmig_tls::serve_tls(listener, router, openmig_tls::server_config(pki), std::future::pending()));
    format!("https://127.0.0.1:{}", address.port())
}

/// The directory entry of a fixture practice reached at `origin`, laid out as openmig's
/// practices serve it.
pub fn directory_entry(entry: &PracticeEntry, origin: &str) -> DirectoryPractice {
    let ods = &entry.practice.ods_code;
    DirectoryPractice {
        practice: entry.practice.clone(),
        gp_connect: Endpoint::parse(&format!("{origin}{}", openmig_provider::base_path(ods))).unwrap(),
        documents: Some(
            Endpoint::parse(&format!("{origin}{}", openmig_provider::inbox::inbox_base_path(ods))).unwrap(),
        ),
    }
}

/// The region store file a test gateway reads (also what test providers serve).
pub fn region_path(dir: &std::path::Path) -> PathBuf {
    dir.join("region.db")
}

/// A gateway whose federation `federate` makes from the region store file (what the
/// practices' systems serve) and the test directory, returning with it the origin each
/// practice is reached at (`(ODS, https://host:port)`), which the directory then names.
/// The gateway itself gets the directory only.
pub fn gateway_built(
    config: GatewayConfig,
    federate: impl FnOnce(&std::path::Path, &std::path::Path) -> (Arc<Federation>, Vec<(&'static str, String)>),
) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    let path = region_path(dir.path());
    {
        let store = SqliteStore::create(&path).unwrap();
        store.upsert_practices(&[practice(ODS, true), practice(CLOSED_ODS, false), practice(OTHER_ODS, true)]).unwrap();
        let records = [
            fixtures::example_record(),
            fixtures::example_record_with_no_known_allergies(),
            fixtures::dissenting_record(),
            fixtures::deceased_record(),
            fixtures::deregistered_record(),
            fixtures::restricted_record(),
            variant(sensitive_nhs(), |r| r.problems.push(sensitive_problem())),
            variant(closed_practice_nhs(), |r| r.patient.registration.practice = OdsCode::parse(CLOSED_ODS).unwrap()),
            variant(other_practice_nhs(), |r| r.patient.registration.practice = OdsCode::parse(OTHER_ODS).unwrap()),
        ];
        let prepared: Vec<PreparedRecord> = records.iter().map(|r| PreparedRecord::prepare(r, true, AS_OF)).collect();
        store.upsert_records(&prepared).unwrap();
    }
    let (federation, origins) = federate(&path, dir.path());
    let directory_path = dir.path().join("directory.db");
    {
        let store = SqliteStore::open_read_only(&path).unwrap();
        let directory = SqliteDirectory::create(&directory_path).unwrap();
        let entries: Vec<DirectoryPractice> = origins
            .iter()
            .map(|(ods, origin)| {
                directory_entry(&store.practice(&OdsCode::parse(ods).unwrap()).unwrap().unwrap(), origin)
            })
            .collect();
        directory.upsert_practices(&entries).unwrap();
        let mut patients = Vec::new();
        for ods in [ODS, CLOSED_ODS, OTHER_ODS] {
            for nhs in store.practice_patients(&OdsCode::parse(ods).unwrap(), None, 1_000).unwrap() {
                patients.push(store.record(nhs).unwrap().unwrap().patient);
            }
        }
        directory.upsert_patients(&patients).unwrap();
    }
    let directory: Arc<dyn Directory> = Arc::new(SqliteDirectory::open_read_only(&directory_path).unwrap());
    gateway_over(config, directory, federation, dir)
}

/// A gateway over `directory` (and nothing else), federating through `federation`, with
/// its audit log and keys in `dir`.
pub fn gateway_over(
    config: GatewayConfig,
    directory: Arc<dyn Directory>,
    federation: Arc<Federation>,
    dir: tempfile::TempDir,
) -> TestGateway {
    let keys_dir = dir.path().join("keys");
    let key = IssuerKey::load_or_create(&keys_dir).unwrap();
    let audit_db = dir.path().join("audit.db");
    let checkpoints = dir.path().join("audit.db.audit-checkpoints.jsonl");
    let audit =
        AuditLog::open(&audit_db, CheckpointKey::load_or_create(&keys_dir).unwrap(), AuditOptions::default()).unwrap();
    let gateway = Gateway {
        config,
        directory,
        issuers: TrustedIssuers::from_key(&key),
        audience: AUDIENCE.into(),
        audit: Arc::new(audit),
        audit_database: audit_db.clone(),
        public_url: PUBLIC_URL.into(),
        clock: Arc::new(now),
        inbox: Arc::new(openmig_inbox::Inbox::open(&audit_db).unwrap()),
        federation,
        metrics: Arc::new(openmig_gateway::metrics::Metrics::new()),
    };
    TestGateway { gateway: Arc::new(gateway), key, audit_db, checkpoints, keys_dir, dir }
}

/// An inactive sexual-health diagnosis: must never leave the gateway.
fn sensitive_problem() -> openmig_domain::record::Problem {
    use openmig_domain::record::{Coded, EntryMeta, Problem, ProblemStatus, Significance};
    use openmig_domain::{ClinicianId, EntryId, PartialDate, SnomedCode};
    let on = NaiveDate::from_ymd_opt(2024, 3, 4).unwrap();
    Problem {
        meta: EntryMeta {
            id: EntryId(900),
            recorded_on: on,
            recorded_by: ClinicianId(fixtures::GP_ID.into()),
            confidential: false,
        },
        code: Coded::new(SnomedCode::new(SENSITIVE_CODE).unwrap(), "Genital herpes simplex"),
        status: ProblemStatus::Inactive,
        significance: Significance::Minor,
        onset: Some(PartialDate::Day(on)),
        ended: None,
        notes: None,
        related: Vec::new(),
        linked_problems: Vec::new(),
    }
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub cache_control: String,
    pub body: Value,
    pub text: String,
}

pub async fn send(app: Router, request: Request<Body>) -> Answer {
    let response: Response<Body> = app.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let (content_type, cache_control) = (header("content-type"), header("cache-control"));
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer { status, content_type, cache_control, body, text }
}

/// `GET path` with a bearer token (or none).
pub async fn get(gateway: &TestGateway, path: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    send(gateway.app(), request.body(Body::empty()).unwrap()).await
}

/// `POST path` with a JSON body and a bearer token.
pub async fn post_json(gateway: &TestGateway, path: &str, token: &str, body: &Value) -> Answer {
    let request = Request::post(path)
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(gateway.app(), request).await
}

/// The gateway's GP Connect operation with all the headers a consumer sends.
pub fn structured_request(token: &str, body: &Value) -> Request<Body> {
    Request::post("/gpconnect/fhir/Patient/$gpc.getstructuredrecord")
        .header("Ssp-TraceID", "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a")
        .header("Ssp-From", "200000000359")
        .header("Ssp-InteractionID", "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1")
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/fhir+json;charset=utf-8")
        .header("Accept", "application/fhir+json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A Parameters body asking for `nhs`'s allergies and medication.
pub fn allergies_and_medication(nhs: &str) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [
        { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs } },
        { "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": true }] },
        { "name": "includeMedication", "part": [{ "name": "includePrescriptionIssues", "valueBoolean": true }] },
    ]})
}

/// The error code of an OperationOutcome answer.
pub fn error_code(answer: &Answer) -> String {
    answer.body["issue"][0]["details"]["coding"][0]["code"].as_str().unwrap_or_default().to_string()
}
