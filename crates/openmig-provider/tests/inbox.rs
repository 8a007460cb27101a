//! The practice's own system receiving the documents the gateway delivers
//! (`openmig_provider::inbox`): `POST /{ODS}/inbox/fhir/Bundle|DocumentReference` keeps a
//! document idempotently by identifier, `GET /{ODS}/inbox` lists what was kept. Driven
//! through the HTTP interface of `practice_systems` (in process, one request at a time),
//! checking both the answer and what the inbox then holds.

mod common;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, request};
use common::*;
use openmig_domain::OdsCode;
use openmig_domain::patient::RegistrationStatus;
use openmig_inbox::{Inbox, InboxItem, StatusFilter};
use openmig_provider::headers::DELIVER_DOCUMENT_INTERACTION;
use openmig_provider::{FaultSettings, Faults};
use serde_json::{Value, json};
use tower::ServiceExt;

/// The sending system's identifier namespace.
const SYSTEM: &str = openmig_inbox::examples::EXAMPLE_SYSTEM;
/// The clinician who sent the document, as the gateway names them in the JWT.
const SENDER_ID: &str = "555123456789";
const SENDER_NAME: &str = "Dr Ada Registrar";
const SENDER_ORGANISATION: &str = "ZC010";
const SUMMARY_TITLE: &str = "Emergency department discharge summary";

/// `practice_systems` over the fixture store, with its inbox and fault switches.
struct PracticeSystems {
    router: Router,
    received: Arc<Inbox>,
    faults: Faults,
    store: TestStore,
    _dir: tempfile::TempDir,
}

impl PracticeSystems {
    fn start() -> PracticeSystems {
        let store = store();
        let dir = tempfile::tempdir().unwrap();
        let received = Arc::new(Inbox::open(&dir.path().join("practice-systems.db")).unwrap());
        let faults = Faults::new();
        let router =
            openmig_provider::practice_systems(Arc::clone(&store.store), now, faults.clone(), Arc::clone(&received));
        PracticeSystems { router, received, faults, store, _dir: dir }
    }

    async fn send(&self, request: Request<Body>) -> Answer {
        send(self.router.clone(), request).await
    }

    /// Delivers `document` to practice `ods` as a `resource_type` with valid headers.
    async fn deliver(&self, ods: &str, resource_type: &str, document: &Value) -> Answer {
        self.send(deliver_request(ods, resource_type).body(Body::from(document.to_string())).unwrap()).await
    }

    /// `GET /{ods}/inbox`.
    async fn listing(&self, ods: &str) -> Answer {
        self.send(Request::get(format!("/{ods}/inbox")).body(Body::empty()).unwrap()).await
    }

    /// What the inbox holds for `ods`, read directly.
    fn kept(&self, ods: &str) -> Vec<InboxItem> {
        self.received.list(&OdsCode::parse(ods).unwrap(), StatusFilter::All).unwrap()
    }
}

/// The claims of the gateway's delivery token to practice `ods`: scope `patient/*.write`,
/// audience the practice's inbox root, naming the clinician who sent the document.
fn delivery_claims(ods: &str) -> Value {
    let mut claims = claims();
    claims["aud"] = json!(format!("https://practice.example:8443/{ods}/inbox"));
    claims["requested_scope"] = json!("patient/*.write");
    claims["sub"] = json!(SENDER_ID);
    claims["requesting_practitioner"] = json!({
        "resourceType": "Practitioner", "id": SENDER_ID,
        "name": [{ "text": SENDER_NAME, "family": "Registrar", "given": ["Ada"] }],
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": SENDER_ID }]
    });
    claims["requesting_organization"] = json!({
        "resourceType": "Organization", "name": "Synthetic General Hospital",
        "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": SENDER_ORGANISATION }]
    });
    claims
}

