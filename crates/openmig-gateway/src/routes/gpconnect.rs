//! GP Connect Access Record Structured at the gateway's own base (api.md):
//! `POST /gpconnect/fhir/Patient/$gpc.getstructuredrecord` and `GET /gpconnect/fhir/metadata`.
//!
//! Same request and response as a practice's provider, so a consumer needs no knowledge
//! of where the patient is registered. The request is checked with the provider's own
//! parser (one reading of the standard), then the gateway's policy decides and the
//! audit records before the Bundle is sent. `Ssp-To` may be omitted: the gateway is
//! the one that knows the practice.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use openmig_domain::Dataset;
use openmig_gpconnect::GET_STRUCTURED_RECORD;
use openmig_gpconnect::error::ProviderError;
use openmig_gpconnect::headers::{self, GET_STRUCTURED_RECORD_INTERACTION};
use openmig_gpconnect::parameters::StructuredRequest;
use serde_json::Value;

use crate::access::Access;
use crate::error::GatewayError;
use crate::routes::no_such_route;
use crate::{Gateway, fhir_json, with_source};

/// `GET /gpconnect/fhir/metadata`.
pub async fn metadata() -> Response {
    fhir_json(StatusCode::OK, &openmig_gpconnect::capability::capability_statement_published_by(GATEWAY_PUBLISHER))
}

/// Who the gateway's CapabilityStatement names as publisher.
const GATEWAY_PUBLISHER: &str = "openmig gateway";

/// GET (or any method but POST) on the operation.
pub async fn wrong_method() -> GatewayError {
    ProviderError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        "The operation $gpc.getstructuredrecord must be invoked with POST.",
    )
    .into()
}

/// `POST /gpconnect/fhir/Patient/$gpc.getstructuredrecord`.
pub async fn structured_record(
    State(gateway): State<Arc<Gateway>>,
    Path(operation): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, GatewayError> {
    if operation != GET_STRUCTURED_RECORD {
        return Err(no_such_route());
    }
    let access = Access::begin(&gateway, &headers, "gpconnect.getstructuredrecord").await?;
    let request = match read_request(&headers, body, gateway.today()) {
        Ok(request) => request,
        Err(error) => return Err(access.refuse(&gateway, None, None, Dataset::Clinical, error).await),
    };
    let options = match request.options() {
        Ok(options) => options,
        Err(error) => {
            return Err(access.refuse(&gateway, Some(request.nhs_number), None, Dataset::Clinical, error.into()).await);
        }
    };
    let (granted, fetched) = access.record(&gateway, request.nhs_number).await?;
    let mut bundle = openmig_fhir::relayed_structured_bundle(
        &fetched.record,
        &granted.practice.practice,
        &fetched.clinicians,
        &options,
        &fetched.caveats.withheld,
    );
    // GP Connect's Bundle page: `id` is the consumer's Ssp-TraceID, as it sent it.
    let bundle_id = crate::access::consumer_trace_id(&headers).map_or_else(|| access.trace_id.clone(), str::to_owned);
    bundle["id"] = Value::String(bundle_id);
    let entries = bundle.get_mut("entry").and_then(Value::as_array_mut);
    let items = entries.as_ref().map_or(0, |entries| entries.len());
    if let Some(entries) = entries {
        if !request.unrecognised.is_empty() {
            entries.push(serde_json::json!({
                "resource": openmig_gpconnect::error::unrecognised_parameters_outcome(&request.unrecognised)
            }));
        }
        if let Some(outcome) = crate::federation::practice_warnings_outcome(&fetched.caveats.warnings) {
            entries.push(serde_json::json!({ "resource": outcome }));
        }
        if let Some(outcome) = fetched.freshness.outcome() {
            entries.push(serde_json::json!({ "resource": outcome }));
        }
    }
    access.release(&gateway, &granted, items).await?;
    Ok(with_source(fhir_json(StatusCode::OK, &bundle), &fetched.freshness))
}

/// The checks a provider makes before its policy, minus `Ssp-To`.
fn read_request(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    today: chrono::NaiveDate,
) -> Result<StructuredRequest, GatewayError> {
    let interaction = headers.get("ssp-interactionid").and_then(|value| value.to_str().ok());
    if interaction != Some(GET_STRUCTURED_RECORD_INTERACTION) {
        return Err(ProviderError::bad_request(
            "The Ssp-InteractionID header must name the operation invoked (gpc.getstructuredrecord).",
        )
        .into());
    }
    headers::check_content_type(headers)?;
    headers::check_accept(headers)?;
    let body = body.map_err(|_| ProviderError::bad_request("The request body could not be read."))?;
    Ok(StructuredRequest::parse(&body, today)?)
}
