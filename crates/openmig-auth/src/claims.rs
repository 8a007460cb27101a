//! The claim names, the shapes of the FHIR resources inside the GP Connect claims, and
//! the rules both the minting and the verifying side apply to them.
//!
//! The GP Connect claims keep the shapes gpconnect.md §2 gives (minimal STU3 `Device`,
//! `Organization` and `Practitioner`), so what the gateway verified can be forwarded to a
//! practice's provider unchanged in meaning.

use chrono::{DateTime, Utc};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use serde_json::{Map, Value, json};

use crate::AuthError;

/// `iss`: the issuer name; must equal the issuer the signing key is trusted for.
pub const ISSUER: &str = "iss";
/// `sub`: the user's id; must equal `requesting_practitioner.id` (GP Connect).
pub const SUBJECT: &str = "sub";
/// `aud`: who the token is for (a string, or an array of strings that must contain it).
pub const AUDIENCE: &str = "aud";
/// `iat`: issued at, whole seconds since 1970 (UTC).
pub const ISSUED_AT: &str = "iat";
/// `exp`: expires at, whole seconds since 1970 (UTC).
pub const EXPIRES_AT: &str = "exp";
/// `nbf`: optional, not valid before, whole seconds since 1970 (UTC).
pub const NOT_BEFORE: &str = "nbf";
/// `jti`: optional token id, recorded in the audit (minted tokens carry 128 random bits).
pub const TOKEN_ID: &str = "jti";
/// `reason_for_request`: always `directcare` (GP Connect).
pub const REASON_FOR_REQUEST: &str = "reason_for_request";
/// `requested_scope`: `patient/*.read` for record access (GP Connect).
pub const REQUESTED_SCOPE: &str = "requested_scope";
/// `requesting_device`: an STU3 `Device` (GP Connect).
pub const REQUESTING_DEVICE: &str = "requesting_device";
/// `requesting_organization`: an STU3 `Organization` with the ODS code (GP Connect).
pub const REQUESTING_ORGANIZATION: &str = "requesting_organization";
/// `requesting_practitioner`: an STU3 `Practitioner`, the logged-on user (GP Connect).
pub const REQUESTING_PRACTITIONER: &str = "requesting_practitioner";
/// `openmig_role`: the user's role, one of [`Role::ALL`] (`doctor`, `nurse`, ...).
pub const ROLE: &str = "openmig_role";
/// `openmig_consent`: optional, the consent basis for this episode (`given`,
/// `emergency`, `implied`).
pub const CONSENT: &str = "openmig_consent";
/// `openmig_override_reason`: why an emergency override is needed; required with
/// `openmig_consent = emergency` and refused without it.
pub const OVERRIDE_REASON: &str = "openmig_override_reason";

/// The one `reason_for_request` GP Connect defines.
pub const DIRECT_CARE: &str = "directcare";
/// The scope of a patient record read (what [`mint`](crate::mint) writes).
pub const PATIENT_READ_SCOPE: &str = "patient/*.read";
/// Every `requested_scope` GP Connect defines (gpconnect.md §2); the gateway's policy
/// decides which one an operation needs.
pub const GP_CONNECT_SCOPES: [&str; 4] =
    ["patient/*.read", "patient/*.write", "organization/*.read", "organization/*.write"];
/// gpconnect.md §2: the ODS code system of `requesting_organization.identifier`.
pub const ODS_ORGANIZATION_SYSTEM: &str = "https://fhir.nhs.uk/Id/ods-organization-code";
/// gpconnect.md §2: the SDS user id system of `requesting_practitioner.identifier`
/// (value `UNK` when the user has no smartcard id).
pub const SDS_USER_ID_SYSTEM: &str = "https://fhir.nhs.uk/Id/sds-user-id";
/// openmig's own ("consumer-defined", gpconnect.md §2) local user id system.
pub const LOCAL_USER_ID_SYSTEM: &str = "https://openmig.nhs.example/Id/user-id";
/// openmig's own ("consumer-defined") device identifier system.
pub const DEVICE_ID_SYSTEM: &str = "https://openmig.nhs.example/Id/device";
/// The longest emergency override reason, in characters.
pub const MAX_OVERRIDE_REASON_CHARS: usize = 500;
/// The longest user id, user name, device id or token id, in characters.
pub const MAX_TEXT_CHARS: usize = 256;

