//! The practice end of write-back: the practice's own system receiving the encounter
//! summaries the gateway delivers from its outbox (issue 6, item 5), and its list of
//! what it has received.
//!
//! | route | what |
//! |---|---|
//! | `POST /{ODS}/inbox/fhir/Bundle` · `POST /{ODS}/inbox/fhir/DocumentReference` | keep a delivered document |
//! | `GET /{ODS}/inbox` | the documents this practice's system has received (JSON) |
//!
//! GP Connect has no HTTP interaction for pushing a document to a practice (its Send
//! Document capability travels by MESH), so these routes are openmig's own, shaped like
//! the structured record operation so that one client and one set of checks serve both:
//! mutual TLS (only the gateway's certificate gets here), the Spine headers with
//! [`DELIVER_DOCUMENT_INTERACTION`](crate::headers::DELIVER_DOCUMENT_INTERACTION), an
//! unsigned GP Connect JWT with `requested_scope` `patient/*.write` whose practitioner and
//! organisation claims name the clinician who **sent** the document (kept as its sender),
//! FHIR JSON in and out.
//!
//! A delivered document is kept ([`Inbox::receive`]) before the answer: `201` when new,
//! `200` when the same document (identifier and content) is already held, which is how
//! the outbox's at-least-once delivery becomes one copy, and `409 DUPLICATE_REJECTED`
//! when the identifier is held with other content. The document is read with the same
//! rules as at the gateway (`openmig_inbox::parse`), and the patient must be registered at
//! this practice (404 `PATIENT_NOT_FOUND` otherwise, as for a read; a deceased patient
//! still registered here is accepted: a hospital's account of a death is for the GP).
//! Dissent from sharing and a restricted (S-flagged) record do not stop a document
//! coming **in**: they govern what leaves the practice, and the gateway has already
//! applied its access policy to the sender.
//!
//! `GET /{ODS}/inbox` stands for the practice's own staff looking at their system: it
//! has no Spine headers or token, so it is protected by the listener's mutual TLS alone
//! (only holders of the demo CA's certificates reach it), and returns NHS numbers and
//! document text. A real GP system shows this in its own workflow instead.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use openmig_domain::{NhsNumber, OdsCode, RegistrationStatus};
use openmig_inbox::{DocumentKind, InboxDocument, InboxError, ParseError, Sender, StatusFilter};
use serde_json::json;

use crate::error::{ProviderError, SpineCode};
use crate::{AppState, fhir_json, headers, internal, jwt, not_found_error, practice};

/// The FHIR base a practice's system receives documents at, e.g. `/Z90001/inbox/fhir`.
pub fn inbox_base_path(ods: &OdsCode) -> String {
    format!("/{ods}/inbox/fhir")
}

