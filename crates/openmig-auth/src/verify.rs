//! Verifying: an `Authorization` header becomes an [`Identity`] or a refusal.
//!
//! The order is deliberate. Cheap checks on untrusted bytes come first (size, scheme,
//! shape); the header's algorithm is judged before any key is looked at, so `alg: none`
//! and HMAC tokens never reach a key (the key-confusion attack needs the verifier to feed
//! a public key to HMAC); the key is chosen by `kid` (or by issuer when there is no
//! `kid`) and must be trusted for exactly the header's algorithm; only after the signature
//! verifies are the claims read as facts. `jsonwebtoken` checks the signature
//! (`jsonwebtoken::crypto::verify`, aws-lc-rs underneath); its `decode` is not used
//! because it reads the system clock, and every time rule here runs against the `now`
//! the caller passes in.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use serde_json::{Map, Value};

use crate::claims::{self, Requester};
use crate::key::{PublicKey, key_id};
use crate::{Algorithm, AuthError, IssuerKey};

/// The largest `Authorization` header value looked at, in bytes; larger ones are refused
/// before any parsing. Minted tokens are about 1.2 KiB.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;
/// Clock skew allowed on `exp`, `nbf` and `iat`, in seconds: fixed, small, so a token is
/// never accepted more than half a minute after it expired.
pub const CLOCK_LEEWAY_SECONDS: i64 = 30;
/// The default maximum of `exp - iat`: one hour.
pub const DEFAULT_MAX_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Who is asking, as a verified token says.
#[derive(Clone, PartialEq, Eq)]
pub struct Identity {
    /// `iss`: the trusted issuer whose key signed the token.
    pub issuer: String,
    /// `sub` (= `requesting_practitioner.id`).
    pub user_id: String,
    /// `requesting_practitioner.name`: its `text`, else prefix, given and family names.
    pub user_name: String,
    /// `openmig_role`.
    pub role: Role,
    /// The ODS code in `requesting_organization`.
    pub organisation: OdsCode,
    /// The identifier value of `requesting_device`.
    pub device: String,
    /// `reason_for_request` (always `directcare`).
    pub purpose: String,
    /// `requested_scope` (one of [`claims::GP_CONNECT_SCOPES`]).
    pub scope: String,
    /// `openmig_consent`, when the token carries one.
    pub consent: Option<ConsentBasis>,
    /// `openmig_override_reason`: present exactly when `consent` is `emergency`.
    pub override_reason: Option<String>,
    /// `jti`, when the token carries one.
    pub token_id: Option<String>,
    /// `exp`.
    pub expires_at: DateTime<Utc>,
}

impl Identity {
    /// The GP Connect claims for the gateway → provider leg, on behalf of this user:
    /// `iss` = `issuer` (the gateway as a consumer system), `aud` = the provider's service
    /// root, `exp = iat + 300` (gpconnect.md §2), the same `Device`, `Organization` and
    /// `Practitioner` shapes [`mint`](crate::mint) writes, `reason_for_request` and
    /// `requested_scope` from the verified token. No openmig claims.
    pub fn gp_connect_claims(&self, issuer: &str, audience: &str, now: DateTime<Utc>) -> Map<String, Value> {
        let issued_at = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let requester = Requester {
            user_id: &self.user_id,
            user_name: &self.user_name,
            organisation: &self.organisation,
            device: &self.device,
        };
        requester.gp_connect_claims(
            issuer,
            audience,
            issued_at,
            issued_at + chrono::TimeDelta::seconds(300),
            &self.purpose,
            &self.scope,
        )
    }
}

