//! Write-back of encounter summaries to the patient's practice inbox, and the practice's
//! own view of its inbox (api.md; issue 6, item 5).
//!
//! | route | who | audited as |
//! |---|---|---|
//! | `POST /fhir/R4/Bundle` (a document Bundle) · `POST /fhir/R4/DocumentReference` | a clinician of a consumer organisation | `writeback.submit` |
//! | `GET /practices/{ODS}/inbox[?status=unacknowledged\|acknowledged\|all]` | the practice's own staff | `inbox.list` |
//! | `GET /practices/{ODS}/inbox/{id}` (the FHIR resource as received) | the practice's own staff | `inbox.read` |
//! | `POST /practices/{ODS}/inbox/{id}/ack` | the practice's own staff | `inbox.ack` |
//!
//! **Writing back** takes the same path as reading: the token is verified, the document
//! is read (`openmig_inbox::parse`: 400 for a body that is not the endpoint's resource,
//! 413 over the size cap, 422 naming the missing or invalid element), the patient it
//! names is located and the policy decides with [`Dataset::Clinical`] (a clinician of a
//! consumer organisation, under an agreement covering the patient's registered
//! practice, on the deployment's consent basis). The permitted write-back is audited
//! **before** the document is stored, so no document ever sits in an inbox without its
//! audit entry; a failure to store it (or a conflicting resubmission) is audited as
//! well. The document goes to the inbox of the practice the patient is registered at:
//! the sender never chooses the practice. `201 Created` with `Location` once the
//! document is durably stored; a resubmission of the same document (same identifier and
//! content) answers `200` with the original item; the same identifier with different
//! content answers `409 DOCUMENT_CONFLICT`.
//!
//! **Reading a practice's inbox** is for the practice's own staff: a verified token
//! whose `requesting_organization` **is** the practice's ODS code, in any clinical or
//! administrative role (doctor, nurse, pharmacist, paramedic, administrative); never an
//! auditor, whose role is the audit log only. No new role and no configuration: a
//! practice is not a consumer and needs no agreement to read what was sent to it. Staff
//! of any other organisation are refused with `NOT_PRACTICE_STAFF`, and an item of
//! another practice is "not found", so one practice cannot learn about another's inbox.
//! Listing and acknowledging are audited against the practice (and, for an item, its
//! patient) like any other access.
//!
//! **The outbox.** A stored document is pending until it reaches the practice's own
//! system: [`spawn_outbox`] runs the delivery loop (`openmig serve` starts it with
//! [`PracticeDelivery`](crate::delivery::PracticeDelivery), over mutual TLS), with
//! retries and backoff from the durable state, so a practice that is down gets the
//! document when it is back, even after a gateway restart. The listing here shows each
//! item's delivery state and, while pending, why the last attempt failed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use openmig_domain::{Dataset, OdsCode, Role};
use openmig_inbox::{
    Delivery, DeliveryError, DeliveryRound, DocumentKind, Inbox, InboxDocument, InboxError, InboxId, InboxItem,
    ParseError, Sender, StatusFilter,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::access::Access;
use crate::error::GatewayError;
use crate::metrics::Metrics;
use crate::policy::{Permit, Refusal};
use crate::{Clock, Gateway, fhir_json, json_response};

/// How often `openmig serve` looks for documents due for delivery.
pub const OUTBOX_INTERVAL: Duration = Duration::from_secs(1);

/// `POST /fhir/R4/{type}`: write-back of a document Bundle or a DocumentReference.
pub async fn create(
    State(gateway): State<Arc<Gateway>>,
    Path(resource_type): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    let Some(kind) = DocumentKind::from_resource_type(&resource_type) else {
        return Err(GatewayError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "not-supported",
            "CREATE_NOT_SUPPORTED",
            "Only a document Bundle (POST /fhir/R4/Bundle) or a DocumentReference (POST /fhir/R4/DocumentReference) \
             may be sent, as a write-back to the patient's practice.",
        ));
    };
    submit(&gateway, &headers, body, kind).await
}

