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
use axum::http::StatusCode;
use axum::routing::{get, post};

use crate::Gateway;
use crate::error::GatewayError;

pub use inbox::{OUTBOX_INTERVAL, spawn_outbox};

/// All routes, over the shared gateway state.
pub fn router(gateway: Arc<Gateway>) -> Router {
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
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .with_state(gateway)
}

/// 404 for a path the gateway does not serve, as an OperationOutcome.
pub(crate) fn no_such_route() -> GatewayError {
    GatewayError::new(StatusCode::NOT_FOUND, "not-found", "NOT_FOUND", "No such endpoint on this gateway.")
}
