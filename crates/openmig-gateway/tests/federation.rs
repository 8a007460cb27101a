//! Federation over real mutually authenticated HTTPS listeners on loopback: each
//! practice's provider is its own listener with fault injection; the gateway fetches
//! live, falls back to the dated last-good copy, or says clearly that the record is
//! unavailable, and never shows another patient's record.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use openmig_domain::OdsCode;
use openmig_gateway::GatewayConfig;
use openmig_gateway::federation::{Federation, FederationOptions};
use openmig_gateway::lastgood::LastGoodCache;
use openmig_provider::{FaultSettings, Faults};
use openmig_tls::DemoPki;

/// The practices' fault switches: `ODS` and `CLOSED_ODS` on one listener, `OTHER_ODS`
/// on its own.
struct Practices {
    main: Faults,
    other: Faults,
}

fn federated(cache: bool) -> (TestGateway, Practices) {
    federated_with(cache, false)
}

/// With `other_refuses`, `OTHER_ODS`'s endpoint is a closed port: connections refused.
fn federated_with(cache: bool, other_refuses: bool) -> (TestGateway, Practices) {
    let mut practices = None;
    let gateway = gateway_built(GatewayConfig::demo(), |region, dir| {
        let pki = DemoPki::generate().unwrap();
        let (main, other) = (Faults::new(), Faults::new());
        let main_origin = start_practices(region, &pki, main.clone());
        let other_origin = start_practices(region, &pki, other.clone());
        practices = Some(Practices { main, other });
        let other_origin = if other_refuses {
            let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port())
        } else {
            other_origin
        };
        let origins = vec![(ODS, main_origin.clone()), (CLOSED_ODS, main_origin), (OTHER_ODS, other_origin)];
        let options = FederationOptions {
            deadline: Duration::from_millis(800),
            bulkhead: 8,
            retries: 1,
            backoff: Duration::from_millis(10),
            breaker_failures: 3,
            breaker_open_for: Duration::from_millis(400),
        };
        let cache = cache.then(|| {
            Arc::new(
                LastGoodCache::open(&dir.join("gateway.db"), &[9; 32], 1_000, chrono::Duration::hours(24)).unwrap(),
            )
        });
        let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
        let federation = Federation::new(client, options, cache, "200000000999".into(), Arc::new(now)).unwrap();
        (Arc::new(federation), origins)
    });
    (gateway, practices.unwrap())
}

fn ods(code: &str) -> OdsCode {
    OdsCode::parse(code).unwrap()
}

