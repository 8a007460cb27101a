//! The GP Connect bearer token: an unsigned JWT (`alg: none`, empty signature) whose
//! claims say who asks and why (gpconnect.md §2, "JWT rules").
//!
//! The provider accepts the unsigned token because in production it sits behind the
//! Spine's mutually authenticated channel (issue 4, `security.md`). It still checks the
//! claims: gpconnect.md §2 says "invalid/null claim value or wrong resource in a claim ->
//! 400 `BAD_REQUEST`; a claim resource failing validation -> 422 `INVALID_RESOURCE`", and
//! the provider tests it cites assert 400 for missing claims, a bad `exp` and a token that
//! is not base64, 422 for a malformed `requesting_device` or a wrong `resourceType` in the
//! device or practitioner claim, and 200 for an `iat` slightly in the future and for
//! `UNK` SDS ids or missing role-profile and local identifiers.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::error::ProviderError;

/// gpconnect.md §2: "`exp` — exactly `iat + 300` (5 min)".
pub const TOKEN_LIFETIME_SECONDS: i64 = 300;
/// How far in the future `iat` may lie (clock skew). gpconnect.md §2 only says an `iat`
/// "slightly in the future" must be accepted; openmig allows one token lifetime.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;
/// gpconnect.md §2: `reason_for_request` is always `directcare`.
pub const REASON_FOR_REQUEST: &str = "directcare";
/// gpconnect.md §2: `requested_scope` for getstructuredrecord.
pub const PATIENT_READ_SCOPE: &str = "patient/*.read";
/// The `requested_scope` of a metadata read (NHS England's acceptance suite,
/// JWT.feature: "organization/*.read for metadata").
pub const ORGANIZATION_READ_SCOPE: &str = "organization/*.read";
/// gpconnect.md §2: `requested_scope` of a write to the patient's record, which is what
/// delivering a document to the practice's inbox is.
pub const PATIENT_WRITE_SCOPE: &str = "patient/*.write";
/// The SDS user id system a requesting practitioner must carry (value may be `UNK`).
pub const SDS_USER_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// The ODS code system of the requesting organisation.
pub const ODS_ORGANIZATION_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";

/// Checks the `Authorization: Bearer <JWT>` header of a structured record request.
///
/// `audience_path` is the path of this practice's service root
/// (`/{ODS}/STU3/1/gpconnect/structured`): the `aud` claim must be an http(s) URL of
/// that root (gpconnect.md §2: "`aud` — provider's service root URL"; §6 shows the root
/// with and without the trailing `/fhir`). openmig does not know the host name it is
/// reached by behind the proxy, so only the path is compared.
pub fn check_bearer(headers: &HeaderMap, audience_path: &str, now: DateTime<Utc>) -> Result<(), ProviderError> {
    requester(headers, audience_path, PATIENT_READ_SCOPE, now).map(|_| ())
}

/// Who a checked bearer token says is asking: the `requesting_practitioner` and
/// `requesting_organization` claims. The provider keeps it with what it is sent (the
/// sender of a document delivered to the practice's inbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requester {
    /// `sub`, which equals `requesting_practitioner.id`.
    pub user_id: String,
    /// The practitioner's name: its `text`, else its given names and family name.
    pub user_name: String,
    /// The ODS code of `requesting_organization`.
    pub organisation: String,
}

/// Checks the `Authorization: Bearer <JWT>` header as [`check_bearer`] does, but for
/// `scope`, and returns who is asking.
pub fn requester(
    headers: &HeaderMap,
    audience_path: &str,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<Requester, ProviderError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ProviderError::bad_request("The Authorization header must carry a Bearer JWT."))?;
    let claims = decode_unsigned(token)?;
    check_claims(&claims, audience_path, scope, now)
}

/// Splits and decodes `base64url(header).base64url(payload).` and returns the claims.
fn decode_unsigned(token: &str) -> Result<Map<String, Value>, ProviderError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [header_part, payload_part, signature] = parts.as_slice() else {
        return Err(ProviderError::bad_request("The JWT must have three dot-separated parts."));
    };
    if !signature.is_empty() {
        return Err(ProviderError::bad_request("The JWT must be unsigned (alg none, empty signature)."));
    }
    let header = decode_part(header_part, "header")?;
    if header.get("alg").and_then(Value::as_str) != Some("none") {
        return Err(ProviderError::bad_request("The JWT header must say alg none."));
    }
    decode_part(payload_part, "payload")
}

