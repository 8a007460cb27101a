//! A practice's GP Connect provider endpoint: what a GP system serves for Access Record
//! Structured (FHIR STU3), over each practice's own openmig [`Store`] ([`PracticeStores`]).
//!
//! Routes (api.md, "Practice provider"), under `/{ODS}/STU3/1/gpconnect/structured/fhir`:
//! `GET /metadata` (a CapabilityStatement) and `POST /Patient/$gpc.getstructuredrecord`.
//! A request passes, in order: the method (405), the practice (404 / 403), the Spine
//! headers ([`headers`]), the bearer JWT ([`jwt`]), the media types (415 / 406), the
//! `Parameters` body ([`parameters`]), the patient (404 / 403), and is answered with
//! `openmig_fhir::structured_bundle`.
//!
//! [`router_with_faults`] adds run-time fault injection for demos and resilience tests
//! ([`faults`]: latency, errors, dropped connections, down, wrong patient, malformed
//! Bundle) and its admin routes; [`router`] has neither. [`practice_systems`] is what
//! `openmig serve` runs for each practice: the provider with fault injection and the
//! practice's inbox for documents the gateway delivers ([`inbox`]).
//!
//! This crate owns the HTTP boundary only: it decides nothing about the record's content
//! (that is `openmig-fhir`) and keeps no state besides the store and the fault switches.
//! It must never log an NHS number or clinical content, and never panic on input.

pub mod faults;
pub mod inbox;
mod stores;

/// GP Connect's protocol (`openmig-gpconnect`), under the names this crate has always
/// used for it.
pub use openmig_gpconnect::{GET_STRUCTURED_RECORD, capability, error, headers, jwt, parameters};

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use openmig_domain::{GpRecord, NhsNumber, OdsCode};
use openmig_inbox::Inbox;
use openmig_store::{PracticeEntry, Store};
use serde_json::Value;

use crate::error::{FHIR_JSON, ProviderError, SpineCode};
pub use crate::faults::{FaultSettings, Faults};
use crate::parameters::StructuredRequest;
pub use crate::stores::PracticeStores;

/// The server clock, injected so token expiry and date checks are testable.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The path of a practice's FHIR base, e.g. `/A81001/STU3/1/gpconnect/structured/fhir`.
pub fn base_path(ods: &OdsCode) -> String {
    format!("/{ods}/STU3/1/gpconnect/structured/fhir")
}

#[derive(Clone)]
struct AppState {
    stores: PracticeStores,
    clock: Clock,
    faults: Option<Faults>,
    /// Where delivered documents are kept; `None`: no inbox routes.
    received: Option<Arc<Inbox>>,
}

/// The provider's routes over each practice's store, judging time by `clock`.
pub fn router(stores: impl Into<PracticeStores>, clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Router {
    build_router(AppState { stores: stores.into(), clock: Arc::new(clock), faults: None, received: None })
}

/// [`router`] with the faults in `faults` applied to every FHIR route, and the admin
/// routes `GET`/`POST`/`DELETE /{ODS}/_admin/faults` (see [`faults`]). For demos and
/// tests only.
pub fn router_with_faults(
    stores: impl Into<PracticeStores>,
    clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static,
    faults: Faults,
) -> Router {
    build_router(AppState { stores: stores.into(), clock: Arc::new(clock), faults: Some(faults), received: None })
}

/// The practices' own systems as `openmig serve` runs them: [`router_with_faults`] plus
/// each practice's inbox ([`inbox`]), kept in `received`. The faults apply to the inbox
/// routes too, so a practice taken down refuses deliveries as it refuses reads.
pub fn practice_systems(
    stores: impl Into<PracticeStores>,
    clock: impl Fn() -> DateTime<Utc> + Send + Sync + 'static,
    faults: Faults,
    received: Arc<Inbox>,
) -> Router {
    let stores = stores.into();
    build_router(AppState { stores, clock: Arc::new(clock), faults: Some(faults), received: Some(received) })
}

fn build_router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/{ods}/STU3/1/gpconnect/structured/fhir/metadata", get(metadata).fallback(metadata_wrong_method))
        .route(
            "/{ods}/STU3/1/gpconnect/structured/fhir/Patient/{operation}",
            post(get_structured_record).fallback(wrong_method),
        )
        .route("/{ods}/inbox/fhir/{resource_type}", post(inbox::receive).fallback(inbox::wrong_method))
        .route("/{ods}/inbox", get(inbox::list));
    if let Some(faults) = state.faults.clone() {
        // route_layer: the faults apply to the FHIR routes above only, never to the admin
        // routes merged after them nor to the 404 fallback.
        routes = routes
            .route_layer(axum::middleware::from_fn_with_state(faults.clone(), faults::inject))
            .merge(faults::admin_routes(faults));
    }
    routes.fallback(not_found).with_state(state)
}