impl fmt::Debug for Identity {
    /// The override reason is free text that may describe the patient: shown as its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("issuer", &self.issuer)
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("role", &self.role)
            .field("organisation", &self.organisation)
            .field("device", &self.device)
            .field("purpose", &self.purpose)
            .field("scope", &self.scope)
            .field("consent", &self.consent)
            .field("override_reason", &self.override_reason.as_ref().map(|r| format!("<{} chars>", r.chars().count())))
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The issuers the gateway trusts: for each key, its issuer name, key id and algorithm.
///
/// Keys are found by the token's `kid`; a token without `kid` is tried against the keys
/// of the issuer its `iss` names. Key ids are unique across issuers.
#[derive(Clone)]
pub struct TrustedIssuers {
    keys: Vec<TrustedKey>,
    max_lifetime: Duration,
}

#[derive(Clone)]
struct TrustedKey {
    issuer: String,
    key_id: String,
    key: PublicKey,
}

impl Default for TrustedIssuers {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for TrustedIssuers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<_> = self.keys.iter().map(|k| (&k.issuer, &k.key_id, k.key.algorithm)).collect();
        f.debug_struct("TrustedIssuers").field("keys", &keys).field("max_lifetime", &self.max_lifetime).finish()
    }
}

impl TrustedIssuers {
    /// Trusts nobody yet; maximum lifetime [`DEFAULT_MAX_LIFETIME`].
    pub fn new() -> Self {
        TrustedIssuers { keys: Vec::new(), max_lifetime: DEFAULT_MAX_LIFETIME }
    }

    /// Trusts `key`'s issuer with its public key (ES256): what `openmig demo` and tests use.
    pub fn from_key(key: &IssuerKey) -> Self {
        let mut trusted = Self::new();
        trusted.keys.push(TrustedKey {
            issuer: key.issuer().to_string(),
            key_id: key.key_id().to_string(),
            key: PublicKey {
                algorithm: Algorithm::Es256,
                spki_der: key.public_key_der().to_vec(),
                decoding_key: jsonwebtoken::DecodingKey::from_ec_der(key.public_key_der()),
            },
        });
        trusted
    }

    /// Trusts `issuer` with a public key in PEM (`PUBLIC KEY`, or `RSA PUBLIC KEY` for
    /// RS256), under the key id [`key_id`](crate::key_id) derives from it, which is the
    /// `kid` openmig's own issuer writes.
    pub fn trust(&mut self, issuer: &str, algorithm: Algorithm, public_key_pem: &str) -> Result<(), AuthError> {
        let key = PublicKey::from_pem(algorithm, public_key_pem)?;
        let derived = key_id(&key.spki_der);
        self.add(issuer, derived, key)
    }

    /// Like [`trust`](Self::trust), under the key id the issuer itself gives the key (the
    /// `kid` an external identity provider writes).
    pub fn trust_with_key_id(
        &mut self,
        issuer: &str,
        key_id: &str,
        algorithm: Algorithm,
        public_key_pem: &str,
    ) -> Result<(), AuthError> {
        if key_id.is_empty() || key_id.len() > claims::MAX_TEXT_CHARS || key_id.chars().any(char::is_control) {
            return Err(AuthError::invalid_key("the key id must be 1 to 256 characters without control characters"));
        }
        let key = PublicKey::from_pem(algorithm, public_key_pem)?;
        self.add(issuer, key_id.to_string(), key)
    }

    fn add(&mut self, issuer: &str, key_id: String, key: PublicKey) -> Result<(), AuthError> {
        if issuer.trim().is_empty() || issuer.chars().any(char::is_control) {
            return Err(AuthError::invalid_key("the issuer name must be non-empty, without control characters"));
        }
        if let Some(existing) = self.keys.iter().find(|k| k.key_id == key_id) {
            let same = existing.issuer == issuer
                && existing.key.algorithm == key.algorithm
                && existing.key.spki_der == key.spki_der;
            return if same { Ok(()) } else { Err(AuthError::KeyIdConflict { key_id }) };
        }
        self.keys.push(TrustedKey { issuer: issuer.to_string(), key_id, key });
        Ok(())
    }

    /// The same set with another maximum `exp - iat`.
    pub fn with_max_lifetime(mut self, max_lifetime: Duration) -> Self {
        self.max_lifetime = max_lifetime;
        self
    }

