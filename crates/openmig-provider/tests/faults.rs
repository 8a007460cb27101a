//! Fault injection through HTTP, as the gateway meets it: the provider with faults
//! enabled on a real listener behind mutual TLS (`openmig-tls`), called with the
//! gateway's HTTPS client; faults switched through the admin routes. Each fault touches
//! only its own practice.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use common::*;
use openmig_provider::Faults;
use openmig_tls::{ClientError, DemoPki, HttpsClient};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const LONG: Duration = Duration::from_secs(10);

/// A provider with faults on 127.0.0.1:0 over mutual TLS, and the gateway's client.
struct Provider {
    base: String,
    faults: Faults,
    client: HttpsClient,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _store: TestStore,
    _pki_dir: tempfile::TempDir,
}

impl Provider {
    async fn start() -> Provider {
        let store = store();
        let pki_dir = tempfile::tempdir().unwrap();
        let pki = DemoPki::load_or_create(pki_dir.path()).unwrap();
        let faults = Faults::new();
        let router = openmig_provider::router_with_faults(Arc::clone(&store.store), now, faults.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("https://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(openmig_tls::serve_tls(listener, router, openmig_tls::server_config(&pki), async {
            let _ = stopped.await;
        }));
        let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
        Provider { base, faults, client, stop: Some(stop), task, _store: store, _pki_dir: pki_dir }
    }

    /// POSTs the example patient's structured record request to practice `ods`.
    async fn record(&self, ods: &str, nhs: &str, timeout: Duration) -> Result<(u16, HeaderMap, Bytes), ClientError> {
        let url = format!("{}/{ods}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord", self.base);
        let mut headers = request_builder(ods).body(()).unwrap().headers().clone();
        let mut claims = claims();
        claims["aud"] = json!(format!("https://provider.example/{ods}/STU3/1/gpconnect/structured"));
        headers.insert("authorization", format!("Bearer {}", jwt(&claims)).parse().unwrap());
        let body = parameters(vec![nhs_param(nhs), allergies(true), medication(true)]).to_string();
        self.client.post_json(&url, headers, Bytes::from(body), timeout).await
    }

    async fn metadata(&self, ods: &str) -> Result<(u16, HeaderMap, Bytes), ClientError> {
        let url = format!("{}/{ods}/STU3/1/gpconnect/structured/fhir/metadata", self.base);
        self.client.get(&url, metadata_headers(ods), LONG).await
    }

    async fn set_faults(&self, ods: &str, settings: Value) -> (u16, Value) {
        let url = format!("{}/{ods}/_admin/faults", self.base);
        let (status, _, body) =
            self.client.post_json(&url, HeaderMap::new(), Bytes::from(settings.to_string()), LONG).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    async fn read_faults(&self, ods: &str) -> Value {
        let url = format!("{}/{ods}/_admin/faults", self.base);
        let (status, _, body) = self.client.get(&url, HeaderMap::new(), LONG).await.unwrap();
        assert_eq!(status, 200);
        serde_json::from_slice(&body).unwrap()
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(LONG, self.task).await.expect("the provider stops").unwrap().unwrap();
    }
}

fn json_body(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap()
}

/// The NHS number of the Bundle's Patient resource.
fn bundle_patient_nhs(bundle: &Value) -> String {
    let patients = resources(bundle, "Patient");
    assert_eq!(patients.len(), 1);
    let identifiers = patients[0]["identifier"].as_array().unwrap();
    let nhs = identifiers.iter().find(|i| i["system"] == "https://fhir.nhs.uk/Id/nhs-number").unwrap();
    nhs["value"].as_str().unwrap().to_string()
}

async fn assert_healthy(provider: &Provider, ods: &str) {
    let (status, _, body) = provider.metadata(ods).await.unwrap();
    assert_eq!(status, 200, "{ods}");
    assert_eq!(json_body(&body)["resourceType"], "CapabilityStatement");
}

/// A dropped connection reaches the gateway's client as a protocol failure (or, if the
/// request was not yet written, as a connection closed before the request).
fn assert_dropped(result: Result<(u16, HeaderMap, Bytes), ClientError>) {
    match result {
        Err(ClientError::Protocol(_) | ClientError::ClosedBeforeRequest) => {}
        other => panic!("expected the connection to be dropped, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_settings_are_read_back_and_validated() {
    let provider = Provider::start().await;
    let off = json!({
        "latencyMs": 0, "status": null, "errorRate": null, "drop": false, "down": false,
        "wrongPatient": false, "malformed": false
    });
    assert_eq!(provider.read_faults(ODS).await, off);

    let (status, body) = provider.set_faults(ODS, json!({ "latencyMs": 25, "status": 503, "errorRate": 0.5 })).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], 503);
    let read = provider.read_faults(ODS).await;
    assert_eq!(
        (read["latencyMs"].clone(), read["status"].clone(), read["errorRate"].clone()),
        (json!(25), json!(503), json!(0.5))
    );
    assert_eq!(provider.read_faults(OTHER_ODS).await, off, "faults are per practice");

    for bad in [json!({ "status": 200 }), json!({ "errorRate": 2 }), json!({ "latncyMs": 5 }), json!("down")] {
        let (status, body) = provider.set_faults(ODS, bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["resourceType"], "OperationOutcome");
    }
    assert_eq!(provider.read_faults(ODS).await, read, "a refused change changes nothing");

    let url = format!("{}/{ODS}/_admin/faults", provider.base);
    let (status, _, _) =
        provider.client.send(axum::http::Method::DELETE, &url, HeaderMap::new(), Bytes::new(), LONG).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(provider.read_faults(ODS).await, off);
    provider.stop().await;
}