/// The GP Connect `Device`, `Organization` and `Practitioner` claim resources for one
/// user, as [`mint`](crate::mint) writes them,
/// [`Identity::gp_connect_claims`](crate::Identity::gp_connect_claims) rebuilds them, and
/// the gateway's outbox names the original sender of a write-back to the practice.
pub struct Requester<'a> {
    /// The user's id (`sub`, `requesting_practitioner.id`).
    pub user_id: &'a str,
    /// The user's name as the audit shows it.
    pub user_name: &'a str,
    /// The user's organisation.
    pub organisation: &'a OdsCode,
    /// The requesting system's device id.
    pub device: &'a str,
}

impl Requester<'_> {
    pub(crate) fn device(&self) -> Value {
        json!({
            "resourceType": "Device",
            "identifier": [{ "system": DEVICE_ID_SYSTEM, "value": self.device }],
            "model": "openmig",
            "version": env!("CARGO_PKG_VERSION"),
        })
    }

    pub(crate) fn organization(&self) -> Value {
        json!({
            "resourceType": "Organization",
            "identifier": [{ "system": ODS_ORGANIZATION_SYSTEM, "value": self.organisation.as_str() }],
        })
    }

    /// The name goes in `text` whole (it is what the audit shows) and, as GP Connect's
    /// examples have it, split into `family` (the last word) and `given` (the others).
    pub(crate) fn practitioner(&self) -> Value {
        let words: Vec<&str> = self.user_name.split_whitespace().collect();
        let (family, given) = words.split_last().map_or(("", &[][..]), |(last, rest)| (*last, rest));
        // An SDS user id is the 12-digit smartcard id; anyone else is `UNK` (gpconnect.md §2).
        let is_sds_id = self.user_id.len() == 12 && self.user_id.bytes().all(|b| b.is_ascii_digit());
        json!({
            "resourceType": "Practitioner",
            "id": self.user_id,
            "identifier": [
                { "system": SDS_USER_ID_SYSTEM, "value": if is_sds_id { self.user_id } else { "UNK" } },
                { "system": LOCAL_USER_ID_SYSTEM, "value": self.user_id },
            ],
            "name": [{ "text": self.user_name, "family": family, "given": given }],
        })
    }

    /// The GP Connect claims (without the openmig ones).
    pub fn gp_connect_claims(
        &self,
        issuer: &str,
        audience: &str,
        issued_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        purpose: &str,
        scope: &str,
    ) -> Map<String, Value> {
        let mut claims = Map::new();
        claims.insert(ISSUER.into(), json!(issuer));
        claims.insert(SUBJECT.into(), json!(self.user_id));
        claims.insert(AUDIENCE.into(), json!(audience));
        claims.insert(ISSUED_AT.into(), json!(issued_at.timestamp()));
        claims.insert(EXPIRES_AT.into(), json!(expires_at.timestamp()));
        claims.insert(REASON_FOR_REQUEST.into(), json!(purpose));
        claims.insert(REQUESTED_SCOPE.into(), json!(scope));
        claims.insert(REQUESTING_DEVICE.into(), self.device());
        claims.insert(REQUESTING_ORGANIZATION.into(), self.organization());
        claims.insert(REQUESTING_PRACTITIONER.into(), self.practitioner());
        claims
    }
}

/// A text claim value a person or the audit will read: not blank, at most
/// [`MAX_TEXT_CHARS`], no control characters. `Err` holds the reason.
pub(crate) fn check_text(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("it is empty".into());
    }
    if value.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("it is longer than {MAX_TEXT_CHARS} characters"));
    }
    if value.chars().any(is_forbidden_character) {
        return Err("it contains control characters".into());
    }
    Ok(())
}