fn decode_part(part: &str, what: &str) -> Result<Map<String, Value>, ProviderError> {
    let bytes = URL_SAFE_NO_PAD_INDIFFERENT
        .decode(part)
        .map_err(|_| ProviderError::bad_request(format!("The JWT {what} is not base64url.")))?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ProviderError::bad_request(format!("The JWT {what} is not a JSON object."))),
    }
}

fn check_claims(
    claims: &Map<String, Value>,
    audience_path: &str,
    scope: &str,
    now: DateTime<Utc>,
) -> Result<Requester, ProviderError> {
    string_claim(claims, "iss")?;
    let sub = string_claim(claims, "sub")?;
    let aud = string_claim(claims, "aud")?;
    if !audience_matches(aud, audience_path) {
        return Err(ProviderError::bad_request("The JWT aud claim is not this practice's service root URL."));
    }
    let iat = integer_claim(claims, "iat")?;
    let exp = integer_claim(claims, "exp")?;
    if exp != iat.saturating_add(TOKEN_LIFETIME_SECONDS) {
        return Err(ProviderError::bad_request("The JWT exp claim must be exactly iat + 300 seconds."));
    }
    if now.timestamp() >= exp {
        return Err(ProviderError::bad_request("The JWT has expired."));
    }
    if iat > now.timestamp().saturating_add(MAX_CLOCK_SKEW_SECONDS) {
        return Err(ProviderError::bad_request("The JWT iat claim lies too far in the future."));
    }
    if string_claim(claims, "reason_for_request")? != REASON_FOR_REQUEST {
        return Err(ProviderError::bad_request("The JWT reason_for_request claim must be directcare."));
    }
    if string_claim(claims, "requested_scope")? != scope {
        return Err(ProviderError::bad_request(format!("The JWT requested_scope claim must be {scope}.")));
    }

    let device = resource_claim(claims, "requesting_device", "Device")?;
    if !has_identifier(device, None) || !is_text(device.get("model")) || !is_text(device.get("version")) {
        return Err(ProviderError::invalid_resource(
            "The JWT requesting_device claim needs an identifier, a model and a version.",
        ));
    }
    let organization = resource_claim(claims, "requesting_organization", "Organization")?;
    if !has_identifier(organization, Some(ODS_ORGANIZATION_SYSTEM)) {
        return Err(ProviderError::invalid_resource(
            "The JWT requesting_organization claim needs an ODS code identifier.",
        ));
    }
    let practitioner = resource_claim(claims, "requesting_practitioner", "Practitioner")?;
    match practitioner.get("id").and_then(Value::as_str) {
        Some(id) if id == sub => {}
        _ => return Err(ProviderError::bad_request("The JWT sub claim must equal requesting_practitioner.id.")),
    }
    if !has_identifier(practitioner, Some(SDS_USER_ID_SYSTEM)) || practitioner.get("name").is_none() {
        return Err(ProviderError::invalid_resource(
            "The JWT requesting_practitioner claim needs a name and an SDS user id identifier.",
        ));
    }
    Ok(Requester {
        user_id: sub.to_string(),
        user_name: practitioner_name(practitioner),
        organisation: identifier_value(organization, ODS_ORGANIZATION_SYSTEM).unwrap_or_default().to_string(),
    })
}

/// The first name's `text`, else its given names and family name joined by spaces.
fn practitioner_name(practitioner: &Map<String, Value>) -> String {
    let name = match practitioner.get("name") {
        Some(Value::Array(names)) => names.first(),
        other => other,
    };
    let Some(name) = name else { return String::new() };
    if let Some(text) = name.get("text").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
        return text.trim().to_string();
    }
    let given = name.get("given").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    let family = name.get("family").and_then(Value::as_str);
    given.chain(family).map(str::trim).filter(|part| !part.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The value of the resource's identifier in `system`.
fn identifier_value<'a>(resource: &'a Map<String, Value>, system: &str) -> Option<&'a str> {
    resource
        .get("identifier")?
        .as_array()?
        .iter()
        .find(|identifier| identifier.get("system").and_then(Value::as_str) == Some(system))?
        .get("value")?
        .as_str()
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Result<&'a str, ProviderError> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ProviderError::bad_request(format!("The JWT {name} claim is missing or not a string.")))
}