    /// Sets the maximum `exp - iat`.
    pub fn set_max_lifetime(&mut self, max_lifetime: Duration) {
        self.max_lifetime = max_lifetime;
    }

    /// The maximum `exp - iat`.
    pub fn max_lifetime(&self) -> Duration {
        self.max_lifetime
    }

    /// True when no key is trusted (every token would be refused).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The trusted keys: (issuer, key id, algorithm).
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str, Algorithm)> {
        self.keys.iter().map(|k| (k.issuer.as_str(), k.key_id.as_str(), k.key.algorithm))
    }

    /// Verifies the value of an `Authorization` header (`Bearer <JWT>`, scheme in any
    /// letter case) for `audience` at `now`, and returns who is asking.
    pub fn verify(
        &self,
        authorization_header: Option<&str>,
        audience: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, AuthError> {
        let token = bearer_token(authorization_header)?;
        let parts = split_compact(token)?;
        let header = decode_json_object(parts.header, "the header is not base64url JSON")?;
        let algorithm = judge_header(&header)?;
        if parts.signature.is_empty() {
            return Err(AuthError::Unsigned);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(parts.signature)
            .map_err(|_| AuthError::Malformed { reason: "the signature is not base64url" })?;
        if signature.is_empty() {
            return Err(AuthError::Unsigned);
        }
        let key_id = match header.get("kid") {
            None | Some(Value::Null) => None,
            Some(Value::String(kid)) if !kid.is_empty() && kid.len() <= claims::MAX_TEXT_CHARS => Some(kid.as_str()),
            Some(_) => return Err(AuthError::Malformed { reason: "the kid header is not a short string" }),
        };
        let key = self.verifying_key(key_id, algorithm, &parts)?;
        let claims = decode_json_object(parts.payload, "the claims are not base64url JSON")?;
        self.identity(&key.issuer, &claims, audience, now)
    }

    /// Chooses the key and checks the signature with it.
    fn verifying_key(
        &self,
        key_id: Option<&str>,
        algorithm: Algorithm,
        parts: &Parts<'_>,
    ) -> Result<&TrustedKey, AuthError> {
        let candidates: Vec<&TrustedKey> = match key_id {
            Some(kid) => match self.keys.iter().find(|k| k.key_id == kid) {
                Some(key) => vec![key],
                // Only to tell a rotated key from a stranger: the unverified `iss` picks the
                // message, never a key.
                None => {
                    return Err(match unverified_issuer(parts.payload) {
                        Some(issuer) if self.keys.iter().any(|k| k.issuer == issuer) => AuthError::UnknownKey,
                        _ => AuthError::UnknownIssuer,
                    });
                }
            },
            None => {
                let issuer = unverified_issuer(parts.payload).ok_or(AuthError::UnknownIssuer)?;
                let keys: Vec<_> = self.keys.iter().filter(|k| k.issuer == issuer).collect();
                if keys.is_empty() {
                    return Err(AuthError::UnknownIssuer);
                }
                keys
            }
        };
        let usable: Vec<&TrustedKey> = candidates.iter().copied().filter(|k| k.key.algorithm == algorithm).collect();
        if usable.is_empty() {
            return Err(AuthError::KeyAlgorithmMismatch { expected: candidates[0].key.algorithm, found: algorithm });
        }
        let message = &parts.token.as_bytes()[..parts.header.len() + 1 + parts.payload.len()];
        usable
            .into_iter()
            .find(|k| {
                jsonwebtoken::crypto::verify(parts.signature, message, &k.key.decoding_key, algorithm.jsonwebtoken())
                    .unwrap_or(false)
            })
            .ok_or(AuthError::BadSignature)
    }

    /// The claims of a token whose signature verified, judged and turned into an identity.
    fn identity(
        &self,
        trusted_issuer: &str,
        claims: &Map<String, Value>,
        audience: &str,
        now: DateTime<Utc>,
    ) -> Result<Identity, AuthError> {
        if required_string(claims, claims::ISSUER)? != trusted_issuer {
            return Err(AuthError::IssuerMismatch);
        }

        let issued_at = required_time(claims, claims::ISSUED_AT)?;
        let expires_at = required_time(claims, claims::EXPIRES_AT)?;
        let not_before = optional_time(claims, claims::NOT_BEFORE)?;
        if expires_at <= issued_at {
            return Err(AuthError::claim_invalid(claims::EXPIRES_AT, "it must be later than iat"));
        }
        let now_seconds = now.timestamp();
        if now_seconds >= expires_at.timestamp().saturating_add(CLOCK_LEEWAY_SECONDS) {
            return Err(AuthError::Expired { expired_at: expires_at });
        }
        for valid_from in [Some(issued_at), not_before].into_iter().flatten() {
            if valid_from.timestamp() > now_seconds.saturating_add(CLOCK_LEEWAY_SECONDS) {
                return Err(AuthError::NotYetValid { valid_from });
            }
        }
        let lifetime_seconds = (expires_at - issued_at).num_seconds();
        let max_seconds = self.max_lifetime.as_secs();
        if u64::try_from(lifetime_seconds).map_or(true, |lifetime| lifetime > max_seconds) {
            return Err(AuthError::LifetimeTooLong { lifetime_seconds, max_seconds });
        }
        if !audience_contains(claims, audience)? {
            return Err(AuthError::WrongAudience { expected: audience.to_string() });
        }

        let purpose = required_string(claims, claims::REASON_FOR_REQUEST)?;
        if purpose != claims::DIRECT_CARE {
            return Err(AuthError::claim_invalid(claims::REASON_FOR_REQUEST, "it must be directcare"));
        }
        let scope = required_string(claims, claims::REQUESTED_SCOPE)?;
        if !claims::GP_CONNECT_SCOPES.contains(&scope) {
            return Err(AuthError::claim_invalid(
                claims::REQUESTED_SCOPE,
                format!("it must be one of: {}", claims::GP_CONNECT_SCOPES.join(", ")),
            ));
        }

        let user_id = required_text(claims, claims::SUBJECT)?;
        let user_name = practitioner_name(claims, user_id)?;
        let organisation = organisation(claims)?;
        let device = device(claims)?;

        let role_name = required_string(claims, claims::ROLE)?;
        let role = Role::from_str(role_name).map_err(|_| {
            AuthError::claim_invalid(claims::ROLE, format!("it must be one of: {}", claims::role_names()))
        })?;
        let consent = match optional(claims, claims::CONSENT) {
            None => None,
            Some(Value::String(name)) => Some(ConsentBasis::from_str(name).map_err(|_| {
                AuthError::claim_invalid(claims::CONSENT, format!("it must be one of: {}", claims::consent_names()))
            })?),
            Some(_) => return Err(AuthError::claim_invalid(claims::CONSENT, "it must be a string")),
        };
        let override_reason = match optional(claims, claims::OVERRIDE_REASON) {
            None => None,
            Some(Value::String(reason)) => Some(reason.clone()),
            Some(_) => return Err(AuthError::claim_invalid(claims::OVERRIDE_REASON, "it must be a string")),
        };
        claims::check_override_reason(consent, override_reason.as_deref())?;
        let token_id = match optional(claims, claims::TOKEN_ID) {
            None => None,
            Some(Value::String(id)) if claims::check_text(id).is_ok() => Some(id.clone()),
            Some(_) => return Err(AuthError::claim_invalid(claims::TOKEN_ID, "it must be a short string")),
        };

        Ok(Identity {
            issuer: trusted_issuer.to_string(),
            user_id: user_id.to_string(),
            user_name,
            role,
            organisation,
            device,
            purpose: purpose.to_string(),
            scope: scope.to_string(),
            consent,
            override_reason,
            token_id,
            expires_at,
        })
    }
}

/// The token of a `Bearer` header value, after the size cap.
fn bearer_token(authorization_header: Option<&str>) -> Result<&str, AuthError> {
    let value = authorization_header.ok_or(AuthError::Missing)?;
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return Err(AuthError::TooLarge { limit: MAX_AUTHORIZATION_BYTES });
    }
    let value = value.trim();
    if value.is_empty() {
        return Err(AuthError::Missing);
    }
    let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::NotBearer);
    }
    let token = rest.trim_start_matches([' ', '\t']);
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    Ok(token)
}

