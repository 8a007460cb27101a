//! `GET /directory/patients/{nhs}`: where is this patient registered? A trace, as a PDS
//! lookup returns the registered practice, so a consumer knows whose record it will see
//! (and whether that practice shares) before asking for it. The answer is the directory
//! entry as the gateway itself uses it: the GP Connect endpoint published is the one
//! the gateway calls, with the practice's ASID and clinical system.

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
    let entry = &found.practice;
    let practice = &entry.practice;
    let patient = &found.patient;
    let registration = if patient.deceased.is_some() {
        "deceased"
    } else if patient.is_active() {
        "registered"
    } else {
        "not-registered"
    };
    // The endpoints are the directory's own, exactly what federation and delivery call.
    let body = json!({
        "nhsNumber": nhs_number.to_string(),
        "registration": registration,
        "practice": {
            "odsCode": practice.ods_code.to_string(),
            "name": practice.name,
            "clinicalSystem": practice.clinical_system.label(),
            "asid": practice.asid,
            "sharingEnabled": practice.sharing_enabled,
            "gpConnectEndpoint": entry.gp_connect.as_str(),
            "documentEndpoint": entry.documents.as_ref().map(|endpoint| endpoint.as_str()),
        },
    });
    access.release(&gateway, &found, 1).await?;
    Ok(json_response(StatusCode::OK, &body, "application/json"))
}
