//! Operations: `/healthz` (the process answers) and `/readyz` (the store can be read
//! and the audit log can be written, so requests can be served safely).

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::Gateway;

/// Alive.
pub async fn healthz() -> Response {
    (StatusCode::OK, "ok\n").into_response()
}

/// Ready: the directory answers and the audit log is open for writing.
pub async fn readyz(State(gateway): State<Arc<Gateway>>) -> Response {
    let directory = Arc::clone(&gateway.directory);
    let audit = Arc::clone(&gateway.audit);
    let checks = tokio::task::spawn_blocking(move || (directory.counts().is_ok(), audit.is_writable())).await;
    match checks {
        Ok((true, true)) => (StatusCode::OK, "ready\n").into_response(),
        Ok((directory_ok, audit_ok)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: directory {}, audit {}\n", up(directory_ok), up(audit_ok)),
        )
            .into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "not ready\n").into_response(),
    }
}

fn up(ok: bool) -> &'static str {
    if ok { "ok" } else { "unavailable" }
}