/// The three base64url parts of a compact JWS.
struct Parts<'a> {
    token: &'a str,
    header: &'a str,
    payload: &'a str,
    signature: &'a str,
}

fn split_compact(token: &str) -> Result<Parts<'_>, AuthError> {
    if !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        return Err(AuthError::Malformed { reason: "it holds characters outside base64url" });
    }
    let mut pieces = token.split('.');
    match (pieces.next(), pieces.next(), pieces.next(), pieces.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok(Parts { token, header, payload, signature }),
        _ => Err(AuthError::Malformed { reason: "a JWT has exactly three dot-separated parts" }),
    }
}

fn decode_json_object(part: &str, reason: &'static str) -> Result<Map<String, Value>, AuthError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| AuthError::Malformed { reason })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(AuthError::Malformed { reason }),
    }
}

/// The algorithm, judged from the header alone: before any key is touched.
fn judge_header(header: &Map<String, Value>) -> Result<Algorithm, AuthError> {
    let Some(Value::String(alg)) = header.get("alg") else {
        return Err(AuthError::Malformed { reason: "the header has no alg" });
    };
    // `none` in any letter case: some libraries once compared case-insensitively.
    if alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::Unsigned);
    }
    if ["HS256", "HS384", "HS512"].iter().any(|hmac| alg.eq_ignore_ascii_case(hmac)) {
        return Err(AuthError::SymmetricAlgorithm { algorithm: printable(alg) });
    }
    // RFC 7515: names are case-sensitive; only the exact spellings are accepted.
    let algorithm = match alg.as_str() {
        "ES256" => Algorithm::Es256,
        "RS256" => Algorithm::Rs256,
        _ => return Err(AuthError::AlgorithmNotAllowed { algorithm: printable(alg) }),
    };
    // RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand.
    if header.contains_key("crit") {
        return Err(AuthError::Malformed { reason: "the header lists critical extensions (crit) not understood" });
    }
    match header.get("typ") {
        None | Some(Value::Null) => {}
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") || typ.eq_ignore_ascii_case("at+jwt") => {}
        Some(_) => return Err(AuthError::Malformed { reason: "the typ header must be JWT" }),
    }
    // `jku`, `jwk`, `x5u` and `x5c` are ignored: keys come only from the trusted set.
    Ok(algorithm)
}

