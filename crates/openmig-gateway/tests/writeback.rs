//! Write-back through HTTP: an encounter summary sent by a consumer lands in the inbox of
//! the patient's registered practice, once, under the access policy; only the
//! practice's own staff list, read and acknowledge it; every step is audited; and the
//! outbox delivers it to the practice's own system over mutual TLS, retrying while the
//! practice is down, across a restart, one copy at the practice.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use common::*;
use openmig_domain::{ConsentBasis, OdsCode, Role};
use openmig_gateway::Clock;
use openmig_gateway::delivery::PracticeDelivery;
use openmig_gateway::routes::spawn_outbox;
use openmig_inbox::{Delivery, DeliveryState, Inbox, InboxItem, StatusFilter};
use openmig_provider::{FaultSettings, Faults};
use openmig_tls::{DemoPki, HttpsClient};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The example emergency department discharge summary (`openmig_inbox::examples`).
fn bundle(nhs: &str, id: &str) -> Value {
    openmig_inbox::examples::discharge_summary(nhs, id)
}

const OOH_TEXT: &str = "Seen overnight with chest pain. ECG normal. Safety-netted.";

/// The example out-of-hours consultation summary.
fn document_reference(nhs: &str, id: &str) -> Value {
    openmig_inbox::examples::consultation_summary(nhs, id, OOH_TEXT)
}

struct Sent {
    status: u16,
    location: String,
    body: Value,
    text: String,
}

async fn post(gateway: &TestGateway, path: &str, token: Option<&str>, body: impl Into<Body>, media: &str) -> Sent {
    let mut request = Request::post(path).header("Content-Type", media);
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    let response = gateway.app().oneshot(request.body(body.into()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let location =
        response.headers().get("location").map(|value| value.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&bytes).to_string();
    Sent { status, location, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null), text }
}

async fn send_document(gateway: &TestGateway, token: &str, document: &Value) -> Sent {
    let kind = document["resourceType"].as_str().unwrap();
    post(gateway, &format!("/fhir/R4/{kind}"), Some(token), document.to_string(), "application/fhir+json").await
}

/// A member of staff of `practice`.
fn staff(gateway: &TestGateway, role: Role, practice: &str) -> String {
    gateway.token(role, practice, None)
}

fn refusal_code(sent: &Sent) -> &str {
    sent.body["issue"][0]["details"]["coding"][0]["code"].as_str().unwrap_or_default()
}

fn inbox_of(gateway: &TestGateway, practice: &str) -> Vec<InboxItem> {
    let practice = openmig_domain::OdsCode::parse(practice).unwrap();
    gateway.gateway.inbox.list(&practice, StatusFilter::All).unwrap()
}

#[tokio::test]
async fn a_document_bundle_is_stored_in_the_registered_practices_inbox() {
    let gateway = gateway();
    let sent = send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    assert_eq!(sent.location, format!("{PUBLIC_URL}/practices/{ODS}/inbox/1"));
    assert_eq!(sent.body["resourceType"], "OperationOutcome");
    assert_eq!(sent.body["issue"][0]["severity"], "information");

    let list =
        get(&gateway, &format!("/practices/{ODS}/inbox"), Some(&staff(&gateway, Role::Administrative, ODS))).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!((list.content_type.as_str(), list.cache_control.as_str()), ("application/json", "no-store"));
    assert_eq!(list.body["total"], 1);
    let item = &list.body["items"][0];
    assert_eq!(item["id"], 1);
    assert_eq!(item["document"]["nhsNumber"], EXAMPLE_NHS);
    assert_eq!(item["document"]["title"], "Emergency department discharge summary");
    assert_eq!(item["document"]["author"]["ods"], ED);
    assert_eq!(item["document"]["diagnoses"][0]["code"], "49436004");
    assert_eq!(item["document"]["medicationChanges"][0]["code"], "703908001");
    assert_eq!(item["document"]["medicationChanges"][1]["status"], "stopped");
    assert!(item["document"]["text"].as_str().unwrap().contains("Atrial fibrillation, new"));
    assert_eq!(item["sender"]["organisation"], ED);
    assert_eq!(item["sender"]["userName"], "Dr Sam Jones");
    assert_eq!(item["delivery"]["state"], "pending");
    assert_eq!(item["acknowledged"], Value::Null);

    let read = get(&gateway, &format!("/practices/{ODS}/inbox/1"), Some(&staff(&gateway, Role::Doctor, ODS))).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body, bundle(EXAMPLE_NHS, "ed-1"), "the document as it was sent");
    assert!(read.content_type.starts_with("application/fhir+json"));
}