async fn medicines(gateway: &TestGateway, nhs: &str) -> (Answer, String) {
    let request = axum::http::Request::get(format!("/api/v1/patients/{nhs}/medicines"))
        .header("Authorization", format!("Bearer {}", gateway.doctor()))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(gateway.app(), request).await.unwrap();
    let source =
        response.headers().get("openmig-record-source").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (Answer { status, content_type: String::new(), cache_control: String::new(), body, text }, source)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_fetch_then_a_dated_last_good_copy_when_the_practice_is_down() {
    let (gateway, practices) = federated(true);
    let (live, source) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!(live.status, 200, "{}", live.text);
    assert_eq!(source, "live");
    assert_eq!(live.body["recordSource"]["live"], true);
    assert!(live.text.contains("Apixaban"), "the live record came over federation");

    practices.main.set(&ods(ODS), FaultSettings { down: true, ..FaultSettings::default() }).unwrap();
    let (copy, source) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!(copy.status, 200, "{}", copy.text);
    assert!(source.starts_with("last-good; fetched-at=2026-"), "{source}");
    assert_eq!(copy.body["recordSource"]["live"], false);
    assert!(copy.body["recordSource"]["warning"].as_str().unwrap().starts_with("NOT CURRENT"));
    assert!(copy.text.contains("Apixaban"), "the copy still shows the anticoagulant");

    // The same label inside FHIR answers.
    let everything =
        get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}/$everything"), Some(&gateway.doctor())).await;
    assert_eq!(everything.status, 200);
    let said =
        |entry: &serde_json::Value| entry["resource"]["issue"][0]["diagnostics"].as_str().unwrap_or("").to_string();
    let outcomes: Vec<String> = everything.body["entry"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["search"]["mode"] == "outcome")
        .map(said)
        .collect();
    assert!(outcomes.iter().any(|text| text.starts_with("NOT CURRENT")), "{outcomes:?}");
    assert!(
        outcomes.iter().any(|text| text.contains("Items excluded due to confidentiality")),
        "the practice's warnings are kept with the copy: {outcomes:?}"
    );
    let structured =
        send(gateway.app(), structured_request(&gateway.doctor(), &allergies_and_medication(EXAMPLE_NHS))).await;
    assert_eq!(structured.status, 200);
    assert!(structured.text.contains("NOT CURRENT"), "the GP Connect Bundle carries the warning");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_copy_the_clinician_is_told_which_practice_is_unavailable() {
    let (gateway, practices) = federated(false);
    practices.main.set(&ods(ODS), FaultSettings { status: Some(500), ..FaultSettings::default() }).unwrap();
    let (answer, _) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (503, "GP_RECORD_UNAVAILABLE"), "{}", answer.text);
    let message = answer.body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(message.contains("Riverside Medical Practice") && message.contains("EMIS Web"), "{message}");
    assert!(message.contains("last attempt at 2026-"), "{message}");
    assert!(!answer.text.contains("Apixaban"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_practice_is_cut_off_at_the_deadline() {
    let (gateway, practices) = federated(false);
    practices.main.set(&ods(ODS), FaultSettings { latency_ms: 10_000, ..FaultSettings::default() }).unwrap();
    let started = Instant::now();
    let (answer, _) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!(answer.status, 503, "{}", answer.text);
    assert!(started.elapsed() < Duration::from_secs(5), "the 0.8 s deadline holds, not the 10 s delay");
    // Slow answers count as failures: enough of them open the practice's breaker.
    for _ in 0..2 {
        assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 503);
    }
    let federation = Arc::clone(&gateway.gateway.federation);
    assert_eq!(federation.breaker_states(), vec![(ods(ODS), "open")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_patients_bundle_or_a_malformed_one_is_rejected() {
    let (gateway, practices) = federated(false);
    for (settings, said) in [
        (
            FaultSettings { wrong_patient: true, ..FaultSettings::default() },
            "sent another patient's record; it was rejected",
        ),
        (FaultSettings { malformed: true, ..FaultSettings::default() }, "sent an unreadable answer"),
    ] {
        practices.main.set(&ods(ODS), settings).unwrap();
        let (answer, _) = medicines(&gateway, EXAMPLE_NHS).await;
        assert_eq!(answer.status, 503, "{}", answer.text);
        assert!(answer.body["issue"][0]["diagnostics"].as_str().unwrap().contains(said), "{}", answer.text);
        for other in [nhs_str(dissent_nhs()), nhs_str(deceased_nhs()), nhs_str(restricted_nhs())] {
            assert!(!answer.text.contains(&other), "another patient's NHS number leaked");
        }
    }
}

fn nhs_str(nhs: openmig_domain::NhsNumber) -> String {
    nhs.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_opens_on_repeated_failure_then_half_opens_and_recovers() {
    let (gateway, practices) = federated(false);
    let federation = Arc::clone(&gateway.gateway.federation);
    practices.main.set(&ods(ODS), FaultSettings { status: Some(503), ..FaultSettings::default() }).unwrap();
    for _ in 0..3 {
        assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 503);
    }
    assert_eq!(federation.breaker_states(), vec![(ods(ODS), "open")]);
    let (answer, _) = medicines(&gateway, EXAMPLE_NHS).await;
    assert!(answer.text.contains("not calling it for a while"), "open: answered without calling: {}", answer.text);
    // The practice recovers; after the open period a probe goes through and closes it.
    practices.main.clear();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (answer, source) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!((answer.status, source.as_str()), (200, "live"), "{}", answer.text);
    assert_eq!(federation.breaker_states(), vec![(ods(ODS), "closed")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_practices_are_unaffected_when_one_is_down() {
    let (gateway, practices) = federated(false);
    practices.main.set(&ods(ODS), FaultSettings { down: true, ..FaultSettings::default() }).unwrap();
    let (down, _) = medicines(&gateway, EXAMPLE_NHS).await;
    assert_eq!(down.status, 503);
    let (other, source) = medicines(&gateway, &other_practice_nhs().to_string()).await;
    assert_eq!((other.status, source.as_str()), (200, "live"), "{}", other.text);
    // And the other practice's own faults are its own.
    assert!(!practices.other.get(&ods(OTHER_ODS)).any());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_routes_practices_and_breakers_without_patient_data() {
    let (gateway, practices) = federated(true);
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 200);
    practices.main.set(&ods(ODS), FaultSettings { down: true, ..FaultSettings::default() }).unwrap();
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 200);
    let metrics = get(&gateway, "/metrics", None).await;
    assert_eq!(metrics.status, 200);
    let text = metrics.text;
    assert!(
        text.contains(r#"openmig_gateway_requests_total{route="/api/v1/patients/{nhs}/medicines",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"openmig_gateway_practice_fetches_total{practice="Z90001",outcome="live"} 1"#), "{text}");
    assert!(
        text.contains(r#"openmig_gateway_practice_fetches_total{practice="Z90001",outcome="last_good"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"openmig_gateway_practice_breaker_state{practice="Z90001"}"#), "{text}");
    assert!(text.contains("openmig_gateway_audit_append_seconds_count 2"), "{text}");
    assert!(!text.contains(EXAMPLE_NHS), "no NHS number in metrics");
}

/// Collects what the gateway logs.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_are_structured_and_carry_no_patient_data() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests of this binary run in parallel without a subscriber; a callsite first
    // hit there may have cached "never interested". Re-evaluate now that this thread has
    // one, or the request lines can be lost (a flake seen when the whole binary runs).
    tracing::callsite::rebuild_interest_cache();
    let (gateway, practices) = federated(true);
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 200);
    practices.main.set(&ods(ODS), FaultSettings { down: true, ..FaultSettings::default() }).unwrap();
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.0.status, 200);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = logs.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    let requests: Vec<_> = lines.iter().filter(|l| l["target"] == "openmig::request").collect();
    assert_eq!(requests.len(), 2, "{logs}");
    assert_eq!(requests[0]["fields"]["route"], "/api/v1/patients/{nhs}/medicines");
    assert!(requests[1]["fields"]["record_source"].as_str().unwrap().starts_with("last-good"));
    assert!(lines.iter().any(|l| l["target"] == "openmig::federation" && l["fields"]["practice"] == ODS), "{logs}");
    for forbidden in [EXAMPLE_NHS, "Apixaban", "Hebburn", "943 476 5919"] {
        assert!(!logs.contains(forbidden), "{forbidden} in the logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flapping_practice_always_gets_an_answer_live_or_dated() {
    let (gateway, practices) = federated(true);
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.1, "live");
    practices.main.set(&ods(ODS), FaultSettings { error_rate: Some(0.5), ..FaultSettings::default() }).unwrap();
    let mut sources = Vec::new();
    for _ in 0..6 {
        let (answer, source) = medicines(&gateway, EXAMPLE_NHS).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(answer.text.contains("Apixaban"));
        sources.push(source);
    }
    assert!(sources.iter().any(|s| s == "live"), "{sources:?}");
    assert!(sources.iter().any(|s| s.starts_with("last-good")), "{sources:?}");
    let federation = Arc::clone(&gateway.gateway.federation);
    assert_eq!(federation.breaker_states(), vec![(ods(ODS), "closed")], "alternate failures never open it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_refusing_connections_is_reported_after_safe_retries() {
    let (gateway, _practices) = federated_with(false, true);
    let started = Instant::now();
    let (answer, _) = medicines(&gateway, &other_practice_nhs().to_string()).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (503, "GP_RECORD_UNAVAILABLE"), "{}", answer.text);
    assert!(answer.text.contains("refused the connection"), "{}", answer.text);
    assert!(started.elapsed() < Duration::from_secs(5));
    // Patients of the practice that answers are unaffected.
    assert_eq!(medicines(&gateway, EXAMPLE_NHS).await.1, "live");
}