/// An untrusted name made safe to show: printable ASCII, at most 16 characters.
fn printable(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_graphic()).take(16).collect()
}

/// The `iss` of a token whose signature has not been checked: used only to choose which
/// keys to try (and which refusal to give), never believed.
fn unverified_issuer(payload: &str) -> Option<String> {
    let claims = decode_json_object(payload, "").ok()?;
    claims.get(claims::ISSUER).and_then(Value::as_str).map(str::to_string)
}

fn optional<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|value| !value.is_null())
}

fn required<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<&'a Value, AuthError> {
    optional(claims, name).ok_or(AuthError::ClaimMissing { claim: name })
}

fn required_string<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, AuthError> {
    required(claims, name)?.as_str().ok_or_else(|| AuthError::claim_invalid(name, "it must be a string"))
}

/// A string a person or the audit will read (see [`claims::check_text`]).
fn required_text<'a>(claims: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, AuthError> {
    let text = required_string(claims, name)?;
    claims::check_text(text).map_err(|reason| AuthError::claim_invalid(name, reason))?;
    Ok(text)
}

fn optional_time(claims: &Map<String, Value>, name: &'static str) -> Result<Option<DateTime<Utc>>, AuthError> {
    let Some(value) = optional(claims, name) else { return Ok(None) };
    let seconds = value
        .as_i64()
        .ok_or_else(|| AuthError::claim_invalid(name, "it must be a whole number of seconds since 1970"))?;
    // Before 1970 or after 9999 is no time a token can have.
    match DateTime::from_timestamp(seconds, 0) {
        Some(time) if (0..253_402_300_800).contains(&seconds) => Ok(Some(time)),
        _ => Err(AuthError::claim_invalid(name, "it is out of range")),
    }
}