#[tokio::test]
async fn a_document_reference_is_stored_with_its_text() {
    let gateway = gateway();
    let nurse = gateway.token(Role::Nurse, "ZC030", Some(ConsentBasis::Given));
    let sent = send_document(&gateway, &nurse, &document_reference(EXAMPLE_NHS, "ooh-7")).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let items = inbox_of(&gateway, ODS);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].document.text, OOH_TEXT);
    assert_eq!(items[0].document.title, "Out-of-hours consultation");
    assert_eq!(items[0].sender.organisation.as_str(), "ZC030");
}

#[tokio::test]
async fn a_duplicate_is_stored_once_and_a_changed_document_with_the_same_identifier_conflicts() {
    let gateway = gateway();
    let token = gateway.doctor();
    let first = send_document(&gateway, &token, &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = send_document(&gateway, &token, &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.location, first.location, "the original item");
    assert!(again.text.contains("already received"), "{}", again.text);
    let mut changed = bundle(EXAMPLE_NHS, "ed-1");
    changed["entry"][0]["resource"]["title"] = json!("Amended discharge summary");
    let conflict = send_document(&gateway, &token, &changed).await;
    assert_eq!((conflict.status, refusal_code(&conflict)), (409, "DOCUMENT_CONFLICT"), "{}", conflict.text);
    let items = inbox_of(&gateway, ODS);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].document.title, "Emergency department discharge summary");
    // A new identifier is a new document.
    assert_eq!(send_document(&gateway, &token, &changed_identifier(&changed, "ed-2")).await.status, 201);
}

fn changed_identifier(document: &Value, id: &str) -> Value {
    let mut document = document.clone();
    document["identifier"]["value"] = json!(id);
    document
}

#[tokio::test]
async fn write_back_follows_the_access_policy_and_refusals_store_nothing() {
    let gateway = gateway();
    let document = bundle(EXAMPLE_NHS, "ed-1");
    let refused = [
        (None, 401, "NO_TOKEN"),
        (Some(gateway.token(Role::Doctor, COMMUNITY, Some(ConsentBasis::Given))), 403, "NO_SHARING_AGREEMENT"),
        (Some(gateway.token(Role::Doctor, "ZZZ99", Some(ConsentBasis::Given))), 403, "UNKNOWN_ORGANISATION"),
        (Some(gateway.token(Role::Administrative, ED, Some(ConsentBasis::Given))), 403, "ROLE_NOT_PERMITTED"),
        (Some(gateway.token(Role::Doctor, ED, None)), 403, "CONSENT_REQUIRED"),
        // The practice itself is not a consumer: it reads its inbox, it does not write back.
        (Some(gateway.token(Role::Doctor, ODS, Some(ConsentBasis::Given))), 403, "UNKNOWN_ORGANISATION"),
    ];
    for (token, status, code) in refused {
        let sent =
            post(&gateway, "/fhir/R4/Bundle", token.as_deref(), document.to_string(), "application/fhir+json").await;
        assert_eq!(sent.status, status, "{code}: {}", sent.text);
        if code != "NO_TOKEN" {
            assert_eq!(refusal_code(&sent), code);
        }
    }
    let doctor = gateway.doctor();
    for (patient, status, code) in [
        (closed_practice_nhs().to_string(), 403, "PRACTICE_SHARING_DISABLED"),
        (restricted_nhs().to_string(), 404, "PATIENT_NOT_FOUND"),
        (deceased_nhs().to_string(), 404, "PATIENT_DECEASED"),
        (nhs(900_000_777).to_string(), 404, "PATIENT_NOT_FOUND"),
    ] {
        let sent = send_document(&gateway, &doctor, &bundle(&patient, &format!("ed-{patient}"))).await;
        assert_eq!((sent.status, refusal_code(&sent)), (status, code), "{}", sent.text);
    }
    assert!(inbox_of(&gateway, ODS).is_empty());
    assert!(inbox_of(&gateway, CLOSED_ODS).is_empty());
}

