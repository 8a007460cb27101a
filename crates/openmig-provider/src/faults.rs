//! Fault injection for demos and resilience tests (issue 6, item 4): a practice's GP
//! system made slow, erroring, unreachable or wrong, switchable at run time.
//!
//! Only [`crate::router_with_faults`] consults a [`Faults`] handle and serves the admin
//! routes; [`crate::router`] has neither. Faults are set per practice (ODS code), through
//! the handle or over HTTP:
//!
//! - `GET /{ODS}/_admin/faults`: the practice's [`FaultSettings`] as JSON;
//! - `POST /{ODS}/_admin/faults` with a [`FaultSettings`] body (every field optional,
//!   absent means off): replaces them, answers the new settings;
//! - `DELETE /{ODS}/_admin/faults`: clears them.
//!
//! What each fault does to a request for that practice's FHIR routes, in this order:
//!
//! 1. `down` (or [`Faults::set_down`] for every practice): the connection is dropped at
//!    once, no answer (see "Dropping a connection" below). Refusing new connections is
//!    the listener's business: the CLI closes it; this covers keep-alive connections that
//!    outlive the listener.
//! 2. `latencyMs`: the answer is delayed by that many milliseconds.
//! 3. `drop`: after the delay, the connection is dropped without an answer.
//! 4. `status` / `errorRate`: that fraction of requests (default all; `status` defaults
//!    to 500) is answered with the status and a GP Connect `OperationOutcome`
//!    (`INTERNAL_SERVER_ERROR` for 5xx, `BAD_REQUEST` for 4xx). The fraction is applied
//!    deterministically (0.5 fails every second request), so tests and flapping demos
//!    repeat exactly.
//! 5. `wrongPatient`: `$gpc.getstructuredrecord` answers another patient's record: the
//!    first other patient of the practice the provider may disclose, or, in a practice
//!    with no other, the requested record under another valid NHS number. A clinical
//!    safety hazard (H1) the gateway must detect and refuse.
//! 6. `malformed`: a successful answer's body is cut in half, so it is not valid JSON
//!    (status and headers unchanged).
//!
//! The admin routes themselves are never subject to faults. They are not authenticated:
//! a provider with faults enabled is a demo or test fixture, never a production endpoint.
//!
//! ## Dropping a connection
//!
//! axum has no "close without answering". The drop answers with a body whose first poll
//! fails: hyper has by then only buffered the status line and headers, and on the body
//! error it abandons the connection without flushing them, so not one byte of the answer
//! is sent. The client sees the connection end: over plain HTTP a FIN, or a reset when
//! the request body was left unread; over TLS the stream ends without `close_notify`.
//! hyper's client reports "connection closed before message completed"
//! (`IncompleteMessage`), which `openmig-tls` reports as `ClientError::Protocol` (or
//! `ClosedBeforeRequest` when the request was not yet written).

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use openmig_domain::{GpRecord, NhsNumber, OdsCode};
use serde::{Deserialize, Serialize};

use crate::error::{ProviderError, SpineCode};
use crate::{AppState, patient_record};

/// The longest latency that may be injected (ten minutes).
pub const MAX_LATENCY_MS: u64 = 600_000;

/// The faults of one practice. As JSON, camelCase; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct FaultSettings {
    /// Added to every answer, in milliseconds (at most [`MAX_LATENCY_MS`]).
    pub latency_ms: u64,
    /// The status of injected errors (400–599); with no `error_rate`, every request.
    pub status: Option<u16>,
    /// The fraction of requests (0–1) answered with `status` (500 when unset).
    pub error_rate: Option<f64>,
    /// Drop the connection without an answer, after the latency.
    pub drop: bool,
    /// The practice system is down: drop the connection at once.
    pub down: bool,
    /// Answer another patient's record.
    pub wrong_patient: bool,
    /// Answer a Bundle that is not valid JSON.
    pub malformed: bool,
}

impl FaultSettings {
    /// Checks the ranges, naming the field at fault.
    pub fn validate(&self) -> Result<(), String> {
        if self.latency_ms > MAX_LATENCY_MS {
            return Err(format!("latencyMs must be at most {MAX_LATENCY_MS}."));
        }
        if let Some(status) = self.status
            && !(400..=599).contains(&status)
        {
            return Err("status must be an HTTP error status (400 to 599).".into());
        }
        if let Some(rate) = self.error_rate
            && !(0.0..=1.0).contains(&rate)
        {
            return Err("errorRate must be between 0 and 1.".into());
        }
        Ok(())
    }

    /// Whether any fault is set.
    pub fn any(&self) -> bool {
        *self != FaultSettings::default()
    }
}

/// The run-time switch board: one per provider router, shared with whoever flips the
/// switches (the admin routes, the CLI, a test). Cheap to clone; clones share state.
#[derive(Clone, Default)]
pub struct Faults {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    down: AtomicBool,
    practices: Mutex<HashMap<OdsCode, PracticeFaults>>,
}

