//! Federation: fetching a patient's record live from their practice's GP Connect
//! provider over mutually authenticated HTTPS, answering safely when it is slow or down.
//!
//! Per practice (so one practice's outage never slows another's patients):
//! - a **deadline** over the whole fetch (default 2 s), with connect and read timeouts
//!   inside it;
//! - a **bulkhead**: at most `bulkhead` fetches in flight to one practice; a fetch that
//!   cannot start before the deadline fails fast;
//! - **retries** only where they are safe: a refused connection (the request never
//!   reached the provider), with jittered exponential backoff, within the deadline;
//! - a **circuit breaker** (tower-resilience): after `breaker_failures` consecutive
//!   failures it opens, answers at once without calling, and after `breaker_open_for`
//!   lets a probe through (half-open);
//! - the answer is **checked**: it must be a Bundle for the patient asked for (a Bundle
//!   about another patient is rejected as a wrong-patient hazard), read with the GP
//!   Connect reader;
//! - the **last-good copy** ([`crate::lastgood`]) is refreshed on success and served,
//!   labelled with its date, when the live fetch fails.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use chrono::{DateTime, Utc};
use openmig_auth::Identity;
use openmig_directory::DirectoryPractice;
use openmig_domain::{Clinician, GpRecord, NhsNumber, OdsCode, Patient};
use openmig_fhir::Section;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tower::ServiceExt;
use tower_resilience_circuitbreaker::{CircuitBreaker, CircuitBreakerError, CircuitBreakerLayer, CircuitState};

use crate::Clock;
use crate::lastgood::LastGoodCache;

/// How hard the gateway tries before falling back.
#[derive(Debug, Clone)]
pub struct FederationOptions {
    /// The whole fetch, retries included. (The TCP connect timeout is the HTTPS
    /// client's, `openmig_tls::ClientOptions::connect_timeout`.)
    pub deadline: Duration,
    /// Fetches in flight to one practice.
    pub bulkhead: usize,
    /// Extra attempts after a refused connection.
    pub retries: u32,
    /// First backoff; doubled per attempt, with up to 100% random jitter.
    pub backoff: Duration,
    /// Consecutive failures that open a practice's breaker.
    pub breaker_failures: usize,
    /// How long an open breaker refuses before letting a probe through.
    pub breaker_open_for: Duration,
}

impl Default for FederationOptions {
    fn default() -> Self {
        FederationOptions {
            deadline: Duration::from_secs(2),
            bulkhead: 16,
            retries: 2,
            backoff: Duration::from_millis(50),
            breaker_failures: 5,
            breaker_open_for: Duration::from_secs(10),
        }
    }
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Fetched live from the practice for this request.
    Live,
    /// The practice could not be reached: the last good copy, fetched at `fetched_at`.
    LastGood {
        /// When the copy was fetched.
        fetched_at: DateTime<Utc>,
        /// Why the live fetch failed, in words a clinician understands.
        reason: String,
    },
}

impl Freshness {
    /// The `Openmig-Record-Source` response header: `live`, or
    /// `last-good; fetched-at=<RFC 3339 UTC>`.
    pub fn header_value(&self) -> String {
        match self {
            Freshness::Live => "live".to_string(),
            Freshness::LastGood { fetched_at, .. } => {
                format!("last-good; fetched-at={}", fetched_at.format("%Y-%m-%dT%H:%M:%SZ"))
            }
        }
    }

    /// The sentence every screen must show with a last-good copy.
    pub fn warning(&self) -> Option<String> {
        match self {
            Freshness::Live => None,
            Freshness::LastGood { fetched_at, reason } => Some(format!(
                "NOT CURRENT: this is the last copy of the GP record the gateway obtained, as of {} UTC. \
                 The practice system could not be reached just now ({reason}). \
                 Changes since then (new medicines, allergies, results) are not shown.",
                fetched_at.format("%Y-%m-%d %H:%M")
            )),
        }
    }

    /// The warning as an OperationOutcome (the same shape is valid STU3 and R4), to
    /// put inside a Bundle.
    pub fn outcome(&self) -> Option<Value> {
        self.warning().map(|text| warning_outcome("transient", &[text]))
    }

