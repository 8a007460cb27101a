//! Minting: a [`TokenRequest`] becomes signed claims. Used by `openmig token`, `openmig
//! demo` and the tests; a real deployment's tokens come from its own identity provider.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use jsonwebtoken::Header;
use openmig_domain::{ConsentBasis, OdsCode, Role};
use serde_json::{Map, Value, json};

use crate::claims::{self, Requester};
use crate::{AuthError, DEFAULT_AUDIENCE, IssuerKey};

/// The lifetime of a token when the request does not say (and the `--ttl` default of
/// `openmig token`): one hour, the gateway's default maximum.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);
/// The longest lifetime [`mint`] writes, whatever a gateway would accept: one day.
pub const MAX_MINT_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The device id of tokens minted by the command line.
pub const DEFAULT_DEVICE: &str = "openmig-cli";

/// Who a token is for and on what basis.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// The user's id (`sub` and `requesting_practitioner.id`); a 12-digit id is taken to
    /// be an SDS smartcard id.
    pub user_id: String,
    /// The user's name as the audit shows it.
    pub user_name: String,
    /// The user's role (`openmig_role`).
    pub role: Role,
    /// The user's organisation (`requesting_organization`).
    pub organisation: OdsCode,
    /// The device or system id (`requesting_device`).
    pub device: String,
    /// The consent basis for this episode (`openmig_consent`), if the token carries one.
    pub consent: Option<ConsentBasis>,
    /// Why an emergency override is needed (`openmig_override_reason`); required with
    /// [`ConsentBasis::Emergency`] and refused with any other basis.
    pub override_reason: Option<String>,
    /// The `aud` claim, normally [`DEFAULT_AUDIENCE`].
    pub audience: String,
    /// `exp - iat`; whole seconds, 1 s to [`MAX_MINT_TTL`].
    pub ttl: Duration,
    /// `reason_for_request`: must be `directcare`.
    pub purpose: String,
}

impl TokenRequest {
    /// A request with the defaults: name = user id, device [`DEFAULT_DEVICE`], no consent
    /// basis, audience [`DEFAULT_AUDIENCE`], lifetime [`DEFAULT_TOKEN_TTL`], purpose
    /// `directcare`.
    pub fn new(user_id: impl Into<String>, role: Role, organisation: OdsCode) -> Self {
        let user_id = user_id.into();
        TokenRequest {
            user_name: user_id.clone(),
            user_id,
            role,
            organisation,
            device: DEFAULT_DEVICE.to_string(),
            consent: None,
            override_reason: None,
            audience: DEFAULT_AUDIENCE.to_string(),
            ttl: DEFAULT_TOKEN_TTL,
            purpose: claims::DIRECT_CARE.to_string(),
        }
    }

    /// The claims [`mint`] signs for this request, issued by `issuer` at `now`: a JSON
    /// object to change and sign with [`IssuerKey::sign_claims`] when a test needs a
    /// token the gateway must refuse. Refuses what `mint` refuses.
    pub fn claims(&self, issuer: &str, now: DateTime<Utc>) -> Result<Map<String, Value>, AuthError> {
        self.validate()?;
        let ttl = TimeDelta::seconds(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX));
        let issued_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let expires_at = issued_at
            .checked_add_signed(ttl)
            .ok_or_else(|| AuthError::invalid_request("the expiry time is out of range"))?;
        let requester = Requester {
            user_id: &self.user_id,
            user_name: &self.user_name,
            organisation: &self.organisation,
            device: &self.device,
        };
        let mut claims = requester.gp_connect_claims(
            issuer,
            &self.audience,
            issued_at,
            expires_at,
            &self.purpose,
            claims::PATIENT_READ_SCOPE,
        );
        claims.insert(claims::TOKEN_ID.into(), json!(random_token_id()?));
        claims.insert(claims::ROLE.into(), json!(self.role.as_str()));
        if let Some(consent) = self.consent {
            claims.insert(claims::CONSENT.into(), json!(consent.as_str()));
        }
        if let Some(reason) = &self.override_reason {
            claims.insert(claims::OVERRIDE_REASON.into(), json!(reason));
        }
        Ok(claims)
    }

    /// Refuses a request for a token the gateway would refuse (what [`mint`] checks
    /// first; a command line can call it before touching any key).
    pub fn validate(&self) -> Result<(), AuthError> {
        let fields = [("user id", &self.user_id), ("user name", &self.user_name), ("device", &self.device)];
        for (what, value) in fields {
            claims::check_text(value)
                .map_err(|reason| AuthError::invalid_request(format!("the {what} is invalid: {reason}")))?;
        }
        if self.audience.trim().is_empty() || self.audience.chars().any(char::is_control) {
            return Err(AuthError::invalid_request("the audience must be a non-empty name without control characters"));
        }
        if self.purpose != claims::DIRECT_CARE {
            return Err(AuthError::invalid_request("the purpose (reason_for_request) must be directcare"));
        }
        if self.ttl.as_secs() == 0 || self.ttl > MAX_MINT_TTL {
            return Err(AuthError::invalid_request(format!(
                "the lifetime must be between 1 and {} seconds",
                MAX_MINT_TTL.as_secs()
            )));
        }
        claims::check_override_reason(self.consent, self.override_reason.as_deref())
    }
}

impl fmt::Debug for TokenRequest {
    /// The override reason is free text that may describe the patient: shown as its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("role", &self.role)
            .field("organisation", &self.organisation)
            .field("device", &self.device)
            .field("consent", &self.consent)
            .field("override_reason", &self.override_reason.as_ref().map(|r| format!("<{} chars>", r.chars().count())))
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .field("purpose", &self.purpose)
            .finish()
    }
}

/// A signed ES256 token for `request`, issued by `key` at `now`.
///
/// Refuses (with [`AuthError::InvalidRequest`], [`AuthError::EmergencyReasonMissing`] or
/// [`AuthError::EmergencyReasonInvalid`]) a request the gateway would refuse: blank or
/// control-character user, name or device; a purpose other than `directcare`; a lifetime
/// outside 1 s ..= [`MAX_MINT_TTL`]; an emergency without a valid reason or a reason
/// without an emergency.
pub fn mint(key: &IssuerKey, request: &TokenRequest, now: DateTime<Utc>) -> Result<String, AuthError> {
    let claims = request.claims(key.issuer(), now)?;
    key.sign_claims(&claims)
}

impl IssuerKey {
    /// Signs any JSON object as the claims of an ES256 token with this key's `kid`. No
    /// rule is checked: this is how tests make tokens the gateway must refuse (expired,
    /// wrong audience, an emergency without a reason) that are still validly signed.
    pub fn sign_claims(&self, claims: &Map<String, Value>) -> Result<String, AuthError> {
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.key_id().to_string());
        jsonwebtoken::encode(&header, claims, self.encoding_key()).map_err(|_| AuthError::Crypto { what: "signing" })
    }
}

/// 128 random bits, base64url.
fn random_token_id() -> Result<String, AuthError> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| AuthError::Crypto { what: "drawing random bytes" })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}