#[tokio::test]
async fn invalid_documents_are_refused_with_an_operation_outcome_naming_the_problem() {
    let gateway = gateway();
    let token = gateway.doctor();
    let mut no_subject = bundle(EXAMPLE_NHS, "ed-1");
    no_subject["entry"][0]["resource"].as_object_mut().unwrap().remove("subject");
    let mut bad_code = bundle(EXAMPLE_NHS, "ed-1");
    bad_code["entry"][3]["resource"]["code"]["coding"][0]["code"] = json!("49436005");
    let cases: Vec<(&str, String, &str, u16, &str, &str)> = vec![
        ("/fhir/R4/Bundle", "{oops".into(), "application/fhir+json", 400, "BAD_REQUEST", "not valid JSON"),
        (
            "/fhir/R4/Bundle",
            document_reference(EXAMPLE_NHS, "x").to_string(),
            "application/fhir+json",
            400,
            "BAD_REQUEST",
            "expected a FHIR Bundle",
        ),
        (
            "/fhir/R4/Bundle",
            no_subject.to_string(),
            "application/fhir+json",
            422,
            "INVALID_RESOURCE",
            "Composition.subject",
        ),
        ("/fhir/R4/Bundle", bad_code.to_string(), "application/json", 422, "INVALID_RESOURCE", "(Condition).code"),
        (
            "/fhir/R4/Bundle",
            bundle(EXAMPLE_NHS, "y").to_string(),
            "text/plain",
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "fhir+json",
        ),
        ("/fhir/R4/Bundle", " ".repeat(1_100_000), "application/fhir+json", 413, "DOCUMENT_TOO_LARGE", "larger than"),
        ("/fhir/R4/Bundle", " ".repeat(3_000_000), "application/fhir+json", 413, "DOCUMENT_TOO_LARGE", "larger than"),
    ];
    let before = gateway.audit_count();
    for (path, body, media, status, code, says) in &cases {
        let sent = post(&gateway, path, Some(&token), body.clone(), media).await;
        assert_eq!((sent.status, refusal_code(&sent)), (*status, *code), "{}", sent.text);
        assert_eq!(sent.body["resourceType"], "OperationOutcome");
        assert!(sent.text.contains(says), "expected '{says}' in {}", sent.text);
        assert!(!sent.text.contains(EXAMPLE_NHS), "no NHS number in an error");
    }
    assert_eq!(gateway.audit_count(), before + cases.len() as u64, "every refusal is audited");
    let other = post(&gateway, "/fhir/R4/Condition", Some(&token), "{}", "application/fhir+json").await;
    assert_eq!((other.status, refusal_code(&other)), (405, "CREATE_NOT_SUPPORTED"));
    assert!(inbox_of(&gateway, ODS).is_empty());
}

