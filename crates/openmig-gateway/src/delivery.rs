//! Delivering write-back documents from the gateway's outbox to each practice's own
//! system, over the same mutually authenticated HTTPS channel federation reads by
//! (issue 6, item 5).
//!
//! The outbox (`openmig_inbox`) owns *when*: a document accepted at the gateway is
//! pending until a delivery succeeds, retried with capped, jittered backoff, and kept
//! in the file across restarts. [`PracticeDelivery`] owns *how*: one `POST` of the
//! document as received to the document endpoint the directory names for the practice
//! (`{documents}/Bundle` or `{documents}/DocumentReference`; openmig's own practices
//! serve it in `openmig_provider::inbox`), with the Spine headers and an unsigned GP Connect JWT
//! naming the clinician who sent it (scope `patient/*.write`). Only a `2xx` counts as
//! delivered: `201` (kept) or `200` (already held: an earlier attempt got there but its
//! answer was lost, so delivery is at least once and the practice makes it one copy).
//! Anything else is a failure kept as the item's last error, visible to the practice
//! in its inbox listing at the gateway, and retried: a practice that is down, slow or
//! refusing gets the document when it recovers, and nothing is ever dropped. A failure
//! of the practice's endpoint (unreachable, timed out, 5xx, 408, 429) is marked
//! [`DeliveryError::unreachable`], so the outbox spares the practice's other documents
//! that round; a refusal of one document (another 4xx) is that document's alone.
//!
//! A delivery is **audited**: once the practice has confirmed receipt, an entry
//! `writeback.deliver` goes into the gateway's hash chain, on behalf of the clinician who
//! sent it, naming the patient and the practice (so the practice's audit report shows
//! what reached it, beside the `writeback.submit` entry of the sending). If that entry
//! cannot be written the attempt counts as failed and is retried; the practice answers
//! the redelivery `200` and keeps one copy, so the entry is never missing.
//!
//! The error texts name the practice and what failed, never the patient or the content.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::HeaderMap;
use openmig_audit::{AuditEvent, AuditLog, Outcome};
use openmig_auth::claims::{DIRECT_CARE, Requester};
use openmig_directory::Directory;
use openmig_domain::Dataset;
use openmig_inbox::{Delivery, DeliveryError, Inbox, InboxItem};
use openmig_tls::HttpsClient;
use serde_json::Value;

use crate::federation::{header_map, practice_call_headers, spine_code, unsigned_jwt};
use crate::{Clock, Gateway};

/// How long one delivery attempt may take, connect to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// `requested_scope` of a delivery: a write to the patient's record at the practice.
const WRITE_SCOPE: &str = "patient/*.write";

/// The device the delivery JWT names: the gateway's outbox, on the sender's behalf.
const DEVICE: &str = "openmig-gateway-outbox";

/// Delivers to each practice's own system over HTTPS (see the module docs).
pub struct PracticeDelivery {
    client: HttpsClient,
    directory: Arc<dyn Directory>,
    inbox: Arc<Inbox>,
    audit: Arc<AuditLog>,
    asid: String,
    clock: Clock,
    runtime: tokio::runtime::Handle,
}

impl PracticeDelivery {
    /// Delivery on behalf of `gateway` (its directory for each practice's document
    /// endpoint and ASID, read at each attempt so a changed entry takes effect; its inbox
    /// for the documents; its audit log and clock) through `client`, sending `asid` as
    /// `Ssp-From`. `runtime` runs the HTTP calls: the outbox calls [`Delivery::deliver`]
    /// on a blocking thread.
    pub fn new(
        gateway: &Gateway,
        client: HttpsClient,
        asid: String,
        runtime: tokio::runtime::Handle,
    ) -> PracticeDelivery {
        PracticeDelivery {
            client,
            directory: Arc::clone(&gateway.directory),
            inbox: Arc::clone(&gateway.inbox),
            audit: Arc::clone(&gateway.audit),
            asid,
            clock: Arc::clone(&gateway.clock),
            runtime,
        }
    }

    /// Delivers to the endpoints `directory` names rather than the gateway's directory
    /// (a practice's system started apart from the directory's entry, as in tests).
    pub fn reaching(mut self, directory: Arc<dyn Directory>) -> PracticeDelivery {
        self.directory = directory;
        self
    }