    /// The JSON APIs' `recordSource` member.
    pub fn json(&self) -> Value {
        match self {
            Freshness::Live => json!({ "live": true }),
            Freshness::LastGood { fetched_at, reason } => json!({
                "live": false,
                "asOf": fetched_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                "reason": reason,
                "warning": self.warning(),
            }),
        }
    }
}

/// A record and where it came from.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The record (as the practice shares it: withheld items are not in it).
    pub record: GpRecord,
    /// The clinicians the practice's answer named (its Practitioners), who recorded
    /// and prescribed what the record holds.
    pub clinicians: Vec<Clinician>,
    /// What the practice's answer said beyond the record.
    pub caveats: Caveats,
    /// Where it came from.
    pub freshness: Freshness,
}

/// What a practice's answer says about itself beyond the record, passed on to every
/// consumer and kept with the last-good copy (issue 13, "warnings survive federation").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caveats {
    /// What a clinician must be told: its Lists' warnings (items withheld as
    /// confidential, data in transit…), its OperationOutcome, and the items that could
    /// not be read (see [`practice_warnings_outcome`]).
    pub warnings: Vec<String>,
    /// The sections whose Lists said items were withheld (`confidential-items`): the
    /// gateway's own GP Connect answer says it on the same Lists.
    pub withheld: BTreeSet<Section>,
}

/// Why no record can be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchFailure {
    /// The practice does not know the patient (or may not say).
    PatientNotFound,
    /// The patient dissented at their practice.
    Dissented,
    /// The practice has switched GP Connect off.
    SharingDisabled,
    /// Nothing live and no recent copy.
    Unavailable {
        /// Why, for the clinician.
        reason: String,
        /// When the gateway last tried.
        attempted_at: DateTime<Utc>,
    },
}

/// One HTTP exchange with a provider, as the breaker sees it.
#[derive(Debug, Clone)]
struct Call {
    url: String,
    headers: Vec<(axum::http::HeaderName, String)>,
    body: Bytes,
}

/// What a provider answered (any status below 500).
#[derive(Debug, Clone)]
struct Answer {
    status: u16,
    body: Bytes,
}

/// Why a call failed; all of these count against the breaker.
#[derive(Debug, Clone, thiserror::Error)]
enum CallError {
    #[error("the practice system refused the connection")]
    Refused,
    #[error("the practice system did not answer in time")]
    Timeout,
    #[error("the practice system could not be reached securely")]
    Transport,
    #[error("the practice system failed (HTTP {0})")]
    Server(u16),
}

type Breaker = CircuitBreaker<
    tower::util::BoxCloneSyncService<Call, Answer, CallError>,
    tower_resilience_circuitbreaker::DefaultClassifier,
>;

/// The gateway's client side of federation.
pub struct Federation {
    client: openmig_tls::HttpsClient,
    /// Per-practice breaker and bulkhead, made on first use.
    channels: Mutex<HashMap<OdsCode, Channel>>,
    options: FederationOptions,
    /// The breaker configuration every practice's breaker is made from.
    breaker: CircuitBreakerLayer,
    cache: Option<Arc<LastGoodCache>>,
    /// The gateway's own ASID, sent as `Ssp-From`.
    asid: String,
    clock: Clock,
}

#[derive(Clone)]
struct Channel {
    breaker: Breaker,
    bulkhead: Arc<tokio::sync::Semaphore>,
}

impl Federation {
    /// A federation over `client`, reaching each practice at the GP Connect endpoint the
    /// directory names for it. Fails when the breaker options are out of range (e.g.
    /// zero failures).
    pub fn new(
        client: openmig_tls::HttpsClient,
        options: FederationOptions,
        cache: Option<Arc<LastGoodCache>>,
        asid: String,
        clock: Clock,
    ) -> Result<Self, String> {
        let breaker = CircuitBreakerLayer::builder()
            .consecutive_failures(options.breaker_failures)
            .wait_duration_in_open(options.breaker_open_for)
            .permitted_calls_in_half_open(1)
            .build()
            .map_err(|error| format!("invalid circuit breaker options: {error}"))?;
        Ok(Federation { client, channels: Mutex::new(HashMap::new()), options, breaker, cache, asid, clock })
    }