fn required_time(claims: &Map<String, Value>, name: &'static str) -> Result<DateTime<Utc>, AuthError> {
    optional_time(claims, name)?.ok_or(AuthError::ClaimMissing { claim: name })
}

/// RFC 7519 §4.1.3: `aud` is a string or an array of strings.
fn audience_contains(claims: &Map<String, Value>, audience: &str) -> Result<bool, AuthError> {
    match required(claims, claims::AUDIENCE)? {
        Value::String(aud) => Ok(aud == audience),
        Value::Array(auds) if auds.iter().all(Value::is_string) => Ok(auds.iter().any(|aud| aud == audience)),
        _ => Err(AuthError::claim_invalid(claims::AUDIENCE, "it must be a string or an array of strings")),
    }
}

/// A claim holding a FHIR resource of `resource_type`.
fn resource<'a>(
    claims: &'a Map<String, Value>,
    name: &'static str,
    resource_type: &str,
) -> Result<&'a Map<String, Value>, AuthError> {
    let resource = required(claims, name)?
        .as_object()
        .ok_or_else(|| AuthError::claim_invalid(name, format!("it must be a FHIR {resource_type} resource")))?;
    if resource.get("resourceType").and_then(Value::as_str) != Some(resource_type) {
        return Err(AuthError::claim_invalid(name, format!("its resourceType must be {resource_type}")));
    }
    Ok(resource)
}

/// The value of the first identifier with `system` (any system when `None`).
fn identifier<'a>(resource: &'a Map<String, Value>, system: Option<&str>) -> Option<&'a str> {
    resource.get("identifier")?.as_array()?.iter().find_map(|identifier| {
        let system_matches = match system {
            Some(system) => identifier.get("system").and_then(Value::as_str) == Some(system),
            None => true,
        };
        identifier.get("value").and_then(Value::as_str).filter(|value| system_matches && !value.trim().is_empty())
    })
}

fn practitioner_name(claims: &Map<String, Value>, user_id: &str) -> Result<String, AuthError> {
    const CLAIM: &str = claims::REQUESTING_PRACTITIONER;
    let practitioner = resource(claims, CLAIM, "Practitioner")?;
    if practitioner.get("id").and_then(Value::as_str) != Some(user_id) {
        return Err(AuthError::claim_invalid(CLAIM, "its id must equal the sub claim"));
    }
    if identifier(practitioner, Some(claims::SDS_USER_ID_SYSTEM)).is_none() {
        return Err(AuthError::claim_invalid(CLAIM, "it needs an SDS user id identifier (value UNK when unknown)"));
    }
    let name = practitioner
        .get("name")
        .and_then(|name| match name {
            Value::Array(names) => names.first(),
            other => Some(other),
        })
        .and_then(Value::as_object)
        .and_then(human_name)
        .ok_or_else(|| AuthError::claim_invalid(CLAIM, "it needs a name"))?;
    claims::check_text(&name)
        .map_err(|reason| AuthError::claim_invalid(CLAIM, format!("its name is not valid: {reason}")))?;
    Ok(name)
}

