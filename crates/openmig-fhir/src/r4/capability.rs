//! The R4 `CapabilityStatement` of openmig's UK Core API: only what really works.
//!
//! Served: `Patient` read, `Patient` search by `identifier` (NHS number), and
//! `Patient/{id}/$everything`; search by `patient` on each of the seven clinical types.
//! Nothing else (no create, update, history, other search parameters, `_include`
//! or paging) is listed, so a client never tries what would fail.

use serde_json::{Value, json};

use super::{ResourceType, urls};

/// Builds the statement (see [`super::capability_statement`]).
pub(crate) fn capability_statement(base_url: &str, now_date: &str) -> Value {
    let mut resources = vec![json!({
        "type": "Patient",
        "supportedProfile": [urls::profiles::PATIENT],
        "interaction": [{ "code": "read" }, { "code": "search-type" }],
        "searchParam": [{
            "name": "identifier",
            "type": "token",
            "documentation": format!(
                "The NHS number, as {}|{{nhsNumber}}. Exactly one patient or none.",
                urls::NHS_NUMBER_SYSTEM
            ),
        }],
        "operation": [{
            "name": "everything",
            "definition": urls::PATIENT_EVERYTHING_OPERATION,
            "documentation": "The patient, their registered practice, the clinicians referenced and every shared \
                              resource of the seven clinical types.",
        }],
    })];
    resources.extend(ResourceType::SEARCHABLE.iter().map(|kind| {
        json!({
            "type": kind.name(),
            "supportedProfile": [kind.profile()],
            "interaction": [{ "code": "search-type" }],
            "searchParam": [{
                "name": "patient",
                "type": "reference",
                "documentation": "The patient's logical id (the NHS number).",
            }],
        })
    }));
    json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now_date,
        "publisher": "openmig",
        "description": "openmig Medical Interoperability Gateway: GP-held records as FHIR R4 UK Core resources. \
                        Confidential entries and the sensitive exclusion set are never returned.",
        "kind": "instance",
        "software": { "name": "openmig", "version": env!("CARGO_PKG_VERSION") },
        "implementation": { "description": "openmig FHIR R4 UK Core API", "url": base_url.trim_end_matches('/') },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "security": {
                "description": "Every request needs Authorization: Bearer <JWT> signed by a trusted issuer, with \
                                the user's role and the basis for access; see the openmig README for the claims.",
            },
            "resource": resources,
        }],
    })
}