/// The emergency override rule, shared by minting and verifying: `emergency` needs a
/// reason that is not blank, at most [`MAX_OVERRIDE_REASON_CHARS`] characters and free of
/// control characters (it is shown in the practice's review and audit report); other
/// bases must not carry one, so the audit never shows an "override reason" for an access
/// that was no override.
pub(crate) fn check_override_reason(consent: Option<ConsentBasis>, reason: Option<&str>) -> Result<(), AuthError> {
    match (consent, reason) {
        (Some(ConsentBasis::Emergency), None) => Err(AuthError::EmergencyReasonMissing),
        (Some(ConsentBasis::Emergency), Some(reason)) => {
            if reason.trim().is_empty() {
                Err(AuthError::EmergencyReasonMissing)
            } else if reason.chars().count() > MAX_OVERRIDE_REASON_CHARS {
                Err(AuthError::EmergencyReasonInvalid { reason: "it is longer than 500 characters" })
            } else if reason.chars().any(is_forbidden_character) {
                Err(AuthError::EmergencyReasonInvalid {
                    reason: "it contains control characters (line breaks, tabs or text-direction controls)",
                })
            } else {
                Ok(())
            }
        }
        (_, Some(_)) => Err(AuthError::claim_invalid(
            OVERRIDE_REASON,
            "an override reason is only allowed with openmig_consent = emergency",
        )),
        (_, None) => Ok(()),
    }
}

/// Control characters (C0, DEL, C1) and the Unicode bidirectional controls, which could
/// make an audit line read differently from what it holds.
fn is_forbidden_character(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// The valid roles as a list for messages: "doctor, nurse, ...".
pub(crate) fn role_names() -> String {
    Role::ALL.iter().map(|role| role.as_str()).collect::<Vec<_>>().join(", ")
}

/// The valid consent bases as a list for messages.
pub(crate) fn consent_names() -> String {
    ConsentBasis::ALL.iter().map(|basis| basis.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods() -> OdsCode {
        OdsCode::parse("RXX01").unwrap()
    }

    #[test]
    fn the_practitioner_claim_has_the_gp_connect_shape() {
        let organisation = ods();
        let requester = Requester {
            user_id: "123456789012",
            user_name: "Sam J Jones",
            organisation: &organisation,
            device: "ED-1",
        };
        let practitioner = requester.practitioner();
        assert_eq!(practitioner["id"], "123456789012");
        assert_eq!(practitioner["identifier"][0]["value"], "123456789012");
        assert_eq!(practitioner["name"][0], json!({ "text": "Sam J Jones", "family": "Jones", "given": ["Sam", "J"] }));
        let local = Requester { user_id: "u-7", ..requester };
        assert_eq!(local.practitioner()["identifier"][0]["value"], "UNK");
        assert_eq!(local.practitioner()["identifier"][1]["value"], "u-7");
    }

    #[test]
    fn emergency_needs_a_clean_reason_and_only_emergency_may_have_one() {
        let emergency = Some(ConsentBasis::Emergency);
        assert!(check_override_reason(emergency, Some("Unconscious after a fall")).is_ok());
        assert_eq!(check_override_reason(emergency, None).unwrap_err().code(), "EMERGENCY_REASON_MISSING");
        assert_eq!(check_override_reason(emergency, Some("  ")).unwrap_err().code(), "EMERGENCY_REASON_MISSING");
        let long = "x".repeat(501);
        assert_eq!(check_override_reason(emergency, Some(&long)).unwrap_err().code(), "EMERGENCY_REASON_INVALID");
        assert!(check_override_reason(emergency, Some(&"é".repeat(500))).is_ok(), "characters, not bytes");
        for bad in ["line\nbreak", "tab\there", "bidi\u{202E}trick", "nul\0"] {
            assert_eq!(check_override_reason(emergency, Some(bad)).unwrap_err().code(), "EMERGENCY_REASON_INVALID");
        }
        assert_eq!(
            check_override_reason(Some(ConsentBasis::Given), Some("why")).unwrap_err().code(),
            "TOKEN_CLAIM_INVALID"
        );
        assert!(check_override_reason(Some(ConsentBasis::Implied), None).is_ok());
        assert!(check_override_reason(None, None).is_ok());
    }

    #[test]
    fn text_claims_refuse_blank_long_and_control_text() {
        assert!(check_text("Dr Sam Jones").is_ok());
        assert!(check_text(" ").is_err());
        assert!(check_text(&"a".repeat(MAX_TEXT_CHARS + 1)).is_err());
        assert!(check_text("a\u{7}b").is_err());
    }
}