    /// The breaker state of each practice contacted so far, for `/metrics`.
    pub fn breaker_states(&self) -> Vec<(OdsCode, &'static str)> {
        let channels = self.channels.lock().map(|c| c.clone()).unwrap_or_default();
        let mut states: Vec<_> = channels
            .into_iter()
            .map(|(ods, channel)| {
                let state = match channel.breaker.state_sync() {
                    CircuitState::Closed => "closed",
                    CircuitState::Open => "open",
                    CircuitState::HalfOpen => "half-open",
                };
                (ods, state)
            })
            .collect();
        states.sort();
        states
    }

    /// Fetches `patient`'s record from `practice`, at the endpoint the directory
    /// names, on behalf of `identity`. `patient` is the patient as the directory knows
    /// them: the practice's Bundle must be about their NHS number, and what the Bundle
    /// leaves out (its practice's ODS code, the date of birth) is taken from there.
    pub async fn fetch(
        &self,
        practice: &DirectoryPractice,
        patient: &Patient,
        identity: &Identity,
        trace_id: &str,
    ) -> Result<Fetched, FetchFailure> {
        let nhs_number = patient.nhs_number;
        let attempted_at = (self.clock)();
        let live =
            match tokio::time::timeout(self.options.deadline, self.live(practice, patient, identity, trace_id)).await {
                Ok(result) => result,
                Err(_) => Err(Failure::Unreachable("the practice system did not answer within the deadline".into())),
            };
        let reason = match live {
            Ok(ReadBack { record, clinicians, caveats }) => {
                if let Some(cache) = &self.cache {
                    let copy = (Arc::clone(cache), record.clone(), clinicians.clone(), caveats.clone());
                    let (cache, record, clinicians, caveats) = copy;
                    // A failed cache write never fails the request: the record is live.
                    let _ =
                        tokio::task::spawn_blocking(move || cache.put(&record, &clinicians, &caveats, attempted_at))
                            .await;
                }
                return Ok(Fetched { record, clinicians, caveats, freshness: Freshness::Live });
            }
            Err(Failure::Refused(failure)) => return Err(failure),
            Err(Failure::Unreachable(reason)) => reason,
        };
        // The practice (an organisation) and the reason may be logged; the patient never.
        tracing::warn!(target: "openmig::federation", practice = %practice.practice.ods_code, reason = %reason, "live fetch failed");
        if let Some(cache) = &self.cache {
            let cache = Arc::clone(cache);
            if let Ok(Ok(Some(copy))) = tokio::task::spawn_blocking(move || cache.get(nhs_number, attempted_at)).await {
                return Ok(Fetched {
                    record: copy.record,
                    clinicians: copy.clinicians,
                    caveats: copy.caveats,
                    freshness: Freshness::LastGood { fetched_at: copy.fetched_at, reason },
                });
            }
        }
        Err(FetchFailure::Unavailable { reason, attempted_at })
    }

    async fn live(
        &self,
        practice: &DirectoryPractice,
        patient: &Patient,
        identity: &Identity,
        trace_id: &str,
    ) -> Result<ReadBack, Failure> {
        let ods = &practice.practice.ods_code;
        let channel = self.channel(ods);
        let _permit = channel
            .bulkhead
            .acquire()
            .await
            .map_err(|_| Failure::Unreachable("the practice's connection pool is closed".into()))?;
        let call = self.call(practice, patient.nhs_number, identity, trace_id);
        let mut attempt = 0;
        let answer = loop {
            let result = channel.breaker.clone().oneshot(call.clone()).await;
            match result {
                Ok(answer) => break answer,
                Err(CircuitBreakerError::OpenCircuit) => {
                    return Err(Failure::Unreachable(
                        "the practice system has been failing; the gateway is not calling it for a while".into(),
                    ));
                }
                Err(CircuitBreakerError::Inner(CallError::Refused)) if attempt < self.options.retries => {
                    attempt += 1;
                    tokio::time::sleep(jittered(self.options.backoff * 2u32.pow(attempt - 1))).await;
                }
                Err(CircuitBreakerError::Inner(error)) => return Err(Failure::Unreachable(error.to_string())),
            }
        };
        match answer.status {
            200 => read(&answer.body, patient),
            404 => Err(Failure::Refused(FetchFailure::PatientNotFound)),
            403 if spine_code(&answer.body).as_deref() == Some("NO_PATIENT_CONSENT") => {
                Err(Failure::Refused(FetchFailure::Dissented))
            }
            403 => Err(Failure::Refused(FetchFailure::SharingDisabled)),
            status => {
                Err(Failure::Unreachable(format!("the practice system refused the gateway's request (HTTP {status})")))
            }
        }
    }