/// A HumanName as one line: its `text`, else prefix, given and family names.
fn human_name(name: &Map<String, Value>) -> Option<String> {
    if let Some(text) = name.get("text").and_then(Value::as_str).filter(|t| !t.trim().is_empty()) {
        return Some(text.to_string());
    }
    let strings = |field: &str| -> Vec<&str> {
        match name.get(field) {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(item)) => vec![item.as_str()],
            _ => Vec::new(),
        }
    };
    let words: Vec<&str> = [strings("prefix"), strings("given"), strings("family")]
        .concat()
        .into_iter()
        .filter(|word| !word.trim().is_empty())
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn organisation(claims: &Map<String, Value>) -> Result<OdsCode, AuthError> {
    const CLAIM: &str = claims::REQUESTING_ORGANIZATION;
    let organization = resource(claims, CLAIM, "Organization")?;
    let code = identifier(organization, Some(claims::ODS_ORGANIZATION_SYSTEM))
        .ok_or_else(|| AuthError::claim_invalid(CLAIM, "it needs an ODS code identifier"))?;
    OdsCode::parse(code).map_err(|_| AuthError::claim_invalid(CLAIM, "its ODS code is not valid"))
}

fn device(claims: &Map<String, Value>) -> Result<String, AuthError> {
    const CLAIM: &str = claims::REQUESTING_DEVICE;
    let device = resource(claims, CLAIM, "Device")?;
    let id = identifier(device, None).ok_or_else(|| AuthError::claim_invalid(CLAIM, "it needs an identifier"))?;
    claims::check_text(id)
        .map_err(|reason| AuthError::claim_invalid(CLAIM, format!("its identifier is not valid: {reason}")))?;
    let has_text = |field: &str| device.get(field).and_then(Value::as_str).is_some_and(|s| !s.trim().is_empty());
    if !has_text("model") || !has_text("version") {
        return Err(AuthError::claim_invalid(CLAIM, "it needs a model and a version"));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_required() {
        assert_eq!(bearer_token(Some("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(Some("bEaReR   abc ")).unwrap(), "abc");
        assert_eq!(bearer_token(Some("Bearer\tabc")).unwrap(), "abc");
        assert_eq!(bearer_token(None).unwrap_err().code(), "TOKEN_MISSING");
        assert_eq!(bearer_token(Some("  ")).unwrap_err().code(), "TOKEN_MISSING");
        assert_eq!(bearer_token(Some("Bearer")).unwrap_err().code(), "TOKEN_MISSING");
        assert_eq!(bearer_token(Some("Bearer   ")).unwrap_err().code(), "TOKEN_MISSING");
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")).unwrap_err().code(), "TOKEN_NOT_BEARER");
        assert_eq!(bearer_token(Some("eyJhbGciOiJFUzI1NiJ9.e30.c2ln")).unwrap_err().code(), "TOKEN_NOT_BEARER");
        assert_eq!(bearer_token(Some("Bearerabc")).unwrap_err().code(), "TOKEN_NOT_BEARER");
    }

    #[test]
    fn the_size_cap_applies_before_anything_else() {
        let huge = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_BYTES));
        assert_eq!(bearer_token(Some(&huge)).unwrap_err().code(), "TOKEN_TOO_LARGE");
        let just_fits = format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_BYTES - 7));
        assert!(bearer_token(Some(&just_fits)).is_ok());
    }

    #[test]
    fn a_human_name_without_text_is_assembled_from_its_parts() {
        let name = serde_json::json!({ "family": "Jones", "given": ["Sam"], "prefix": ["Dr"] });
        assert_eq!(human_name(name.as_object().unwrap()).as_deref(), Some("Dr Sam Jones"));
        let empty = serde_json::json!({ "given": [] });
        assert_eq!(human_name(empty.as_object().unwrap()), None);
    }

    #[test]
    fn the_trusted_set_and_identities_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync + 'static>() {}
        shareable::<TrustedIssuers>();
        shareable::<Identity>();
        shareable::<IssuerKey>();
        shareable::<AuthError>();
    }

    #[test]
    fn untrusted_algorithm_names_are_cut_to_printable_ascii() {
        assert_eq!(printable("ES512\n\u{202E}xxxxxxxxxxxxxxxxxxxx"), "ES512xxxxxxxxxxx");
    }
}