/// Serves `router` on `listener` until Ctrl-C.
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(async {
            // An error here means no signal handler could be installed; then the server
            // runs until the process is stopped.
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
        .await
}

/// `GET …/metadata`: the CapabilityStatement, under the same Spine header and JWT checks
/// as the operation (GP Connect's metadata read is an interaction like any other; an
/// expired token or a missing header is refused here too), with the metadata interaction
/// id and the `organization/*.read` scope.
///
/// The answer is FHIR JSON: a consumer whose `Accept` rules JSON out is refused with 406,
/// unless a `_format` query parameter asks for JSON (FHIR's `_format` overrides
/// `Accept`).
async fn metadata(
    State(state): State<AppState>,
    Path(ods): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ProviderError> {
    if !format_asks_for_json(query.as_deref()) {
        headers::check_accept(&headers)?;
    }
    let entry = practice(&state, &ods).await?;
    headers::check_ssp_for(&headers, &entry.practice.asid, headers::STRUCTURED_METADATA_INTERACTION, "metadata")?;
    let audience = format!("/{}/STU3/1/gpconnect/structured", entry.practice.ods_code);
    jwt::requester(&headers, &audience, jwt::ORGANIZATION_READ_SCOPE, (state.clock)())?;
    Ok(fhir_json(StatusCode::OK, &capability::capability_statement(&entry.practice)))
}

/// True when the query's `_format` names JSON (`json`, `application/json`,
/// `application/fhir+json`, percent-encoded or not).
fn format_asks_for_json(query: Option<&str>) -> bool {
    query.unwrap_or_default().split('&').filter_map(|pair| pair.split_once('=')).any(|(name, value)| {
        let value = value.replace("%2B", "+").replace("%2b", "+").replace("%2F", "/").replace("%2f", "/");
        name == "_format" && matches!(value.as_str(), "json" | "application/json" | "application/fhir+json")
    })
}

async fn get_structured_record(
    State(state): State<AppState>,
    Path((ods, operation)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProviderError> {
    if operation != GET_STRUCTURED_RECORD {
        return Err(not_found_error());
    }
    let entry = practice(&state, &ods).await?;
    if !entry.practice.sharing_enabled {
        // gpconnect.md §5: GP Connect switched off at the practice → 403 ACCESS_DENIED.
        return Err(ProviderError::new(SpineCode::AccessDenied, "GP Connect is not enabled at this practice."));
    }
    headers::check_ssp(&headers, &entry.practice.asid)?;
    let now = (state.clock)();
    let audience = format!("/{}/STU3/1/gpconnect/structured", entry.practice.ods_code);
    jwt::check_bearer(&headers, &audience, now)?;
    headers::check_content_type(&headers)?;
    headers::check_accept(&headers)?;
    let body = body.map_err(|_| ProviderError::bad_request("The request body could not be read."))?;
    let request = StructuredRequest::parse(&body, openmig_domain::uk_time::uk_date(now))?;
    let options = request.options()?;

    let wrong_patient = state.faults.as_ref().is_some_and(|f| f.get(&entry.practice.ods_code).wrong_patient);
    let record = if wrong_patient {
        faults::another_patients_record(&state, request.nhs_number, &entry.practice.ods_code).await?
    } else {
        patient_record(&state, request.nhs_number, &entry.practice.ods_code).await?
    };
    let mut bundle = openmig_fhir::structured_bundle(&record, &entry.practice, &entry.clinicians, &options);
    // GP Connect's Bundle page: `id` (1..1) is the request's Ssp-TraceID, as sent
    // (check_ssp has made sure there is one, and that it is a UUID).
    if let Some(trace_id) = headers.get("ssp-traceid").and_then(|value| value.to_str().ok()) {
        bundle["id"] = Value::String(trace_id.to_owned());
    }
    if !request.unrecognised.is_empty()
        && let Some(entries) = bundle.get_mut("entry").and_then(Value::as_array_mut)
    {
        let outcome = error::unrecognised_parameters_outcome(&request.unrecognised);
        entries.push(serde_json::json!({ "resource": outcome }));
    }
    Ok(fhir_json(StatusCode::OK, &bundle))
}

async fn wrong_method() -> ProviderError {
    ProviderError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        "The operation $gpc.getstructuredrecord must be invoked with POST.",
    )
}

/// Any method but GET (and HEAD) on the metadata endpoint: 405 with an OperationOutcome,
/// as for every other refusal (NHS England's `Http.feature`: "the response should be a
/// OperationOutcome resource" for PATCH, DELETE and OPTIONS), allowing GET.
async fn metadata_wrong_method() -> impl IntoResponse {
    let error = ProviderError::http(StatusCode::METHOD_NOT_ALLOWED, "The metadata endpoint is read with GET.");
    ([(header::ALLOW, "GET")], error)
}

async fn not_found() -> ProviderError {
    not_found_error()
}

fn not_found_error() -> ProviderError {
    ProviderError::http(StatusCode::NOT_FOUND, "No such endpoint on this provider.")
}

/// The practice named in the path, or 404 `ORGANISATION_NOT_FOUND`.
async fn practice(state: &AppState, ods: &str) -> Result<PracticeEntry, ProviderError> {
    let missing =
        || ProviderError::new(SpineCode::OrganisationNotFound, "No practice with this ODS code is served here.");
    let ods = OdsCode::parse(ods).map_err(|_| missing())?;
    let store = state.stores.store_of(&ods).ok_or_else(missing)?;
    let found = tokio::task::spawn_blocking(move || store.practice(&ods)).await.map_err(|_| internal())?;
    found.map_err(|_| internal())?.ok_or_else(missing)
}

/// The patient's record when this practice may disclose it.
///
/// gpconnect.md §5: unknown, deceased, inactive (deregistered), S-flagged (restricted)
/// and not registered here all give the same 404 `PATIENT_NOT_FOUND`, so the consumer
/// cannot tell them apart; only then does dissent give 403 `NO_PATIENT_CONSENT`.
async fn patient_record(state: &AppState, nhs_number: NhsNumber, ods: &OdsCode) -> Result<GpRecord, ProviderError> {
    let store = state.store_of(ods)?;
    let found = tokio::task::spawn_blocking(move || store.record(nhs_number)).await.map_err(|_| internal())?;
    let not_found = || ProviderError::new(SpineCode::PatientNotFound, "No patient with this NHS number is available.");
    let record = found.map_err(|_| internal())?.ok_or_else(not_found)?;
    let patient = &record.patient;
    if !patient.is_active() || patient.deceased.is_some() || patient.restricted || patient.registration.practice != *ods
    {
        return Err(not_found());
    }
    if record.has_dissented() {
        return Err(ProviderError::new(SpineCode::NoPatientConsent, "The patient has dissented from record sharing."));
    }
    Ok(record)
}

impl AppState {
    /// The store of `ods`, a practice [`practice`] has already found served here.
    fn store_of(&self, ods: &OdsCode) -> Result<Arc<dyn Store>, ProviderError> {
        self.stores.store_of(ods).ok_or_else(internal)
    }
}

fn internal() -> ProviderError {
    ProviderError::new(SpineCode::InternalServerError, "The record store could not be read.")
}

/// A 200 FHIR JSON response; GP Connect responses are never cached (gpconnect.md §1).
fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
