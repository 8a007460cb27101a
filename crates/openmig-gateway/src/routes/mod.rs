//! The gateway's HTTP routes (api.md, "Gateway"), one module per interface.

mod audit;
mod directory;
mod gpconnect;
mod inbox;
mod medicines;
mod ops;
mod r4;

use std::sync::Arc;

use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tower::{BoxError, ServiceBuilder};

use crate::Gateway;
use crate::error::GatewayError;

pub use inbox::{OUTBOX_INTERVAL, deliver_round, spawn_outbox};

/// Requests the gateway works on at once before it sheds load (503 + `Retry-After`)
/// rather than queueing until every answer is late.
pub const MAX_IN_FLIGHT: usize = 512;

/// All routes, over the shared gateway state, shedding load beyond [`MAX_IN_FLIGHT`].
pub fn router(gateway: Arc<Gateway>) -> Router {
    router_limited(gateway, MAX_IN_FLIGHT)
}

/// All routes with at most `max_in_flight` requests in progress; beyond that, 503 with
/// `Retry-After` at once. `/healthz` and `/readyz` are never shed, so an overloaded
/// gateway is not mistaken for a dead one.
pub fn router_limited(gateway: Arc<Gateway>, max_in_flight: usize) -> Router {
    let shedding = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: BoxError| async { overloaded() }))
        .load_shed()
        .concurrency_limit(max_in_flight);
    let operations = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(crate::metrics::exposition));
    api()
        .layer(shedding)
        .merge(operations)
        .route_layer(axum::middleware::from_fn_with_state(Arc::clone(&gateway), crate::metrics::track))
        .with_state(gateway)
}

/// 503 `GATEWAY_BUSY`: the gateway is at capacity; try again in a second.
fn overloaded() -> axum::response::Response {
    let mut response = GatewayError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "transient",
        "GATEWAY_BUSY",
        "The gateway is at capacity; please try again in a moment.",
    )
    .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The routes that do work (everything but the health checks).
fn api() -> Router<Arc<Gateway>> {
    Router::new()
        .route("/gpconnect/fhir/metadata", get(gpconnect::metadata))
        .route(
            "/gpconnect/fhir/Patient/{operation}",
            post(gpconnect::structured_record).fallback(gpconnect::wrong_method),
        )
        .route("/directory/patients/{nhs}", get(directory::trace))
        .route("/fhir/R4/metadata", get(r4::metadata))
        .route("/fhir/R4/Patient", get(r4::patient_search))
        .route("/fhir/R4/Patient/{id}", get(r4::patient_read))
        .route("/fhir/R4/Patient/{id}/{operation}", get(r4::everything))
        .route("/fhir/R4/{resource_type}", get(r4::type_search).post(inbox::create))
        .route("/api/v1/patients/{nhs}/medicines", get(medicines::review))
        .route("/api/v1/patients/{nhs}/medicines/requested-check", post(medicines::requested_check))
        .route("/practices/{ods}/audit", get(audit::report))
        .route("/practices/{ods}/inbox", get(inbox::list))
        .route("/practices/{ods}/inbox/{id}", get(inbox::read))
        .route("/practices/{ods}/inbox/{id}/ack", post(inbox::acknowledge))
}

/// 404 for a path the gateway does not serve, as an OperationOutcome.
pub(crate) fn no_such_route() -> GatewayError {
    GatewayError::new(StatusCode::NOT_FOUND, "not-found", "NOT_FOUND", "No such endpoint on this gateway.")
}