/// A delivery to practice `ods` that passes every header check; tests then break one thing.
fn deliver_request(ods: &str, resource_type: &str) -> request::Builder {
    Request::post(format!("/{ods}/inbox/fhir/{resource_type}"))
        .header("Ssp-TraceID", "7c9e6679-7425-40de-944b-e07fc1f90ae7")
        .header("Ssp-From", "200000000359")
        .header("Ssp-To", ASID)
        .header("Ssp-InteractionID", DELIVER_DOCUMENT_INTERACTION)
        .header("Authorization", format!("Bearer {}", jwt(&delivery_claims(ods))))
        .header("Content-Type", "application/fhir+json;charset=utf-8")
        .header("Accept", "application/fhir+json")
}

/// A delivery of [`discharge_summary`] to `ODS` with header `name` set to `value`
/// (`None` removes it).
fn summary_with_header(name: &'static str, value: Option<&str>) -> Request<Body> {
    let request =
        deliver_request(ODS, "Bundle").body(Body::from(discharge_summary(EXAMPLE_NHS, "ed-1").to_string())).unwrap();
    with_header(request, name, value)
}

/// The example emergency department discharge summary (`openmig_inbox::examples`): by
/// the emergency department `SENDER_ORGANISATION`, titled `SUMMARY_TITLE`.
fn discharge_summary(nhs: &str, id: &str) -> Value {
    openmig_inbox::examples::discharge_summary(nhs, id)
}

/// The example out-of-hours consultation summary with `text`.
fn letter(nhs: &str, id: &str, text: &str) -> Value {
    openmig_inbox::examples::consultation_summary(nhs, id, text)
}

/// Asserts a GP Connect error OperationOutcome with `status` and Spine `code` whose
/// diagnostics mention `mentions`.
fn assert_refused(answer: &Answer, status: u16, code: &str, mentions: &str) {
    assert_error(answer, status, code);
    let diagnostics = answer.body["issue"][0]["diagnostics"].as_str().unwrap();
    assert!(diagnostics.contains(mentions), "{diagnostics:?} should mention {mentions:?}");
}