#[derive(Default)]
struct PracticeFaults {
    settings: FaultSettings,
    /// Requests that reached the error stage since the settings were set.
    seen: u64,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults").field("down", &self.is_down()).finish_non_exhaustive()
    }
}

impl Faults {
    /// No faults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces a practice's faults (after [`FaultSettings::validate`]).
    pub fn set(&self, ods: &OdsCode, settings: FaultSettings) -> Result<(), String> {
        settings.validate()?;
        let mut practices = self.practices();
        if settings.any() {
            practices.insert(ods.clone(), PracticeFaults { settings, seen: 0 });
        } else {
            practices.remove(ods);
        }
        Ok(())
    }

    /// A practice's faults (all off when none were set).
    pub fn get(&self, ods: &OdsCode) -> FaultSettings {
        self.practices().get(ods).map(|p| p.settings.clone()).unwrap_or_default()
    }

    /// Clears every practice's faults and the "down" switch.
    pub fn clear(&self) {
        self.practices().clear();
        self.set_down(false);
    }

    /// Takes every practice served by this router down (`true`) or back up: while down,
    /// every FHIR request is dropped at the connection level (the admin routes still
    /// answer).
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// Whether [`Faults::set_down`] took the router down.
    pub fn is_down(&self) -> bool {
        self.inner.down.load(Ordering::SeqCst)
    }

    fn practices(&self) -> std::sync::MutexGuard<'_, HashMap<OdsCode, PracticeFaults>> {
        // The map stays consistent whatever panicked while holding it.
        self.inner.practices.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether this request gets the injected error, counting it.
    fn error_now(&self, ods: &OdsCode) -> Option<StatusCode> {
        let mut practices = self.practices();
        let practice = practices.get_mut(ods)?;
        let settings = &practice.settings;
        if settings.status.is_none() && settings.error_rate.is_none() {
            return None;
        }
        let rate = settings.error_rate.unwrap_or(1.0);
        let status = settings.status.unwrap_or(500);
        let n = practice.seen as f64;
        practice.seen += 1;
        // Request n fails when the running count of failures due steps up: exactly
        // `rate` of the requests, spread evenly.
        let fails = ((n + 1.0) * rate).floor() > (n * rate).floor();
        fails.then(|| StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
    }
}

/// The middleware in front of the FHIR routes (steps 1–4 and 6 of the module docs).
pub(crate) async fn inject(State(faults): State<Faults>, request: Request, next: Next) -> Response {
    let Some(ods) = request.uri().path().split('/').nth(1).and_then(|s| OdsCode::parse(s).ok()) else {
        return next.run(request).await;
    };
    let settings = faults.get(&ods);
    if faults.is_down() || settings.down {
        return dropped_connection();
    }
    if settings.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(settings.latency_ms)).await;
    }
    if settings.drop {
        return dropped_connection();
    }
    if let Some(status) = faults.error_now(&ods) {
        return injected_error(status).into_response();
    }
    let response = next.run(request).await;
    if settings.malformed && response.status().is_success() {
        return malformed(response).await;
    }
    response
}

/// The admin routes, `/{ODS}/_admin/faults`.
pub(crate) fn admin_routes(faults: Faults) -> Router<AppState> {
    Router::new()
        .route("/{ods}/_admin/faults", get(read_settings).post(write_settings).delete(clear_settings))
        .with_state(faults)
}

/// The record `$gpc.getstructuredrecord` answers under the `wrongPatient` fault: the
/// first other patient of the practice the provider may disclose, else the requested
/// record relabelled with another valid NHS number.
pub(crate) async fn another_patients_record(
    state: &AppState,
    requested: NhsNumber,
    ods: &OdsCode,
) -> Result<GpRecord, ProviderError> {
    const PAGE: usize = 100;
    const PAGES: usize = 5;
    let mut after = None;
    for _ in 0..PAGES {
        let store = state.store_of(ods)?;
        let practice = ods.clone();
        let page = tokio::task::spawn_blocking(move || store.practice_patients(&practice, after, PAGE))
            .await
            .map_err(|_| crate::internal())?
            .map_err(|_| crate::internal())?;
        for &candidate in &page {
            if candidate != requested
                && let Ok(record) = patient_record(state, candidate, ods).await
            {
                return Ok(record);
            }
        }
        if page.len() < PAGE {
            break;
        }
        after = page.last().copied();
    }
    let mut record = patient_record(state, requested, ods).await?;
    record.patient.nhs_number = other_nhs_number(requested);
    Ok(record)
}