async fn submit(
    gateway: &Gateway,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    kind: DocumentKind,
) -> Result<Response, GatewayError> {
    let access = Access::begin(gateway, headers, "writeback.submit").await?;
    let parsed = match read_body(headers, body).and_then(|body| openmig_inbox::parse(kind, &body).map_err(parse_error))
    {
        Ok(parsed) => parsed,
        Err(error) => return Err(access.refuse(gateway, None, None, Dataset::Clinical, error).await),
    };
    let nhs_number = parsed.summary().nhs_number;
    let granted = access.patient(gateway, nhs_number, Dataset::Clinical).await?;
    let practice = granted.practice.practice.ods_code.clone();
    access.release(gateway, &granted, 0).await?;
    let identity = access.identity();
    let sender = Sender {
        user_id: identity.user_id.clone(),
        user_name: identity.user_name.clone(),
        organisation: identity.organisation.clone(),
    };
    let document = InboxDocument::new(practice.clone(), parsed, sender);
    let inbox = Arc::clone(&gateway.inbox);
    let now = (gateway.clock)();
    let stored = tokio::task::spawn_blocking(move || inbox.submit(document, now)).await;
    let submitted = match stored {
        Ok(Ok(submitted)) => submitted,
        Ok(Err(InboxError::Conflict(id))) => {
            let error = GatewayError::new(
                StatusCode::CONFLICT,
                "conflict",
                "DOCUMENT_CONFLICT",
                format!(
                    "A different document with the same identifier was already received (inbox item {id}); \
                     an amended or new document needs its own identifier."
                ),
            );
            return Err(access.refuse(gateway, Some(nhs_number), Some(practice), Dataset::Clinical, error).await);
        }
        _ => {
            let error = inbox_unavailable();
            return Err(access.refuse(gateway, Some(nhs_number), Some(practice), Dataset::Clinical, error).await);
        }
    };
    let location =
        format!("{}/practices/{}/inbox/{}", gateway.public_url.trim_end_matches('/'), submitted.practice, submitted.id);
    let (status, text) = if submitted.duplicate {
        (
            StatusCode::OK,
            format!(
                "This document was already received: it is item {} in the practice's inbox; nothing was changed.",
                submitted.id
            ),
        )
    } else {
        (
            StatusCode::CREATED,
            format!("The document was stored as item {} in the inbox of the patient's practice.", submitted.id),
        )
    };
    let outcome = json!({
        "resourceType": "OperationOutcome",
        "issue": [{ "severity": "information", "code": "informational", "details": { "text": text }, "diagnostics": text }],
    });
    let mut response = fhir_json(status, &outcome);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// The body, if it is JSON of acceptable size.
fn read_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, GatewayError> {
    let media = headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok());
    if let Some(media) = media {
        let essence = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if essence != "application/fhir+json" && essence != "application/json" {
            return Err(GatewayError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not-supported",
                "UNSUPPORTED_MEDIA_TYPE",
                "Send the document as application/fhir+json.",
            ));
        }
    }
    match body {
        Ok(body) => Ok(body),
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
        Err(_) => Err(GatewayError::bad_request("The request body could not be read.")),
    }
}

fn too_large() -> GatewayError {
    GatewayError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-costly",
        "DOCUMENT_TOO_LARGE",
        format!("The document is larger than {} bytes.", openmig_inbox::document::MAX_DOCUMENT_BYTES),
    )
}

/// 400 for a body that is not the resource, 413 over the cap, 422 for an element.
fn parse_error(error: ParseError) -> GatewayError {
    match &error {
        ParseError::TooLarge { .. } => too_large(),
        ParseError::NotJson { .. } | ParseError::WrongResourceType { .. } => {
            GatewayError::bad_request(error.to_string())
        }
        ParseError::Missing { .. } => {
            GatewayError::new(StatusCode::UNPROCESSABLE_ENTITY, "required", "INVALID_RESOURCE", error.to_string())
        }
        ParseError::Invalid { .. } => {
            GatewayError::new(StatusCode::UNPROCESSABLE_ENTITY, "value", "INVALID_RESOURCE", error.to_string())
        }
    }
}

fn inbox_unavailable() -> GatewayError {
    GatewayError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "exception",
        "INBOX_UNAVAILABLE",
        "The practice inbox could not be reached; nothing was stored. Try again shortly.",
    )
}

fn item_not_found() -> GatewayError {
    GatewayError::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "INBOX_ITEM_NOT_FOUND",
        "There is no such item in this practice's inbox.",
    )
}

/// Query of the inbox list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// `GET /practices/{ods}/inbox`.
pub async fn list(
    State(gateway): State<Arc<Gateway>>,
    Path(ods): Path<String>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "inbox.list").await?;
    let checked = parse_ods(&ods).and_then(|ods| Ok((ods, status_filter(query.status.as_deref())?)));
    let (ods, (filter, label)) = match checked {
        Ok(checked) => checked,
        Err(error) => return Err(access.refuse(&gateway, None, None, Dataset::Clinical, error).await),
    };
    let permit = access.practice_staff(&gateway, &ods).await?;
    let inbox = Arc::clone(&gateway.inbox);
    let wanted = ods.clone();
    let items = match tokio::task::spawn_blocking(move || inbox.list(&wanted, filter)).await {
        Ok(Ok(items)) => items,
        _ => return Err(access.refuse(&gateway, None, Some(ods), Dataset::Clinical, inbox_unavailable()).await),
    };
    let body = json!({ "practice": ods, "status": label, "total": items.len(), "items": items });
    access.record_permitted(&gateway, None, ods, &permit, items.len()).await?;
    Ok(json_response(StatusCode::OK, &body, "application/json"))
}

