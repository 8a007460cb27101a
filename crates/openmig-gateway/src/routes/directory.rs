//! `GET /directory/patients/{nhs}`: where is this patient registered? A trace, as a PDS
//! lookup returns the registered practice, so a consumer knows whose record it will see
//! (and whether that practice shares) before asking for it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::access::Access;
use crate::error::GatewayError;
use crate::routes::medicines::parse_nhs;
use crate::{Gateway, json_response};

/// The trace.
pub async fn trace(
    State(gateway): State<Arc<Gateway>>,
    Path(nhs): Path<String>,
    headers: HeaderMap,
) -> Result<Response, GatewayError> {
    let access = Access::begin(&gateway, &headers, "directory.trace").await?;
    let nhs_number = parse_nhs(&access, &gateway, &nhs).await?;
    let found = access.trace(&gateway, nhs_number).await?;
    let practice = &found.practice.practice;
    let patient = &found.record.patient;
    let registration = if patient.deceased.is_some() {
        "deceased"
    } else if patient.is_active() {
        "registered"
    } else {
        "not-registered"
    };
    let body = json!({
        "nhsNumber": nhs_number.to_string(),
        "registration": registration,
        "practice": {
            "odsCode": practice.ods_code.to_string(),
            "name": practice.name,
            "clinicalSystem": practice.clinical_system.label(),
            "sharingEnabled": practice.sharing_enabled,
            "gpConnectEndpoint": format!(
                "{}{}",
                gateway.public_url.trim_end_matches('/'),
                openmig_provider::base_path(&practice.ods_code)
            ),
        },
    });
    access.release(&gateway, &found, 1).await?;
    Ok(json_response(StatusCode::OK, &body, "application/json"))
}