    fn channel(&self, ods: &OdsCode) -> Channel {
        let mut channels = match self.channels.lock() {
            Ok(channels) => channels,
            Err(poisoned) => poisoned.into_inner(),
        };
        channels
            .entry(ods.clone())
            .or_insert_with(|| {
                let client = self.client.clone();
                // A little inside the overall deadline, so that a slow practice's call
                // ends as a Timeout the breaker counts, rather than being dropped
                // unrecorded when the deadline fires.
                let timeout = self.options.deadline.mul_f64(0.9);
                let service = tower::service_fn(move |call: Call| {
                    let client = client.clone();
                    async move {
                        let headers = header_map(&call.headers).ok_or(CallError::Transport)?;
                        match client.post_json(&call.url, headers, call.body, timeout).await {
                            Ok((status, _, _)) if status >= 500 => Err(CallError::Server(status)),
                            Ok((status, _, body)) => Ok(Answer { status, body }),
                            // Nothing reached the provider: safe to try again.
                            Err(error) if error.nothing_sent() => Err(CallError::Refused),
                            Err(openmig_tls::ClientError::Timeout | openmig_tls::ClientError::ConnectTimeout) => {
                                Err(CallError::Timeout)
                            }
                            Err(_) => Err(CallError::Transport),
                        }
                    }
                });
                let breaker = self.breaker.layer_fn(tower::util::BoxCloneSyncService::new(service));
                Channel { breaker, bulkhead: Arc::new(tokio::sync::Semaphore::new(self.options.bulkhead)) }
            })
            .clone()
    }

    fn call(&self, practice: &DirectoryPractice, nhs: NhsNumber, identity: &Identity, trace_id: &str) -> Call {
        // gpconnect.md §2: `aud` is the provider's service root, the FHIR base without
        // its `/fhir` (a base without one is its own root).
        let audience = practice.gp_connect.as_str().trim_end_matches("/fhir").to_string();
        let claims = identity.gp_connect_claims("openmig-gateway", &audience, (self.clock)());
        let jwt = unsigned_jwt(&Value::Object(claims));
        Call {
            url: practice.gp_connect.join("Patient/$gpc.getstructuredrecord"),
            headers: practice_call_headers(
                as_uuid(trace_id),
                &self.asid,
                &practice.practice.asid,
                openmig_gpconnect::headers::GET_STRUCTURED_RECORD_INTERACTION,
                &jwt,
            ),
            body: Bytes::from(everything(nhs).to_string()),
        }
    }
}

/// Internal: a refusal to pass on, or a failure to fall back from.
enum Failure {
    Refused(FetchFailure),
    Unreachable(String),
}

/// What a practice's Bundle was read into.
struct ReadBack {
    record: GpRecord,
    clinicians: Vec<Clinician>,
    caveats: Caveats,
}

/// Reads and checks a provider's Bundle: it must be about `patient`.
fn read(body: &[u8], patient: &Patient) -> Result<ReadBack, Failure> {
    let bundle: Value = serde_json::from_slice(body)
        .map_err(|_| Failure::Unreachable("the practice system sent an unreadable answer".into()))?;
    match openmig_fhir::stu3::reader::read_structured_bundle_for(&bundle, patient) {
        Ok(read) => Ok(ReadBack {
            record: read.record,
            clinicians: read.clinicians,
            caveats: Caveats { warnings: read.warnings, withheld: read.withheld_sections },
        }),
        Err(openmig_fhir::stu3::reader::ReadError::WrongPatient) => {
            Err(Failure::Unreachable("the practice system sent another patient's record; it was rejected".into()))
        }
        Err(_) => Err(Failure::Unreachable("the practice system sent an invalid record".into())),
    }
}

