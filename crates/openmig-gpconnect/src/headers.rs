//! The HTTP-level checks made before the body is read: the Spine Secure Proxy headers
//! (gpconnect.md §2, "Spine headers") and the media types (gpconnect.md §1 "Headers in
//! the example", api.md "All FHIR responses are `application/fhir+json`").

use axum::http::{HeaderMap, StatusCode, header};

use crate::error::ProviderError;

/// The interaction id of Access Record Structured (gpconnect.md §2 and §6, "Interaction IDs").
pub const GET_STRUCTURED_RECORD_INTERACTION: &str =
    "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";

/// The structured provider's metadata read (GP Connect's structured CapabilityStatement,
/// as NHS England's acceptance suite sends it).
pub const STRUCTURED_METADATA_INTERACTION: &str =
    "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1";

/// openmig's interaction id for delivering a write-back document to a practice's
/// inbox. GP Connect defines no HTTP interaction for this (its Send Document capability
/// travels by MESH), so this is openmig's own URN, not an NHS one.
pub const DELIVER_DOCUMENT_INTERACTION: &str = "urn:openmig:inbox:deliver-document-1";

/// Checks `Ssp-TraceID`, `Ssp-From`, `Ssp-To` and `Ssp-InteractionID` of a structured
/// record request: [`check_ssp_for`] with [`GET_STRUCTURED_RECORD_INTERACTION`].
pub fn check_ssp(headers: &HeaderMap, practice_asid: &str) -> Result<(), ProviderError> {
    check_ssp_for(headers, practice_asid, GET_STRUCTURED_RECORD_INTERACTION, "gpc.getstructuredrecord")
}

/// Checks `Ssp-TraceID`, `Ssp-From`, `Ssp-To` and `Ssp-InteractionID` (which must be
/// `interaction`, the operation named `operation` in errors).
///
/// gpconnect.md §2: all are mandatory; "mismatch or missing header -> 400 `BAD_REQUEST`".
/// `Ssp-TraceID` must be a UUID; `Ssp-To` must be the practice's own ASID (the provider
/// ASID the consumer looked up in SDS, §6 step 2).
pub fn check_ssp_for(
    headers: &HeaderMap,
    practice_asid: &str,
    interaction: &str,
    operation: &str,
) -> Result<(), ProviderError> {
    let trace_id = required(headers, "Ssp-TraceID")?;
    if !is_uuid(trace_id) {
        return Err(ProviderError::bad_request("The Ssp-TraceID header is not a UUID."));
    }
    let from = required(headers, "Ssp-From")?;
    if from.trim().is_empty() {
        return Err(ProviderError::bad_request("The Ssp-From header is empty."));
    }
    let to = required(headers, "Ssp-To")?;
    if to != practice_asid {
        return Err(ProviderError::bad_request("The Ssp-To header is not this practice's ASID."));
    }
    if required(headers, "Ssp-InteractionID")? != interaction {
        return Err(ProviderError::bad_request(format!(
            "The Ssp-InteractionID header does not match the operation invoked ({operation})."
        )));
    }
    Ok(())
}

/// Checks that the body is declared as FHIR JSON; anything else is refused with 415
/// (gpconnect.md §4 lists 415 among the SSP's HTTP errors). `application/fhir+xml` is
/// legal in STU3 but openmig speaks JSON only.
pub fn check_content_type(headers: &HeaderMap) -> Result<(), ProviderError> {
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(media_type);
    match declared {
        Some(media) if media == "application/fhir+json" => Ok(()),
        _ => Err(ProviderError::http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The Content-Type must be application/fhir+json.",
        )),
    }
}

/// Checks that the consumer accepts a JSON response; otherwise 406 (api.md: "406 for
/// formats not supported"). A missing `Accept` accepts anything.
pub fn check_accept(headers: &HeaderMap) -> Result<(), ProviderError> {
    let Some(accept) = headers.get(header::ACCEPT) else { return Ok(()) };
    let Ok(accept) = accept.to_str() else {
        return Err(ProviderError::http(StatusCode::NOT_ACCEPTABLE, "The Accept header is not readable."));
    };
    let acceptable = accept.split(',').map(media_type).any(|media| {
        matches!(
            media.as_str(),
            "application/fhir+json" | "application/json+fhir" | "application/json" | "application/*" | "*/*"
        )
    });
    if acceptable {
        Ok(())
    } else {
        Err(ProviderError::http(StatusCode::NOT_ACCEPTABLE, "This provider answers in application/fhir+json only."))
    }
}

fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, ProviderError> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| ProviderError::bad_request(format!("The {name} header is missing.")))
}

/// The media type without parameters, lower case: `application/fhir+json; charset=utf-8`
/// gives `application/fhir+json`.
fn media_type(text: &str) -> String {
    text.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// True for the 8-4-4-4-12 hexadecimal form of a UUID.
pub fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_needs_five_hex_groups_of_the_right_lengths() {
        assert!(is_uuid("2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a"));
        assert!(!is_uuid("2b1a8d5e9f444c3b8a6e2f0c1d3e4b5a"));
        assert!(!is_uuid("2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5z"));
        assert!(!is_uuid(""));
    }

    #[test]
    fn media_types_ignore_parameters_and_case() {
        assert_eq!(media_type("Application/FHIR+json ; charset=utf-8"), "application/fhir+json");
    }
}