/// `POST /{ODS}/inbox/fhir/{type}`: keeps a document the gateway delivers.
pub(crate) async fn receive(
    State(state): State<AppState>,
    Path((ods, resource_type)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProviderError> {
    let (Some(received), Some(kind)) = (state.received.clone(), DocumentKind::from_resource_type(&resource_type))
    else {
        return Err(not_found_error());
    };
    let entry = practice(&state, &ods).await?;
    let ods = entry.practice.ods_code.clone();
    headers::check_ssp_for(
        &headers,
        &entry.practice.asid,
        headers::DELIVER_DOCUMENT_INTERACTION,
        "deliver a document to the practice inbox",
    )?;
    let now = (state.clock)();
    let audience = inbox_base_path(&ods).trim_end_matches("/fhir").to_string();
    let requester = jwt::requester(&headers, &audience, jwt::PATIENT_WRITE_SCOPE, now)?;
    let organisation = OdsCode::parse(&requester.organisation).map_err(|_| {
        ProviderError::invalid_resource("The JWT requesting_organization claim does not hold an ODS code.")
    })?;
    headers::check_content_type(&headers)?;
    headers::check_accept(&headers)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ProviderError::bad_request("The request body could not be read.")
        }
    })?;
    let parsed = openmig_inbox::parse(kind, &body).map_err(parse_error)?;
    registered_here(&state, parsed.summary().nhs_number, &ods).await?;
    let sender = Sender { user_id: requester.user_id, user_name: requester.user_name, organisation };
    let practice_code = ods.clone();
    let document = InboxDocument::new(ods, parsed, sender);
    let kept = tokio::task::spawn_blocking(move || {
        // One file may hold several practices' inboxes (as in the demo): an identifier
        // another practice holds is not this practice's copy, and its item is not named.
        received.receive(document, now).map(|kept| (kept.practice == practice_code).then_some(kept)).or_else(|error| {
            match error {
                InboxError::Conflict(id) if received.get(&practice_code, id).is_err() => Ok(None),
                error => Err(error),
            }
        })
    })
    .await
    .map_err(|_| internal())?;
    let (status, text) = match kept {
        Ok(None) => {
            return Err(ProviderError::new(
                SpineCode::DuplicateRejected,
                "A document with the same identifier was already received by another practice.",
            ));
        }
        Ok(Some(kept)) if kept.duplicate => {
            (StatusCode::OK, format!("This document was already received (item {}); nothing was changed.", kept.id))
        }
        Ok(Some(kept)) => (StatusCode::CREATED, format!("The document was received as item {}.", kept.id)),
        Err(InboxError::Conflict(id)) => {
            return Err(ProviderError::new(
                SpineCode::DuplicateRejected,
                format!("A different document with the same identifier was already received (item {id})."),
            ));
        }
        Err(_) => return Err(ProviderError::new(SpineCode::InternalServerError, "The inbox could not be written.")),
    };
    let outcome = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "information", "code": "informational", "diagnostics": text }],
    });
    Ok(fhir_json(status, &outcome))
}

/// Any other method on a document type: documents are delivered with POST.
pub(crate) async fn wrong_method() -> ProviderError {
    ProviderError::http(StatusCode::METHOD_NOT_ALLOWED, "A document is delivered to the practice inbox with POST.")
}

/// `GET /{ODS}/inbox`: what this practice's system has received, oldest first.
pub(crate) async fn list(State(state): State<AppState>, Path(ods): Path<String>) -> Result<Response, ProviderError> {
    let Some(received) = state.received.clone() else { return Err(not_found_error()) };
    let ods = practice(&state, &ods).await?.practice.ods_code;
    let practice = ods.clone();
    let items = tokio::task::spawn_blocking(move || received.list(&practice, StatusFilter::All))
        .await
        .map_err(|_| internal())?
        .map_err(|_| ProviderError::new(SpineCode::InternalServerError, "The inbox could not be read."))?;
    Ok(fhir_json(StatusCode::OK, &json!({ "practice": ods, "received": items })))
}

/// The patient must be registered at this practice (alive or deceased): a practice's
/// system files documents for its own patients only.
async fn registered_here(state: &AppState, nhs_number: NhsNumber, ods: &OdsCode) -> Result<(), ProviderError> {
    let store = state.store_of(ods)?;
    let found = tokio::task::spawn_blocking(move || store.record(nhs_number)).await.map_err(|_| internal())?;
    let record = found.map_err(|_| internal())?;
    let registered = record.is_some_and(|record| {
        let registration = &record.patient.registration;
        registration.practice == *ods && matches!(registration.status, RegistrationStatus::Registered)
    });
    if registered {
        Ok(())
    } else {
        Err(ProviderError::new(SpineCode::PatientNotFound, "No patient with this NHS number is registered here."))
    }
}

fn too_large() -> ProviderError {
    ProviderError::http(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("The document is larger than {} bytes.", openmig_inbox::document::MAX_DOCUMENT_BYTES),
    )
}

/// 400 for a body that is not the resource, 413 over the cap, 422 for an element.
fn parse_error(error: ParseError) -> ProviderError {
    match &error {
        ParseError::TooLarge { .. } => too_large(),
        ParseError::NotJson { .. } | ParseError::WrongResourceType { .. } => {
            ProviderError::bad_request(error.to_string())
        }
        ParseError::Missing { .. } | ParseError::Invalid { .. } => ProviderError::invalid_resource(error.to_string()),
    }
}