fn integer_claim(claims: &Map<String, Value>, name: &str) -> Result<i64, ProviderError> {
    claims
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| ProviderError::bad_request(format!("The JWT {name} claim is missing or not an integer.")))
}

/// A claim holding a resource: not an object → 400 (invalid claim value); an object of
/// the wrong `resourceType` → 422 (gpconnect.md §2, provider tests).
fn resource_claim<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
    resource_type: &str,
) -> Result<&'a Map<String, Value>, ProviderError> {
    let resource = claims
        .get(name)
        .and_then(Value::as_object)
        .ok_or_else(|| ProviderError::bad_request(format!("The JWT {name} claim is missing or not a resource.")))?;
    if resource.get("resourceType").and_then(Value::as_str) != Some(resource_type) {
        return Err(ProviderError::invalid_resource(format!(
            "The JWT {name} claim must be a {resource_type} resource."
        )));
    }
    // A claim is a FHIR STU3 resource: one with an element its type does not define is not
    // valid (NHS England's acceptance suite, "JWT - Requesting Device - invalid": 422).
    let known = stu3_elements(resource_type);
    if let Some(unknown) = resource.keys().find(|key| !known.contains(&key.as_str())) {
        let unknown: String = unknown.chars().filter(char::is_ascii_alphanumeric).take(40).collect();
        return Err(ProviderError::invalid_resource(format!(
            "The JWT {name} claim is not a valid {resource_type}: it has no element {unknown}."
        )));
    }
    Ok(resource)
}

/// The elements FHIR STU3 defines for the resource types the JWT claims carry (the
/// resource-level elements, then the type's own).
fn stu3_elements(resource_type: &str) -> Vec<&'static str> {
    const RESOURCE: &[&str] = &[
        "resourceType",
        "id",
        "meta",
        "implicitRules",
        "language",
        "text",
        "contained",
        "extension",
        "modifierExtension",
    ];
    let own: &[&str] = match resource_type {
        "Device" => &[
            "identifier",
            "udi",
            "status",
            "type",
            "lotNumber",
            "manufacturer",
            "manufactureDate",
            "expirationDate",
            "model",
            "version",
            "patient",
            "owner",
            "contact",
            "location",
            "url",
            "note",
            "safety",
        ],
        "Organization" => {
            &["identifier", "active", "type", "name", "alias", "telecom", "address", "partOf", "contact", "endpoint"]
        }
        "Practitioner" => &[
            "identifier",
            "active",
            "name",
            "telecom",
            "address",
            "gender",
            "birthDate",
            "photo",
            "qualification",
            "communication",
        ],
        _ => &[],
    };
    RESOURCE.iter().chain(own).copied().collect()
}

/// True when the resource has an identifier with a value (and, when given, that system).
fn has_identifier(resource: &Map<String, Value>, system: Option<&str>) -> bool {
    let Some(identifiers) = resource.get("identifier").and_then(Value::as_array) else { return false };
    identifiers.iter().any(|identifier| {
        is_text(identifier.get("value"))
            && match system {
                Some(system) => identifier.get("system").and_then(Value::as_str) == Some(system),
                None => is_text(identifier.get("system")),
            }
    })
}

fn is_text(value: Option<&Value>) -> bool {
    value.and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty())
}

fn audience_matches(aud: &str, audience_path: &str) -> bool {
    let Some(rest) = aud.strip_prefix("https://").or_else(|| aud.strip_prefix("http://")) else { return false };
    let Some(slash) = rest.find('/') else { return false };
    let path = rest[slash..].trim_end_matches('/');
    let path = path.strip_suffix("/fhir").unwrap_or(path);
    path == audience_path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audience_may_name_the_root_with_or_without_fhir() {
        let root = "/Z90001/STU3/1/gpconnect/structured";
        assert!(audience_matches("https://provider.example/Z90001/STU3/1/gpconnect/structured", root));
        assert!(audience_matches("http://127.0.0.1:8080/Z90001/STU3/1/gpconnect/structured/fhir/", root));
        assert!(!audience_matches("https://provider.example/Z90002/STU3/1/gpconnect/structured", root));
        assert!(!audience_matches("Z90001/STU3/1/gpconnect/structured", root));
    }
}