    /// The `writeback.deliver` entry for `item`, on behalf of its sender.
    fn audit_delivered(&self, item: &InboxItem, trace_id: String) -> Result<(), DeliveryError> {
        let event = AuditEvent {
            time: (self.clock)(),
            interaction: "writeback.deliver".into(),
            user_id: item.sender.user_id.clone(),
            user_name: item.sender.user_name.clone(),
            role: None,
            organisation: item.sender.organisation.to_string(),
            device: DEVICE.into(),
            patient: Some(item.document.nhs_number),
            practice: Some(item.practice.clone()),
            purpose: DIRECT_CARE.into(),
            consent: None,
            override_reason: None,
            datasets: vec![Dataset::Clinical],
            items_returned: 1,
            outcome: Outcome::Permitted,
            error_code: None,
            trace_id,
        };
        self.audit.append(event).map(|_| ()).map_err(|_| {
            DeliveryError::new(format!(
                "delivered to practice {}, but the audit entry could not be written",
                item.practice
            ))
        })
    }

    async fn send(&self, item: &InboxItem) -> Result<(), DeliveryError> {
        let ods = &item.practice;
        let practice = self
            .directory
            .practice(ods)
            .map_err(|_| DeliveryError::new("the directory could not be read"))?
            .ok_or_else(|| DeliveryError::new(format!("practice {ods} is not in the directory")))?;
        let documents = practice.documents.as_ref().ok_or_else(|| {
            DeliveryError::new(format!(
                "the directory names no document endpoint for practice {ods} ({}); it cannot receive documents yet",
                practice.practice.clinical_system
            ))
        })?;
        let resource =
            self.inbox.resource(ods, item.id).map_err(|_| DeliveryError::new("the document could not be read"))?;
        let url = documents.join(item.document.kind.resource_type());
        let trace_id = crate::access::random_uuid();
        let audience = documents.as_str().trim_end_matches("/fhir");
        let headers = self.headers(item, audience, &practice.practice.asid, &trace_id)?;
        let answer = self.client.post_json(&url, headers, Bytes::from(resource), DELIVERY_TIMEOUT).await;
        let system = &practice.practice.clinical_system;
        match answer {
            Ok((status, _, _)) if (200..300).contains(&status) => self.audit_delivered(item, trace_id),
            // Overloaded, timed out or failing: the practice, not this document.
            Ok((status, _, _)) if status >= 500 || status == 408 || status == 429 => {
                Err(DeliveryError::unreachable(format!("practice {ods} ({system}) is failing: {status}")))
            }
            Ok((status, _, body)) => Err(DeliveryError::new(format!(
                "practice {ods} ({system}) refused the document: {status} {}",
                spine_code(&body).unwrap_or_default()
            ))),
            Err(error) => {
                Err(DeliveryError::unreachable(format!("practice {ods} ({system}) could not be reached: {error}")))
            }
        }
    }

    /// The Spine headers and the JWT naming the original sender.
    fn headers(
        &self,
        item: &InboxItem,
        audience: &str,
        practice_asid: &str,
        trace_id: &str,
    ) -> Result<HeaderMap, DeliveryError> {
        let now = (self.clock)();
        let issued_at = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let sender = Requester {
            user_id: &item.sender.user_id,
            user_name: &item.sender.user_name,
            organisation: &item.sender.organisation,
            device: DEVICE,
        };
        let claims = sender.gp_connect_claims(
            "openmig-gateway",
            audience,
            issued_at,
            issued_at + chrono::TimeDelta::seconds(300),
            DIRECT_CARE,
            WRITE_SCOPE,
        );
        let jwt = unsigned_jwt(&Value::Object(claims));
        let pairs = practice_call_headers(
            trace_id.to_string(),
            &self.asid,
            practice_asid,
            openmig_gpconnect::headers::DELIVER_DOCUMENT_INTERACTION,
            &jwt,
        );
        header_map(&pairs).ok_or_else(|| DeliveryError::new("the sender's details cannot be sent in a header"))
    }
}

impl Delivery for PracticeDelivery {
    /// Runs on the outbox's blocking thread; the HTTP call runs on the server's runtime.
    fn deliver(&self, item: &InboxItem) -> Result<(), DeliveryError> {
        self.runtime.block_on(self.send(item))
    }
}
