//! The gateway: what A&E, ambulance, out-of-hours, mental health and hospital systems
//! (and the viewer) call to see a patient's GP record.
//!
//! A consumer names the patient by NHS number; the gateway finds where the patient is
//! registered in the directory (`openmig-directory`, [`access`]), decides whether this person may see what ([`policy`],
//! configured by [`config`]), fetches the record from the practice ([`federation`], with
//! the [`lastgood`] copy when the practice is down), audits the access (`openmig-audit`,
//! before any data leaves) and answers in the format asked for ([`routes`]):
//!
//! | route | what |
//! |---|---|
//! | `POST /gpconnect/fhir/Patient/$gpc.getstructuredrecord` | GP Connect structured record (STU3), as a practice would answer |
//! | `GET /gpconnect/fhir/metadata` | its CapabilityStatement |
//! | `GET /directory/patients/{nhs}` | the registered practice (a trace) |
//! | `GET /fhir/R4/...` | UK Core read API (metadata, Patient, `$everything`, searches by `patient=`) |
//! | `GET /api/v1/patients/{nhs}/medicines` · `POST …/medicines/requested-check` | medicines review JSON |
//! | `POST /fhir/R4/Bundle` · `POST /fhir/R4/DocumentReference` | write-back to the practice inbox |
//! | `GET /practices/{ODS}/inbox` · `POST …/inbox/{id}/ack` · `GET /practices/{ODS}/audit` | the practice's inbox and access report |
//! | `GET /healthz` · `GET /readyz` | operations |
//!
//! Every patient route requires a signed bearer token (`openmig-auth`): the gateway is
//! the security boundary.
//!
//! Architecture invariant: the gateway holds no clinical record. It depends on no store
//! crate (`openmig-store` or a backend) and on no provider: a record reaches it only as a
//! GP Connect Bundle fetched from the endpoint the directory names ([`federation`]), and
//! leaves a copy only in the encrypted, bounded last-good cache. Architecture invariant: no handler returns patient data
//! without [`access::Access::release`] having written the audit entry first.

pub mod access;
pub mod config;
pub mod delivery;
pub mod error;
pub mod federation;
pub mod lastgood;
pub mod metrics;
pub mod policy;
pub mod routes;

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use openmig_audit::AuditLog;
use openmig_auth::TrustedIssuers;
use openmig_directory::Directory;
use serde_json::Value;

pub use config::GatewayConfig;

/// The server clock, injected so token expiry and medicines dates are testable.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Everything the gateway's handlers share.
pub struct Gateway {
    /// Consumers, agreements, role matrix, consent model.
    pub config: GatewayConfig,
    /// Who is registered where and where each practice's system answers (PDS and SDS).
    /// With the audit log, the last-good cache and the outbox, the only data the gateway
    /// reads: it has no clinical store to read (ARCHITECTURE.md, "The gateway holds no
    /// record").
    pub directory: Arc<dyn Directory>,
    /// The issuers whose signed tokens are accepted.
    pub issuers: TrustedIssuers,
    /// The `aud` claim tokens must carry.
    pub audience: String,
    /// The audit log.
    pub audit: Arc<AuditLog>,
    /// The audit database file, for reports.
    pub audit_database: PathBuf,
    /// The base URL consumers reach the gateway at, e.g. `http://127.0.0.1:8080`:
    /// FHIR `fullUrl`s and links are built from it.
    pub public_url: String,
    /// The clock.
    pub clock: Clock,
    /// The practice inboxes that write-back documents are stored in (routes/inbox.rs).
    pub inbox: Arc<openmig_inbox::Inbox>,
    /// Live fetching from each practice's system over mutual TLS, with resilience and
    /// the last-good copy: the only way a clinical record reaches the gateway.
    pub federation: Arc<federation::Federation>,
    /// `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl Gateway {
    /// Today's date for clinical rules (overdue repeats, adherence windows): the UK
    /// calendar day, so a late-evening view in summer counts days as the clinician does.
    pub fn today(&self) -> NaiveDate {
        openmig_domain::uk_time::uk_date((self.clock)())
    }

    /// The FHIR R4 base URL.
    pub fn r4_base(&self) -> String {
        format!("{}/fhir/R4", self.public_url.trim_end_matches('/'))
    }
}

/// The gateway's routes.
pub fn router(gateway: Arc<Gateway>) -> axum::Router {
    routes::router(gateway)
}

/// A FHIR JSON response. Patient data is never cached by intermediaries.
pub(crate) fn fhir_json(status: StatusCode, body: &Value) -> Response {
    json_response(status, body, error::FHIR_JSON)
}

/// Marks a response with where its record came from (`Openmig-Record-Source`).
pub(crate) fn with_source(mut response: Response, freshness: &federation::Freshness) -> Response {
    if let Ok(value) = HeaderValue::from_str(&freshness.header_value()) {
        response.headers_mut().insert("openmig-record-source", value);
    }
    response
}

/// A JSON response of `media_type`, not cacheable.
pub(crate) fn json_response(status: StatusCode, body: &Value, media_type: &'static str) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