#[tokio::test]
async fn only_the_practices_own_staff_list_read_and_acknowledge_its_inbox() {
    let gateway = gateway();
    assert_eq!(send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await.status, 201);
    let inbox = format!("/practices/{ODS}/inbox");
    for (token, status, code) in [
        (gateway.doctor(), 403, "NOT_PRACTICE_STAFF"),
        (staff(&gateway, Role::Administrative, CLOSED_ODS), 403, "NOT_PRACTICE_STAFF"),
        (staff(&gateway, Role::Auditor, ODS), 403, "ROLE_NOT_PERMITTED"),
    ] {
        for path in [inbox.clone(), format!("{inbox}/1")] {
            let answer = get(&gateway, &path, Some(&token)).await;
            assert_eq!((answer.status, error_code(&answer).as_str()), (status, code), "{path}: {}", answer.text);
        }
        let ack = post(&gateway, &format!("{inbox}/1/ack"), Some(&token), Body::empty(), "application/json").await;
        assert_eq!((ack.status, refusal_code(&ack)), (status, code));
    }
    assert_eq!(get(&gateway, &inbox, None).await.status, 401);
    // Another practice's staff asking their own inbox for this item: not found there.
    let other = staff(&gateway, Role::Administrative, CLOSED_ODS);
    let ack = post(
        &gateway,
        &format!("/practices/{CLOSED_ODS}/inbox/1/ack"),
        Some(&other),
        Body::empty(),
        "application/json",
    )
    .await;
    assert_eq!((ack.status, refusal_code(&ack)), (404, "INBOX_ITEM_NOT_FOUND"));
    let unknown =
        get(&gateway, "/practices/Z99999/inbox", Some(&staff(&gateway, Role::Administrative, "Z99999"))).await;
    assert_eq!((unknown.status, error_code(&unknown).as_str()), (404, "ORGANISATION_NOT_FOUND"));

    let clerk = staff(&gateway, Role::Administrative, ODS);
    assert_eq!(get(&gateway, &format!("{inbox}?status=everything"), Some(&clerk)).await.status, 400);
    assert_eq!(get(&gateway, &format!("{inbox}/x/ack"), Some(&clerk)).await.status, 405);
    let bad_id = post(&gateway, &format!("{inbox}/abc/ack"), Some(&clerk), Body::empty(), "application/json").await;
    assert_eq!(bad_id.status, 404);

    let ack = post(&gateway, &format!("{inbox}/1/ack"), Some(&clerk), Body::empty(), "application/json").await;
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert_eq!(ack.body["alreadyAcknowledged"], false);
    assert_eq!(ack.body["item"]["acknowledged"]["by"], "Dr Sam Jones (555123456789)");
    let again = post(
        &gateway,
        &format!("{inbox}/1/ack"),
        Some(&staff(&gateway, Role::Doctor, ODS)),
        Body::empty(),
        "application/json",
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["alreadyAcknowledged"], true);
    assert_eq!(again.body["item"]["acknowledged"], ack.body["item"]["acknowledged"]);

    assert_eq!(get(&gateway, &inbox, Some(&clerk)).await.body["total"], 0, "nothing left unacknowledged");
    let all = get(&gateway, &format!("{inbox}?status=all"), Some(&clerk)).await;
    assert_eq!(all.body["total"], 1);
    assert_eq!(get(&gateway, &format!("{inbox}?status=acknowledged"), Some(&clerk)).await.body["total"], 1);
}