/// `GET /practices/{ods}/inbox/{id}`: the FHIR resource as it was received.
pub async fn read(
    State(gateway): State<Arc<Gateway>>,
    Path((ods, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "inbox.read").await?;
    let (ods, id, item, permit) = access.staff_item(&gateway, &ods, &id).await?;
    let inbox = Arc::clone(&gateway.inbox);
    let wanted = ods.clone();
    let stored = tokio::task::spawn_blocking(move || inbox.resource(&wanted, id)).await;
    let resource = match stored.map(|stored| stored.map(|text| serde_json::from_str::<Value>(&text))) {
        Ok(Ok(Ok(resource))) => resource,
        _ => return Err(access.refuse(&gateway, None, Some(ods), Dataset::Clinical, inbox_unavailable()).await),
    };
    access.record_permitted(&gateway, Some(item.document.nhs_number), ods, &permit, 1).await?;
    Ok(fhir_json(StatusCode::OK, &resource))
}

/// `POST /practices/{ods}/inbox/{id}/ack`. Acknowledging again changes nothing and
/// answers with the first acknowledgement.
pub async fn acknowledge(
    State(gateway): State<Arc<Gateway>>,
    Path((ods, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "inbox.ack").await?;
    let (ods, id, item, permit) = access.staff_item(&gateway, &ods, &id).await?;
    access.record_permitted(&gateway, Some(item.document.nhs_number), ods.clone(), &permit, 1).await?;
    let identity = access.identity();
    let by = if identity.user_name.trim().is_empty() {
        identity.user_id.clone()
    } else {
        format!("{} ({})", identity.user_name, identity.user_id)
    };
    let inbox = Arc::clone(&gateway.inbox);
    let now = (gateway.clock)();
    let wanted = ods.clone();
    let acknowledged = match tokio::task::spawn_blocking(move || inbox.acknowledge(&wanted, id, &by, now)).await {
        Ok(Ok(acknowledged)) => acknowledged,
        _ => {
            let patient = Some(item.document.nhs_number);
            return Err(access.refuse(&gateway, patient, Some(ods), Dataset::Clinical, inbox_unavailable()).await);
        }
    };
    let already = acknowledged.already;
    let item = InboxItem { acknowledged: Some(acknowledged.acknowledgement), ..item };
    let body = json!({ "alreadyAcknowledged": already, "item": item });
    Ok(json_response(StatusCode::OK, &body, "application/json"))
}

fn parse_ods(ods: &str) -> Result<OdsCode, GatewayError> {
    OdsCode::parse(ods).map_err(|_| GatewayError::bad_request("The practice ODS code is not valid."))
}

fn status_filter(status: Option<&str>) -> Result<(StatusFilter, &'static str), GatewayError> {
    match status {
        None | Some("unacknowledged") => Ok((StatusFilter::Unacknowledged, "unacknowledged")),
        Some("acknowledged") => Ok((StatusFilter::Acknowledged, "acknowledged")),
        Some("all") => Ok((StatusFilter::All, "all")),
        Some(_) => Err(GatewayError::bad_request("status must be unacknowledged, acknowledged or all.")),
    }
}

/// Whether `requester_org` in `role` is staff of `practice` who may read and acknowledge
/// its inbox (see the module documentation). Pure.
pub(crate) fn decide_staff(requester_org: &OdsCode, role: Role, practice: &OdsCode) -> Result<Permit, GatewayError> {
    if requester_org != practice {
        return Err(GatewayError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "NOT_PRACTICE_STAFF",
            "Only the practice's own staff may read or acknowledge its inbox.",
        ));
    }
    if role == Role::Auditor {
        return Err(Refusal::RoleNotPermitted.into());
    }
    Ok(Permit { dataset: Dataset::Clinical, consent: None, flagged_for_review: false })
}

impl Access {
    /// Decides whether the requester is staff of `ods` (and that the practice exists).
    /// Refusals are audited.
    pub(crate) async fn practice_staff(&self, gateway: &Gateway, ods: &OdsCode) -> Result<Permit, GatewayError> {
        let requester = self.requester();
        let permit = match decide_staff(&requester.organisation, requester.role, ods) {
            Ok(permit) => permit,
            Err(error) => return Err(self.refuse(gateway, None, Some(ods.clone()), Dataset::Clinical, error).await),
        };
        let directory = Arc::clone(&gateway.directory);
        let wanted = ods.clone();
        match tokio::task::spawn_blocking(move || directory.practice(&wanted)).await {
            Ok(Ok(Some(_))) => Ok(permit),
            Ok(Ok(None)) => {
                let error = GatewayError::new(
                    StatusCode::NOT_FOUND,
                    "not-found",
                    "ORGANISATION_NOT_FOUND",
                    "No practice with this ODS code is known to the gateway.",
                );
                Err(self.refuse(gateway, None, None, Dataset::Clinical, error).await)
            }
            _ => Err(self.refuse(gateway, None, None, Dataset::Clinical, GatewayError::directory_unavailable()).await),
        }
    }

    /// Parses the path, decides the requester is the practice's staff and finds the
    /// item in its inbox. Refusals are audited.
    async fn staff_item(
        &self,
        gateway: &Gateway,
        ods: &str,
        id: &str,
    ) -> Result<(OdsCode, InboxId, InboxItem, Permit), GatewayError> {
        let ods = match parse_ods(ods) {
            Ok(ods) => ods,
            Err(error) => return Err(self.refuse(gateway, None, None, Dataset::Clinical, error).await),
        };
        let permit = self.practice_staff(gateway, &ods).await?;
        let Ok(id) = id.parse::<InboxId>() else {
            return Err(self.refuse(gateway, None, Some(ods), Dataset::Clinical, item_not_found()).await);
        };
        let inbox = Arc::clone(&gateway.inbox);
        let wanted = ods.clone();
        match tokio::task::spawn_blocking(move || inbox.get(&wanted, id)).await {
            Ok(Ok(item)) => Ok((ods, id, item, permit)),
            Ok(Err(InboxError::NotFound(_))) => {
                Err(self.refuse(gateway, None, Some(ods), Dataset::Clinical, item_not_found()).await)
            }
            _ => Err(self.refuse(gateway, None, Some(ods), Dataset::Clinical, inbox_unavailable()).await),
        }
    }
}

/// Starts the outbox: every `every`, one [`deliver_round`]. A round that fails (the
/// database busy or unavailable) is simply tried at the next tick: the documents stay
/// pending in the file, so nothing is lost, not even across a restart. Runs until the
/// runtime stops.
pub fn spawn_outbox(
    inbox: Arc<Inbox>,
    delivery: Arc<dyn Delivery>,
    clock: Clock,
    every: Duration,
    metrics: Arc<Metrics>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let inbox = Arc::clone(&inbox);
            let delivery = Arc::clone(&delivery);
            let metrics = Arc::clone(&metrics);
            let now = clock();
            let _round =
                tokio::task::spawn_blocking(move || deliver_round(&inbox, delivery.as_ref(), now, &metrics)).await;
        }
    })
}