/// The practice's warnings as an OperationOutcome of warning issues (the same shape is
/// valid STU3 and R4), to put inside a Bundle; `None` when the practice said nothing.
/// GP Connect puts them on its Lists (`confidential-items`, `data-in-transit`, …); the
/// gateway's answers are rendered anew, so it says them here instead, never dropping one
/// (issue 13, "warnings survive federation").
pub fn practice_warnings_outcome(warnings: &[String]) -> Option<Value> {
    (!warnings.is_empty()).then(|| warning_outcome("informational", warnings))
}

/// An OperationOutcome with one warning issue of `code` per text.
fn warning_outcome(code: &str, texts: &[String]) -> Value {
    let issues: Vec<Value> =
        texts.iter().map(|text| json!({ "severity": "warning", "code": code, "diagnostics": text })).collect();
    json!({ "resourceType": "OperationOutcome", "issue": issues })
}

/// The headers of a call to a practice's system (federation's reads and the outbox's
/// deliveries): the Spine headers (`trace_id` a UUID, `from` the gateway's ASID, `to`
/// the practice's), the unsigned GP Connect JWT, and FHIR JSON both ways.
pub(crate) fn practice_call_headers(
    trace_id: String,
    from: &str,
    to: &str,
    interaction: &str,
    jwt: &str,
) -> Vec<(HeaderName, String)> {
    vec![
        (HeaderName::from_static("ssp-traceid"), trace_id),
        (HeaderName::from_static("ssp-from"), from.to_string()),
        (HeaderName::from_static("ssp-to"), to.to_string()),
        (HeaderName::from_static("ssp-interactionid"), interaction.to_string()),
        (header::AUTHORIZATION, format!("Bearer {jwt}")),
        (header::CONTENT_TYPE, "application/fhir+json".to_string()),
        (header::ACCEPT, "application/fhir+json".to_string()),
    ]
}

/// The pairs as a header map; `None` if a value cannot be a header value.
pub(crate) fn header_map(pairs: &[(HeaderName, String)]) -> Option<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.insert(name.clone(), HeaderValue::from_str(value).ok()?);
    }
    Some(headers)
}

/// The Spine error code of an OperationOutcome body.
pub(crate) fn spine_code(body: &[u8]) -> Option<String> {
    let outcome: Value = serde_json::from_slice(body).ok()?;
    outcome["issue"][0]["details"]["coding"][0]["code"].as_str().map(str::to_string)
}

/// The whole record: every area GP Connect serves that can be asked for together
/// (gpconnect.md's forbidden combinations rule out the immunisation and problem
/// filter parts, which would only narrow the answer anyway).
fn everything(nhs: NhsNumber) -> Value {
    json!({ "resourceType": "Parameters", "parameter": [
        { "name": "patientNHSNumber", "valueIdentifier": { "system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs.to_string() } },
        { "name": "includeAllergies", "part": [{ "name": "includeResolvedAllergies", "valueBoolean": true }] },
        { "name": "includeMedication", "part": [{ "name": "includePrescriptionIssues", "valueBoolean": true }] },
        { "name": "includeConsultations" },
        { "name": "includeProblems" },
        { "name": "includeImmunisations" },
        { "name": "includeUncategorisedData" },
        { "name": "includeInvestigations" },
        { "name": "includeReferrals" },
    ]})
}

/// An unsigned GP Connect JWT (gpconnect.md §2): the provider leg is protected by mutual
/// TLS, and the JWT carries audit and provenance claims.
pub fn unsigned_jwt(claims: &Value) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// `Ssp-TraceID` must be a UUID: the gateway's trace id when it is one, else a fresh one.
fn as_uuid(trace_id: &str) -> String {
    if openmig_gpconnect::headers::is_uuid(trace_id) { trace_id.to_string() } else { crate::access::random_uuid() }
}

/// `base` plus up to 100% random jitter, so retries from many requests spread out.
fn jittered(base: Duration) -> Duration {
    let mut byte = [0u8; 1];
    let _ = aws_lc_rs::rand::fill(&mut byte);
    base + base.mul_f64(f64::from(byte[0]) / 255.0)
}