#[tokio::test]
async fn write_back_and_the_practices_use_of_its_inbox_are_audited_both_ways() {
    let gateway = gateway();
    assert_eq!(send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await.status, 201);
    let community = gateway.token(Role::Doctor, COMMUNITY, Some(ConsentBasis::Given));
    assert_eq!(send_document(&gateway, &community, &bundle(EXAMPLE_NHS, "ed-2")).await.status, 403);
    let clerk = staff(&gateway, Role::Administrative, ODS);
    assert_eq!(get(&gateway, &format!("/practices/{ODS}/inbox"), Some(&clerk)).await.status, 200);
    let ack =
        post(&gateway, &format!("/practices/{ODS}/inbox/1/ack"), Some(&clerk), Body::empty(), "application/json").await;
    assert_eq!(ack.status, 200);
    assert_eq!(get(&gateway, &format!("/practices/{ODS}/inbox"), Some(&gateway.doctor())).await.status, 403);

    let entries = gateway.audit_entries();
    let summary: Vec<(&str, &str, &str, Option<&str>)> = entries
        .iter()
        .map(|entry| {
            (
                entry.event.interaction.as_str(),
                entry.event.organisation.as_str(),
                entry.event.outcome.as_str(),
                entry.event.error_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("writeback.submit", ED, "permitted", None),
            ("writeback.submit", COMMUNITY, "refused", Some("NO_SHARING_AGREEMENT")),
            ("inbox.list", ODS, "permitted", None),
            ("inbox.ack", ODS, "permitted", None),
            ("inbox.list", ED, "refused", Some("NOT_PRACTICE_STAFF")),
        ]
    );
    let submit = &entries[0].event;
    assert_eq!(submit.patient.map(|nhs| nhs.to_string()).as_deref(), Some(EXAMPLE_NHS));
    assert_eq!(submit.practice.as_ref().map(|ods| ods.as_str()), Some(ODS));
    assert_eq!(submit.datasets, [openmig_domain::Dataset::Clinical]);
    assert_eq!(submit.consent, Some(ConsentBasis::Given));
    assert_eq!(entries[2].event.items_returned, 1, "the list says how many items it showed");
    assert_eq!(entries[3].event.patient, submit.patient, "an acknowledgement names the patient");
    assert_eq!(gateway.audit_count(), 5, "the chain verifies");
}

#[tokio::test]
async fn when_the_audit_cannot_be_written_no_document_is_stored() {
    let gateway = gateway();
    let connection = rusqlite::Connection::open(&gateway.audit_db).unwrap();
    connection.execute_batch("DROP TABLE audit_entry;").unwrap();
    let sent = send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!((sent.status, refusal_code(&sent)), (500, "AUDIT_UNAVAILABLE"), "{}", sent.text);
    assert!(inbox_of(&gateway, ODS).is_empty());
}

/// A practice's own system on a real mutually authenticated TLS listener on loopback:
/// its GP Connect provider and its inbox, with fault switches, as `openmig serve` runs it.
struct PracticeSystem {
    faults: Faults,
    endpoint: String,
    client: HttpsClient,
    pki: DemoPki,
}

fn start_practice_system(gateway: &TestGateway) -> PracticeSystem {
    let pki = DemoPki::generate().unwrap();
    let received = Arc::new(Inbox::open(&gateway.dir.path().join("practices.db")).unwrap());
    let faults = Faults::new();
    let store: Arc<dyn openmig_store::Store> =
        Arc::new(openmig_store_sqlite::SqliteStore::open_read_only(&region_path(gateway.dir.path())).unwrap());
    let router = openmig_provider::practice_systems(store, now, faults.clone(), received);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let endpoint = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(openmig_tls::serve_tls(listener, router, openmig_tls::server_config(&pki), std::future::pending()));
    let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
    PracticeSystem { faults, endpoint, client, pki }
}

impl PracticeSystem {
    /// Takes the example practice's system down: connections are dropped.
    fn take_down(&self) {
        self.faults
            .set(&OdsCode::parse(ODS).unwrap(), FaultSettings { down: true, ..FaultSettings::default() })
            .unwrap();
    }

    /// The gateway's delivery to this practice.
    fn delivery(&self, gateway: &TestGateway) -> PracticeDelivery {
        let relocated = openmig_directory::Relocated::new(
            Arc::clone(&gateway.gateway.directory),
            [OdsCode::parse(ODS).unwrap()],
            &self.endpoint,
        );
        PracticeDelivery::new(
            &gateway.gateway,
            openmig_tls::https_client(openmig_tls::client_config(&self.pki)),
            "200000000999".into(),
            tokio::runtime::Handle::current(),
        )
        .reaching(Arc::new(relocated))
    }

    /// What the practice's system has received, asked over mutual TLS.
    async fn received(&self) -> Vec<Value> {
        let url = format!("{}/{ODS}/inbox", self.endpoint);
        let (status, _, body) = self.client.get(&url, Default::default(), Duration::from_secs(5)).await.unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let list: Value = serde_json::from_slice(&body).unwrap();
        list["received"].as_array().unwrap().clone()
    }
}

/// A clock that a test moves forward by an hour each time it looks, so every retry
/// is due at the next tick.
fn racing_clock() -> Clock {
    let hours = Arc::new(AtomicI64::new(0));
    Arc::new(move || now() + chrono::TimeDelta::hours(hours.fetch_add(1, Ordering::SeqCst)))
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_sent_while_the_practice_is_down_is_delivered_after_it_returns_even_across_a_restart() {
    let gateway = gateway();
    let practice = start_practice_system(&gateway);
    practice.take_down();
    let inbox = Arc::clone(&gateway.gateway.inbox);
    let outbox = spawn_outbox(
        Arc::clone(&inbox),
        Arc::new(practice.delivery(&gateway)),
        racing_clock(),
        Duration::from_millis(5),
        Arc::clone(&gateway.gateway.metrics),
    );
    // Accepted (durably stored) although the practice's system is down.
    let sent = send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let attempts_failed = |n: u32| {
        let items = inbox_of(&gateway, ODS);
        matches!(&items[0].delivery, DeliveryState::Pending { attempts, .. } if *attempts >= n)
    };
    wait_until("three attempts failed", || attempts_failed(3)).await;
    outbox.abort();
    let _ = outbox.await;
    // Aborting stops the loop, not a round already running on a blocking thread: wait
    // until the attempts stop changing, so no delivery of the old outbox can still reach
    // the practice once it is back.
    let attempts = || match &inbox_of(&gateway, ODS)[0].delivery {
        DeliveryState::Pending { attempts, .. } => *attempts,
        _ => u32::MAX,
    };
    let mut seen = attempts();
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = attempts();
        if now == seen {
            break;
        }
        seen = now;
    }
    let item = inbox_of(&gateway, ODS).remove(0);
    let DeliveryState::Pending { last_error, .. } = &item.delivery else { panic!("delivered while down") };
    let last_error = last_error.as_deref().unwrap_or_default();
    assert!(last_error.starts_with("practice Z90001 (EMIS Web) could not be reached"), "{last_error}");
    // Operations see the failed attempts and the backlog, by practice.
    let text = gateway.gateway.metrics.render(&[]);
    let failed = text
        .lines()
        .find(|l| l.starts_with(r#"openmig_gateway_writeback_deliveries_total{practice="Z90001",outcome="failed"}"#))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(failed.rsplit(' ').next().unwrap().parse::<u64>().unwrap() >= 3, "{failed}");
    assert!(text.lines().any(|l| l == "openmig_gateway_writeback_pending 1"), "{text}");
    // The practice staff see why it has not arrived yet.
    let staff_token = staff(&gateway, Role::Administrative, ODS);
    let list = get(&gateway, &format!("/practices/{ODS}/inbox"), Some(&staff_token)).await;
    assert_eq!(list.body["items"][0]["delivery"]["state"], "pending", "{}", list.text);

    // The gateway restarts: a new inbox from the same file, a new outbox; the practice is back.
    let reopened = Arc::new(Inbox::open(&gateway.audit_db).unwrap());
    assert_eq!(reopened.pending().unwrap().len(), 1, "the pending document survived");
    practice.faults.clear();
    assert!(practice.received().await.is_empty(), "nothing reached the practice while it was down");
    let metrics = Arc::new(openmig_gateway::metrics::Metrics::new());
    let outbox = spawn_outbox(
        Arc::clone(&reopened),
        Arc::new(practice.delivery(&gateway)),
        racing_clock(),
        Duration::from_millis(5),
        Arc::clone(&metrics),
    );
    wait_until("delivered", || reopened.pending().unwrap().is_empty()).await;
    wait_until("the backlog is cleared", || {
        metrics.render(&[]).lines().any(|l| l == "openmig_gateway_writeback_pending 0")
    })
    .await;
    outbox.abort();
    let text = metrics.render(&[]);
    assert!(
        text.contains(r#"openmig_gateway_writeback_deliveries_total{practice="Z90001",outcome="delivered"} 1"#),
        "{text}"
    );

    // It is in the practice's own system, once, with its sender and content.
    let received = practice.received().await;
    assert_eq!(received.len(), 1, "{received:?}");
    let document = &received[0];
    assert_eq!(document["document"]["identifier"]["value"], "ed-1");
    assert_eq!(document["document"]["title"], "Emergency department discharge summary");
    assert_eq!(document["document"]["nhsNumber"], EXAMPLE_NHS);
    assert_eq!(document["sender"]["userName"], "Dr Sam Jones");
    assert_eq!(document["sender"]["organisation"], ED);
    // The practice staff see it delivered through the gateway's API.
    let list = get(&gateway, &format!("/practices/{ODS}/inbox"), Some(&staff_token)).await;
    assert_eq!(list.body["items"][0]["delivery"]["state"], "delivered", "{}", list.text);
    // The delivery is in the audit chain, on behalf of the sender, about the patient.
    let delivered = |gateway: &TestGateway| -> Vec<openmig_audit::AuditEntry> {
        gateway.audit_entries().into_iter().filter(|e| e.event.interaction == "writeback.deliver").collect()
    };
    let entries = delivered(&gateway);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let event = &entries[0].event;
    assert_eq!((event.user_name.as_str(), event.organisation.as_str()), ("Dr Sam Jones", ED));
    assert_eq!(event.patient.map(|nhs| nhs.to_string()).as_deref(), Some(EXAMPLE_NHS));
    assert_eq!(event.practice.as_ref().map(OdsCode::as_str), Some(ODS));
    assert_eq!(event.outcome, openmig_audit::Outcome::Permitted);

    // Sent again by the consumer: one copy at the gateway, nothing more to deliver.
    let again = send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, "ed-1")).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert!(reopened.pending().unwrap().is_empty());
    // Delivered again (an answer lost after the practice kept it): still one copy there.
    let delivery = practice.delivery(&gateway);
    let redelivered = tokio::task::spawn_blocking(move || delivery.deliver(&item)).await.unwrap();
    assert_eq!(redelivered, Ok(()));
    assert_eq!(practice.received().await.len(), 1, "the practice keeps one copy");
    assert_eq!(delivered(&gateway).len(), 2, "the second sending is audited too");
    assert!(gateway.audit_count() > 0, "the chain verifies");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_practice_that_fails_is_called_once_per_round_not_once_per_waiting_document() {
    let gateway = gateway();
    let practice = start_practice_system(&gateway);
    practice.take_down();
    for id in ["ed-1", "ed-2", "ed-3"] {
        let sent = send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, id)).await;
        assert_eq!(sent.status, 201, "{}", sent.text);
    }
    let inbox = Arc::clone(&gateway.gateway.inbox);
    let delivery = practice.delivery(&gateway);
    let metrics = Arc::new(openmig_gateway::metrics::Metrics::new());
    let round_metrics = Arc::clone(&metrics);
    let round = tokio::task::spawn_blocking(move || {
        openmig_gateway::routes::deliver_round(&inbox, &delivery, now(), &round_metrics)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!((round.attempted, round.delivered, round.failed), (3, 0, 3));
    let text = metrics.render(&[]);
    assert!(
        text.contains(r#"openmig_gateway_writeback_deliveries_total{practice="Z90001",outcome="failed"} 1"#),
        "one call to the failing practice: {text}"
    );
    assert!(text.lines().any(|l| l == "openmig_gateway_writeback_pending 3"), "{text}");
    let errors: Vec<String> = inbox_of(&gateway, ODS)
        .iter()
        .map(|item| match &item.delivery {
            DeliveryState::Pending { last_error, .. } => last_error.clone().unwrap_or_default(),
            DeliveryState::Delivered { .. } => panic!("delivered while down"),
        })
        .collect();
    assert!(errors[0].starts_with("practice Z90001 (EMIS Web) could not be reached"), "{errors:?}");
    for later in &errors[1..] {
        assert!(later.starts_with("not tried this round: practice Z90001 (EMIS Web)"), "{errors:?}");
    }
}

/// A practice endpoint that refuses one document (by identifier) and takes the rest.
struct RefusesOne(&'static str);

impl Delivery for RefusesOne {
    fn deliver(&self, item: &InboxItem) -> Result<(), openmig_inbox::DeliveryError> {
        if item.document.identifier.value == self.0 {
            Err(openmig_inbox::DeliveryError::new("practice Z90001 refused the document: 404 PATIENT_NOT_FOUND"))
        } else {
            Ok(())
        }
    }
}

#[tokio::test]
async fn a_document_the_practice_refuses_does_not_hold_up_its_other_documents() {
    let gateway = gateway();
    for id in ["ed-1", "ed-2", "ed-3"] {
        assert_eq!(send_document(&gateway, &gateway.doctor(), &bundle(EXAMPLE_NHS, id)).await.status, 201);
    }
    let metrics = openmig_gateway::metrics::Metrics::new();
    let round =
        openmig_gateway::routes::deliver_round(&gateway.gateway.inbox, &RefusesOne("ed-1"), now(), &metrics).unwrap();
    assert_eq!((round.attempted, round.delivered, round.failed), (3, 2, 1));
    let items = inbox_of(&gateway, ODS);
    let DeliveryState::Pending { last_error, .. } = &items[0].delivery else { panic!("the refused one is pending") };
    assert_eq!(last_error.as_deref(), Some("practice Z90001 refused the document: 404 PATIENT_NOT_FOUND"));
    assert!(items[1..].iter().all(|item| item.delivery.label() == "delivered"));
}