/// The next valid NHS number after `nhs` (by its nine-digit prefix, wrapping round).
fn other_nhs_number(nhs: NhsNumber) -> NhsNumber {
    let prefix = u32::try_from(nhs.value() / 10).unwrap_or(0);
    (1..1000u32)
        .filter_map(|step| NhsNumber::from_prefix(prefix.wrapping_add(step) % 1_000_000_000))
        .find(|&other| other != nhs)
        .unwrap_or(nhs)
}

/// An answer whose body fails at once, so hyper closes the connection without sending a
/// byte of it (see the module docs).
fn dropped_connection() -> Response {
    let mut response = Response::new(Body::new(Aborted));
    // Only to say what happened should the head ever be flushed; normally nothing is sent.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body that fails on its first poll.
struct Aborted;

impl http_body::Body for Aborted {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "injected fault: connection dropped"))))
    }
}

fn injected_error(status: StatusCode) -> ProviderError {
    let code = if status.is_server_error() { SpineCode::InternalServerError } else { SpineCode::BadRequest };
    ProviderError {
        code,
        status,
        diagnostics: format!("Injected fault: the practice system answered {}.", status.as_u16()),
    }
}

/// The same answer with its body cut in half: a JSON object missing its end.
async fn malformed(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let cut = if bytes.len() > 1 { bytes.slice(..bytes.len() / 2) } else { Bytes::from_static(b"{") };
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

async fn read_settings(State(faults): State<Faults>, Path(ods): Path<String>) -> Result<Response, ProviderError> {
    let ods = admin_ods(&ods)?;
    Ok(settings_json(&faults.get(&ods)))
}

async fn write_settings(
    State(faults): State<Faults>,
    Path(ods): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProviderError> {
    let ods = admin_ods(&ods)?;
    let body = body.map_err(|_| ProviderError::bad_request("The request body could not be read."))?;
    let settings: FaultSettings = serde_json::from_slice(&body)
        .map_err(|e| ProviderError::bad_request(format!("The fault settings are not valid: {e}.")))?;
    faults.set(&ods, settings).map_err(ProviderError::bad_request)?;
    Ok(settings_json(&faults.get(&ods)))
}

async fn clear_settings(State(faults): State<Faults>, Path(ods): Path<String>) -> Result<Response, ProviderError> {
    let ods = admin_ods(&ods)?;
    faults.set(&ods, FaultSettings::default()).map_err(ProviderError::bad_request)?;
    Ok(settings_json(&FaultSettings::default()))
}

fn admin_ods(ods: &str) -> Result<OdsCode, ProviderError> {
    OdsCode::parse(ods).map_err(|_| ProviderError::new(SpineCode::OrganisationNotFound, "Not an ODS code."))
}

fn settings_json(settings: &FaultSettings) -> Response {
    let body = serde_json::to_string(settings).unwrap_or_default();
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods() -> OdsCode {
        OdsCode::parse("Z90001").unwrap()
    }

    #[test]
    fn an_error_rate_fails_exactly_that_fraction_evenly() {
        let faults = Faults::new();
        faults.set(&ods(), FaultSettings { error_rate: Some(0.5), ..Default::default() }).unwrap();
        let pattern: Vec<bool> = (0..6).map(|_| faults.error_now(&ods()).is_some()).collect();
        assert_eq!(pattern, [false, true, false, true, false, true]);

        faults.set(&ods(), FaultSettings { error_rate: Some(0.25), status: Some(503), ..Default::default() }).unwrap();
        let failures: Vec<_> = (0..100).filter_map(|_| faults.error_now(&ods())).collect();
        assert_eq!(failures.len(), 25);
        assert!(failures.iter().all(|s| *s == StatusCode::SERVICE_UNAVAILABLE));
    }

    #[test]
    fn a_status_alone_fails_every_request_and_no_settings_fail_none() {
        let faults = Faults::new();
        assert_eq!(faults.error_now(&ods()), None);
        faults.set(&ods(), FaultSettings { status: Some(500), ..Default::default() }).unwrap();
        assert!((0..10).all(|_| faults.error_now(&ods()) == Some(StatusCode::INTERNAL_SERVER_ERROR)));
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let faults = Faults::new();
        for bad in [
            FaultSettings { status: Some(200), ..Default::default() },
            FaultSettings { status: Some(600), ..Default::default() },
            FaultSettings { error_rate: Some(1.5), ..Default::default() },
            FaultSettings { error_rate: Some(f64::NAN), ..Default::default() },
            FaultSettings { latency_ms: MAX_LATENCY_MS + 1, ..Default::default() },
        ] {
            assert!(faults.set(&ods(), bad).is_err());
        }
        assert_eq!(faults.get(&ods()), FaultSettings::default());
    }

    #[test]
    fn the_other_nhs_number_is_valid_and_different() {
        let nhs = NhsNumber::parse("9434765919").unwrap();
        let other = other_nhs_number(nhs);
        assert_ne!(other, nhs);
        assert!(NhsNumber::parse(&other.value().to_string()).is_ok());
    }
}