/// One outbox round at `now` (blocking): every due document is handed to `delivery`,
/// failures are rescheduled by the inbox's retry policy, and each real attempt and the
/// backlog afterwards go to `metrics`.
///
/// A practice whose endpoint fails once in a round ([`DeliveryError::is_unreachable`])
/// is not called again in that round: its other due documents are rescheduled with its
/// error, marked "not tried this round". So a practice whose system hangs until the
/// timeout delays everyone else's deliveries by one timeout per round, not by one per
/// document waiting for it. A refusal of one document does not stop the others.
pub fn deliver_round(
    inbox: &Inbox,
    delivery: &dyn Delivery,
    now: DateTime<Utc>,
    metrics: &Metrics,
) -> Result<DeliveryRound, InboxError> {
    let mut failed: HashMap<OdsCode, DeliveryError> = HashMap::new();
    let round = inbox.deliver_due(now, |item| {
        if let Some(error) = failed.get(&item.practice) {
            return Err(DeliveryError::unreachable(format!("not tried this round: {error}")));
        }
        let delivered = delivery.deliver(item);
        metrics.delivery_attempted(item.practice.as_str(), delivered.is_ok());
        if let Err(error) = &delivered
            && error.is_unreachable()
        {
            failed.insert(item.practice.clone(), error.clone());
        }
        delivered
    });
    if let Ok(pending) = inbox.pending_count() {
        metrics.outbox_pending(pending);
    }
    round
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_practices_own_non_auditor_staff_may_use_its_inbox() {
        let practice = OdsCode::parse("Z90001").unwrap();
        for role in Role::ALL {
            let decision = decide_staff(&practice, role, &practice);
            assert_eq!(decision.is_ok(), role != Role::Auditor, "{role}");
        }
        let other = OdsCode::parse("Z90002").unwrap();
        let emergency = OdsCode::parse("ZC010").unwrap();
        for org in [other, emergency] {
            let refused = decide_staff(&org, Role::Doctor, &practice).unwrap_err();
            assert_eq!((refused.status(), refused.code()), (StatusCode::FORBIDDEN, "NOT_PRACTICE_STAFF"));
        }
        let permit = decide_staff(&practice, Role::Administrative, &practice).unwrap();
        assert_eq!((permit.dataset, permit.consent), (Dataset::Clinical, None));
    }
}