#[tokio::test]
async fn the_plain_router_has_no_admin_routes() {
    use axum::body::Body;
    use axum::http::Request;
    let store = store();
    for method in ["GET", "POST"] {
        let request =
            Request::builder().method(method).uri(format!("/{ODS}/_admin/faults")).body(Body::from("{}")).unwrap();
        let answer = send(app(&store), request).await;
        assert_eq!(answer.status, 404, "{method}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_delays_the_answer_of_that_practice_only() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "latencyMs": 400 })).await;

    let started = Instant::now();
    let (status, _, _) = provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap();
    assert_eq!(status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());

    // Beyond the caller's deadline it is a timeout.
    let result = provider.record(ODS, EXAMPLE_NHS, Duration::from_millis(150)).await;
    assert_eq!(result, Err(ClientError::Timeout));

    let started = Instant::now();
    assert_healthy(&provider, OTHER_ODS).await;
    assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_status_answers_an_operation_outcome() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "status": 503 })).await;

    let (status, headers, body) = provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap();
    assert_eq!(status, 503);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/fhir+json"));
    let outcome = json_body(&body);
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(outcome["issue"][0]["details"]["coding"][0]["code"], "INTERNAL_SERVER_ERROR");
    assert_eq!(provider.metadata(ODS).await.unwrap().0, 503, "every FHIR route of the practice");

    provider.set_faults(ODS, json!({ "status": 500 })).await;
    assert_eq!(provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap().0, 500);
    assert_healthy(&provider, OTHER_ODS).await;
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_rate_makes_the_practice_flap() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "errorRate": 0.5 })).await;

    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap().0);
    }
    assert_eq!(statuses, [200, 500, 200, 500, 200, 500]);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_closes_the_connection_without_an_answer_and_the_provider_keeps_serving() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "drop": true, "latencyMs": 50 })).await;

    for _ in 0..3 {
        assert_dropped(provider.record(ODS, EXAMPLE_NHS, LONG).await);
    }
    assert_healthy(&provider, OTHER_ODS).await;
    provider.set_faults(ODS, json!({})).await;
    assert_eq!(provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap().0, 200);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn down_drops_every_request_until_it_is_up_again() {
    let provider = Provider::start().await;

    // One practice down through the admin route.
    provider.set_faults(ODS, json!({ "down": true })).await;
    assert_dropped(provider.record(ODS, EXAMPLE_NHS, LONG).await);
    assert_dropped(provider.metadata(ODS).await);
    assert_healthy(&provider, OTHER_ODS).await;
    provider.set_faults(ODS, json!({ "down": false })).await;
    assert_healthy(&provider, ODS).await;

    // The whole router down through the handle; the admin routes still answer.
    provider.faults.set_down(true);
    assert!(provider.faults.is_down());
    assert_dropped(provider.metadata(ODS).await);
    assert_dropped(provider.metadata(OTHER_ODS).await);
    assert_eq!(provider.read_faults(ODS).await["down"], false);
    provider.faults.set_down(false);
    assert_healthy(&provider, ODS).await;
    assert_healthy(&provider, OTHER_ODS).await;
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_patient_answers_another_patients_record() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "wrongPatient": true })).await;

    let (status, _, body) = provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap();
    assert_eq!(status, 200);
    let bundle = json_body(&body);
    assert_eq!(bundle["resourceType"], "Bundle");
    let answered = bundle_patient_nhs(&bundle);
    assert_ne!(answered, EXAMPLE_NHS, "the hazard the gateway must catch");
    assert!(openmig_domain::NhsNumber::parse(&answered).is_ok());

    // A practice with a single patient answers that record under another NHS number.
    let elsewhere = elsewhere_nhs().to_string();
    provider.set_faults(OTHER_ODS, json!({ "wrongPatient": true })).await;
    let (status, _, body) = provider.record(OTHER_ODS, &elsewhere, LONG).await.unwrap();
    assert_eq!(status, 200);
    assert_ne!(bundle_patient_nhs(&json_body(&body)), elsewhere);

    provider.set_faults(ODS, json!({})).await;
    let (_, _, body) = provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap();
    assert_eq!(bundle_patient_nhs(&json_body(&body)), EXAMPLE_NHS);
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_answers_a_bundle_that_is_not_json() {
    let provider = Provider::start().await;
    provider.set_faults(ODS, json!({ "malformed": true })).await;

    let (status, headers, body) = provider.record(ODS, EXAMPLE_NHS, LONG).await.unwrap();
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/fhir+json"));
    assert!(body.starts_with(b"{"));
    assert!(serde_json::from_slice::<Value>(&body).is_err());

    // Errors are left as they are.
    let (status, _, body) = provider.record(ODS, "9999999999", LONG).await.unwrap();
    assert_eq!(status, 400);
    assert_eq!(json_body(&body)["resourceType"], "OperationOutcome");
    assert_healthy(&provider, OTHER_ODS).await;
    provider.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_sends_not_one_byte_over_plain_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let store = store();
    let faults = Faults::new();
    faults
        .set(
            &openmig_domain::OdsCode::parse(ODS).unwrap(),
            openmig_provider::FaultSettings { drop: true, ..Default::default() },
        )
        .unwrap();
    let router = openmig_provider::router_with_faults(Arc::clone(&store.store), now, faults);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(openmig_provider::serve(listener, router));

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET /{ODS}/STU3/1/gpconnect/structured/fhir/metadata HTTP/1.1\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(LONG, stream.read_to_end(&mut answer)).await.expect("the connection closes");
    assert!(read.is_ok() || answer.is_empty(), "{read:?}");
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    server.abort();
}