/// Asserts the informational OperationOutcome of a kept document, returning its text.
fn assert_kept(answer: &Answer, status: u16) -> String {
    assert_eq!(answer.status, status, "body: {}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"), "{}", answer.content_type);
    assert_eq!(answer.cache_control, "no-store");
    assert_eq!(answer.body["resourceType"], "OperationOutcome");
    assert_eq!(answer.body["issue"][0]["severity"], "information");
    answer.body["issue"][0]["diagnostics"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_new_discharge_summary_is_kept_as_delivered_with_its_sender_and_answered_201() {
    let systems = PracticeSystems::start();
    let answer = systems.deliver(ODS, "Bundle", &discharge_summary(EXAMPLE_NHS, "ed-1")).await;
    let text = assert_kept(&answer, 201);
    let kept = systems.kept(ODS);
    assert_eq!(kept.len(), 1);
    assert!(text.contains(&format!("received as item {}", kept[0].id)), "{text}");

    let listing = systems.listing(ODS).await;
    assert_eq!(listing.status, 200, "body: {}", listing.body);
    assert_eq!(listing.body["practice"], ODS);
    let items = listing.body["received"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!(item["practice"], ODS);
    assert_eq!(item["document"]["kind"], "Bundle");
    assert_eq!(item["document"]["identifier"], json!({ "system": SYSTEM, "value": "ed-1" }));
    assert_eq!(item["document"]["nhsNumber"], EXAMPLE_NHS);
    assert_eq!(item["document"]["title"], SUMMARY_TITLE);
    assert_eq!(item["document"]["diagnoses"][0]["code"], "49436004");
    assert!(item["document"]["text"].as_str().unwrap().contains("Palpitations for two hours."));
    assert_eq!(
        item["sender"],
        json!({ "userId": SENDER_ID, "userName": SENDER_NAME, "organisation": SENDER_ORGANISATION })
    );
    assert_eq!(item["delivery"]["state"], "delivered");
    assert_eq!(item["receivedAt"], json!(now()));
    assert_eq!(item["acknowledged"], Value::Null);

    // The other practices' inboxes are untouched.
    let other = systems.listing(OTHER_ODS).await;
    assert_eq!(other.status, 200);
    assert_eq!(other.body, json!({ "practice": OTHER_ODS, "received": [] }));
}

#[tokio::test]
async fn a_letter_as_a_document_reference_is_kept_and_the_sender_name_may_come_from_its_parts() {
    let systems = PracticeSystems::start();
    let mut claims = delivery_claims(ODS);
    // The audience may name the root with `/fhir`; the practitioner's name may have no text.
    claims["aud"] = json!(format!("https://practice.example/{ODS}/inbox/fhir"));
    claims["requesting_practitioner"]["name"] = json!([{ "family": "Okafor", "given": ["Chidi", "A"] }]);
    let mut request = deliver_request(ODS, "DocumentReference")
        .body(Body::from(letter(EXAMPLE_NHS, "ooh-7", "Seen at home; chest clear.").to_string()))
        .unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {}", jwt(&claims)).parse().unwrap());
    assert_kept(&systems.send(request).await, 201);

    let listing = systems.listing(ODS).await;
    let item = &listing.body["received"][0];
    assert_eq!(item["document"]["kind"], "DocumentReference");
    assert_eq!(item["document"]["identifier"]["value"], "ooh-7");
    assert_eq!(item["document"]["title"], "Out-of-hours consultation");
    assert_eq!(item["document"]["text"], "Seen at home; chest clear.");
    assert_eq!(item["sender"]["userName"], "Chidi A Okafor");
    assert_eq!(item["sender"]["userId"], SENDER_ID);
    assert_eq!(item["delivery"]["state"], "delivered");
}

#[tokio::test]
async fn the_same_document_delivered_again_is_one_copy_answered_200() {
    let systems = PracticeSystems::start();
    let document = discharge_summary(EXAMPLE_NHS, "ed-1");
    assert_kept(&systems.deliver(ODS, "Bundle", &document).await, 201);
    let first = systems.kept(ODS);

    // A redelivery, formatted differently, is the same document.
    let request =
        deliver_request(ODS, "Bundle").body(Body::from(serde_json::to_string_pretty(&document).unwrap())).unwrap();
    let text = assert_kept(&systems.send(request).await, 200);
    assert!(text.contains("already received"), "{text}");
    assert!(text.contains(&format!("item {}", first[0].id)), "{text}");
    assert_eq!(systems.kept(ODS), first, "nothing was changed");
    assert_eq!(systems.listing(ODS).await.body["received"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn the_same_identifier_with_other_content_is_409_duplicate_rejected_and_the_first_is_kept() {
    let systems = PracticeSystems::start();
    assert_kept(&systems.deliver(ODS, "Bundle", &discharge_summary(EXAMPLE_NHS, "ed-1")).await, 201);
    let first = systems.kept(ODS);

    let mut changed = discharge_summary(EXAMPLE_NHS, "ed-1");
    changed["entry"][0]["resource"]["title"] = json!("Amended discharge summary");
    let answer = systems.deliver(ODS, "Bundle", &changed).await;
    assert_refused(&answer, 409, "DUPLICATE_REJECTED", "same identifier");
    assert_eq!(answer.body["issue"][0]["code"], "duplicate");

    assert_eq!(systems.kept(ODS), first);
    assert_eq!(systems.listing(ODS).await.body["received"][0]["document"]["title"], SUMMARY_TITLE);
}

#[tokio::test]
async fn an_identifier_another_practice_already_holds_is_refused_without_naming_its_item() {
    let systems = PracticeSystems::start();
    let elsewhere = elsewhere_nhs().to_string();
    assert_kept(&systems.deliver(OTHER_ODS, "Bundle", &discharge_summary(&elsewhere, "ed-1")).await, 201);
    // The same identifier, here, for this practice's patient: not this practice's copy.
    let answer = systems.deliver(ODS, "Bundle", &discharge_summary(EXAMPLE_NHS, "ed-1")).await;
    assert_refused(&answer, 409, "DUPLICATE_REJECTED", "another practice");
    assert!(!answer.body.to_string().contains("item"), "{}", answer.body);
    assert!(systems.kept(ODS).is_empty());
    assert_eq!(systems.kept(OTHER_ODS).len(), 1);
}

#[tokio::test]
async fn a_patient_not_registered_at_this_practice_is_404_patient_not_found_and_nothing_is_kept() {
    let systems = PracticeSystems::start();
    let unknown = nhs(900_000_900).to_string();
    for (case, patient) in [
        ("registered elsewhere", elsewhere_nhs().to_string()),
        ("deregistered", deregistered_nhs().to_string()),
        ("unknown", unknown),
    ] {
        let answer = systems.deliver(ODS, "Bundle", &discharge_summary(&patient, &format!("ed-{case}"))).await;
        assert_refused(&answer, 404, "PATIENT_NOT_FOUND", "registered here");
        assert!(!answer.body.to_string().contains(&patient), "{case}: the answer names no patient");
    }
    assert!(systems.kept(ODS).is_empty());

    // The patient registered elsewhere is received at their own practice.
    let answer = systems.deliver(OTHER_ODS, "Bundle", &discharge_summary(&elsewhere_nhs().to_string(), "ed-x")).await;
    assert_kept(&answer, 201);
    assert_eq!(systems.kept(OTHER_ODS).len(), 1);
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn a_deceased_patient_still_registered_here_is_accepted() {
    let systems = PracticeSystems::start();
    let patient = systems.store.store.record(deceased_nhs()).unwrap().unwrap().patient;
    assert!(patient.deceased.is_some());
    assert_eq!(patient.registration.practice.as_str(), ODS);
    assert!(matches!(patient.registration.status, RegistrationStatus::Registered));

    let answer = systems.deliver(ODS, "Bundle", &discharge_summary(&deceased_nhs().to_string(), "ed-death")).await;
    assert_kept(&answer, 201);
    let kept = systems.kept(ODS);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].document.nhs_number, deceased_nhs());
}

#[tokio::test]
async fn missing_or_wrong_spine_headers_are_400_bad_request() {
    let systems = PracticeSystems::start();
    let structured = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
    let cases: [(&'static str, Option<&str>, &str); 7] = [
        ("Ssp-TraceID", None, "Ssp-TraceID header is missing"),
        ("Ssp-TraceID", Some("not-a-uuid"), "Ssp-TraceID header is not a UUID"),
        ("Ssp-From", None, "Ssp-From header is missing"),
        ("Ssp-To", None, "Ssp-To header is missing"),
        ("Ssp-To", Some("900000000002"), "not this practice's ASID"),
        ("Ssp-InteractionID", None, "Ssp-InteractionID header is missing"),
        ("Ssp-InteractionID", Some(structured), "deliver a document to the practice inbox"),
    ];
    for (name, value, mentions) in cases {
        let answer = systems.send(summary_with_header(name, value)).await;
        assert_refused(&answer, 400, "BAD_REQUEST", mentions);
    }
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn a_token_that_does_not_allow_a_write_to_this_inbox_is_refused() {
    let systems = PracticeSystems::start();
    let with_claims = |change: &dyn Fn(&mut Value)| {
        let mut claims = delivery_claims(ODS);
        change(&mut claims);
        summary_with_header("Authorization", Some(&format!("Bearer {}", jwt(&claims))))
    };

    let read = with_claims(&|c| c["requested_scope"] = json!("patient/*.read"));
    assert_refused(&systems.send(read).await, 400, "BAD_REQUEST", "requested_scope claim must be patient/*.write");

    let structured_root = format!("https://practice.example/{ODS}/STU3/1/gpconnect/structured");
    let wrong_audience = with_claims(&|c| c["aud"] = json!(structured_root));
    assert_refused(&systems.send(wrong_audience).await, 400, "BAD_REQUEST", "aud claim");
    let other_inbox = with_claims(&|c| c["aud"] = json!(format!("https://practice.example/{OTHER_ODS}/inbox")));
    assert_refused(&systems.send(other_inbox).await, 400, "BAD_REQUEST", "aud claim");

    let expired = with_claims(&|c| {
        let iat = now().timestamp() - 400;
        c["iat"] = json!(iat);
        c["exp"] = json!(iat + 300);
    });
    assert_refused(&systems.send(expired).await, 400, "BAD_REQUEST", "expired");

    let no_token = summary_with_header("Authorization", None);
    assert_refused(&systems.send(no_token).await, 400, "BAD_REQUEST", "Bearer JWT");

    // The sender's organisation is kept as an ODS code; anything else is refused.
    let not_ods = with_claims(&|c| c["requesting_organization"]["identifier"][0]["value"] = json!("ZC-010"));
    assert_refused(&systems.send(not_ods).await, 422, "INVALID_RESOURCE", "requesting_organization");

    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn a_document_missing_an_element_is_422_invalid_resource_naming_it() {
    let systems = PracticeSystems::start();
    let mut untitled = discharge_summary(EXAMPLE_NHS, "ed-1");
    untitled["entry"][0]["resource"].as_object_mut().unwrap().remove("title");
    assert_refused(&systems.deliver(ODS, "Bundle", &untitled).await, 422, "INVALID_RESOURCE", "Composition.title");

    let mut no_identifier = discharge_summary(EXAMPLE_NHS, "ed-1");
    no_identifier.as_object_mut().unwrap().remove("identifier");
    assert_refused(&systems.deliver(ODS, "Bundle", &no_identifier).await, 422, "INVALID_RESOURCE", "Bundle.identifier");

    let mut no_subject = letter(EXAMPLE_NHS, "ooh-1", "Seen.");
    no_subject.as_object_mut().unwrap().remove("subject");
    assert_refused(
        &systems.deliver(ODS, "DocumentReference", &no_subject).await,
        422,
        "INVALID_RESOURCE",
        "DocumentReference.subject",
    );
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn a_body_that_is_not_the_resource_is_400_bad_request() {
    let systems = PracticeSystems::start();
    let not_json = deliver_request(ODS, "Bundle").body(Body::from("{\"resourceType\": \"Bundle\",")).unwrap();
    assert_refused(&systems.send(not_json).await, 400, "BAD_REQUEST", "not valid JSON");

    let letter_as_bundle = systems.deliver(ODS, "Bundle", &letter(EXAMPLE_NHS, "ooh-1", "Seen.")).await;
    assert_refused(&letter_as_bundle, 400, "BAD_REQUEST", "expected a FHIR Bundle resource, found DocumentReference");
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn wrong_media_types_are_refused() {
    let systems = PracticeSystems::start();
    let json = systems.send(summary_with_header("Content-Type", Some("application/json"))).await;
    assert_refused(&json, 415, "BAD_REQUEST", "Content-Type must be application/fhir+json");
    let missing = systems.send(summary_with_header("Content-Type", None)).await;
    assert_refused(&missing, 415, "BAD_REQUEST", "Content-Type");
    let xml_only = systems.send(summary_with_header("Accept", Some("application/fhir+xml"))).await;
    assert_refused(&xml_only, 406, "BAD_REQUEST", "application/fhir+json");
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn only_documents_are_delivered_and_only_with_post() {
    let systems = PracticeSystems::start();
    let patient = systems.deliver(ODS, "Patient", &discharge_summary(EXAMPLE_NHS, "ed-1")).await;
    assert_refused(&patient, 404, "BAD_REQUEST", "No such endpoint");

    let get = Request::get(format!("/{ODS}/inbox/fhir/Bundle")).body(Body::empty()).unwrap();
    let response = systems.router.clone().oneshot(get).await.unwrap();
    assert_eq!(response.headers().get("allow").unwrap(), "POST");
    let get = Request::get(format!("/{ODS}/inbox/fhir/Bundle")).body(Body::empty()).unwrap();
    assert_refused(&systems.send(get).await, 405, "BAD_REQUEST", "with POST");
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn an_unknown_practice_is_404_organisation_not_found() {
    let systems = PracticeSystems::start();
    let answer = systems.deliver("Z99999", "Bundle", &discharge_summary(EXAMPLE_NHS, "ed-1")).await;
    assert_refused(&answer, 404, "ORGANISATION_NOT_FOUND", "ODS code");
    assert_refused(&systems.listing("Z99999").await, 404, "ORGANISATION_NOT_FOUND", "ODS code");
    assert!(systems.kept("Z99999").is_empty());
    assert!(systems.kept(ODS).is_empty());
}

#[tokio::test]
async fn the_provider_routers_without_an_inbox_have_no_inbox_routes() {
    let store = store();
    let routers = [
        ("router", openmig_provider::router(Arc::clone(&store.store), now)),
        ("router_with_faults", openmig_provider::router_with_faults(Arc::clone(&store.store), now, Faults::new())),
    ];
    for (name, router) in routers {
        let body = discharge_summary(EXAMPLE_NHS, "ed-1").to_string();
        let delivered = send(router.clone(), deliver_request(ODS, "Bundle").body(Body::from(body)).unwrap()).await;
        assert_eq!(delivered.status, 404, "{name}: {}", delivered.body);
        assert_refused(&delivered, 404, "BAD_REQUEST", "No such endpoint");
        let listing = send(router, Request::get(format!("/{ODS}/inbox")).body(Body::empty()).unwrap()).await;
        assert_refused(&listing, 404, "BAD_REQUEST", "No such endpoint");
    }
}

/// Sends `request` and reads the whole answer: `Err` when the connection is dropped
/// (in process, the body fails instead of ending).
async fn send_may_drop(router: Router, request: Request<Body>) -> Result<u16, axum::Error> {
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    axum::body::to_bytes(response.into_body(), usize::MAX).await.map(|_| status)
}

#[tokio::test]
async fn a_practice_that_is_down_refuses_deliveries_until_it_is_up_again() {
    let systems = PracticeSystems::start();
    let ods = OdsCode::parse(ODS).unwrap();
    systems.faults.set(&ods, FaultSettings { down: true, ..Default::default() }).unwrap();
    let document = discharge_summary(EXAMPLE_NHS, "ed-1");
    let delivery = || deliver_request(ODS, "Bundle").body(Body::from(document.to_string())).unwrap();

    let dropped = send_may_drop(systems.router.clone(), delivery()).await;
    assert!(dropped.is_err(), "the connection is dropped, got {dropped:?}");
    let listing = Request::get(format!("/{ODS}/inbox")).body(Body::empty()).unwrap();
    assert!(send_may_drop(systems.router.clone(), listing).await.is_err(), "the listing too");
    assert!(systems.kept(ODS).is_empty(), "nothing was kept while down");

    // Only that practice is down.
    let elsewhere = discharge_summary(&elsewhere_nhs().to_string(), "ed-x");
    assert_kept(&systems.deliver(OTHER_ODS, "Bundle", &elsewhere).await, 201);

    systems.faults.set(&ods, FaultSettings::default()).unwrap();
    assert_eq!(send_may_drop(systems.router.clone(), delivery()).await.unwrap(), 201);
    assert_eq!(systems.kept(ODS).len(), 1);

    // The whole router down through the handle.
    systems.faults.set_down(true);
    let again = send_may_drop(systems.router.clone(), delivery()).await;
    assert!(again.is_err(), "got {again:?}");
    systems.faults.set_down(false);
    assert_eq!(send_may_drop(systems.router.clone(), delivery()).await.unwrap(), 200);
}
