//! Every way a token can be refused, and every way keys or minting can fail.
//!
//! Each variant has a stable SCREAMING_CASE [`code`](AuthError::code) for the
//! `OperationOutcome` and the audit, and a message an integrator or clinician can act on.
//! Messages never repeat the token or any text taken from it: a refused token is
//! attacker-controlled input, and a valid one is a credential. The only values shown are
//! ones the verifier parsed into a safe form (times, an algorithm name cut to a few
//! characters) or ones it owns (the expected audience, claim names, limits).
//!
//! Refusals read as whole sentences, for an `OperationOutcome`; failures of this side
//! (keys, files, minting) read as lower-case fragments, for a command line's one-line
//! error chain.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::Algorithm;

/// Why a token was refused, or why a key or a token could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` header, an empty one, or `Bearer` with nothing after it.
    #[error("No bearer token was sent: the request needs an `Authorization: Bearer <token>` header.")]
    Missing,
    /// The `Authorization` header uses another scheme (e.g. `Basic`) or none.
    #[error("The Authorization header must use the Bearer scheme: `Authorization: Bearer <token>`.")]
    NotBearer,
    /// The `Authorization` header is larger than [`MAX_AUTHORIZATION_BYTES`](crate::MAX_AUTHORIZATION_BYTES).
    #[error("The Authorization header is larger than {limit} bytes; a token this large is not accepted.")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Not a compact JWS: wrong number of parts, not base64url, header or claims not a JSON
    /// object, an unknown critical header.
    #[error("The bearer token is not a well-formed signed JWT ({reason}).")]
    Malformed {
        /// What is wrong, in the verifier's words.
        reason: &'static str,
    },
    /// `alg: none` (in any letter case) or an empty signature.
    #[error(
        "The bearer token is unsigned (alg none or no signature). The gateway accepts only tokens signed \
         with ES256 or RS256 by a trusted issuer."
    )]
    Unsigned,
    /// An HMAC algorithm (`HS256`, `HS384`, `HS512`): a shared-secret signature, which could
    /// be forged with the issuer's public key used as the secret (key confusion).
    #[error(
        "The bearer token is signed with a shared-secret algorithm ({algorithm}). The gateway accepts only \
         ES256 or RS256 signatures."
    )]
    SymmetricAlgorithm {
        /// The header's algorithm name.
        algorithm: String,
    },
    /// Any other algorithm than ES256 or RS256 (ES384, PS256, EdDSA, unknown names, ...).
    #[error("The bearer token's signature algorithm ({algorithm}) is not accepted; use ES256 or RS256.")]
    AlgorithmNotAllowed {
        /// The header's algorithm name (at most 16 characters, printable ASCII).
        algorithm: String,
    },
    /// The token names no issuer this gateway trusts.
    #[error("The bearer token was issued by an issuer this gateway does not trust.")]
    UnknownIssuer,
    /// The issuer is trusted but not with the key the token's `kid` names (e.g. after a
    /// key rotation the gateway has not been told about).
    #[error(
        "The bearer token names a signing key (kid) this gateway does not know; the issuer's keys may have \
         changed."
    )]
    UnknownKey,
    /// The header's algorithm is allowed but is not the one the selected key is trusted for.
    #[error("The bearer token says {found} but its signing key is trusted for {expected} only.")]
    KeyAlgorithmMismatch {
        /// The algorithm the key is trusted for.
        expected: Algorithm,
        /// The algorithm the token's header names.
        found: Algorithm,
    },
    /// The signature does not verify: the token was altered or signed by another key.
    #[error("The bearer token's signature is not valid: the token was altered or not signed by its issuer.")]
    BadSignature,
    /// The signature verifies with a key of one issuer but the `iss` claim names another.
    #[error("The bearer token's iss claim does not name the issuer whose key signed it.")]
    IssuerMismatch,
    /// `exp` (plus the leeway) has passed.
    #[error("The bearer token expired at {expired_at} (UTC); ask for a new token.")]
    Expired {
        /// The token's `exp`.
        expired_at: DateTime<Utc>,
    },
    /// `nbf`, or `iat`, lies in the future (beyond the leeway).
    #[error("The bearer token is not valid until {valid_from} (UTC); check the issuer's clock.")]
    NotYetValid {
        /// The token's `nbf`, or its `iat` when that is the later.
        valid_from: DateTime<Utc>,
    },
    /// `exp - iat` exceeds the gateway's maximum token lifetime.
    #[error(
        "The bearer token lives {lifetime_seconds} seconds; the gateway accepts at most {max_seconds} seconds \
         between iat and exp."
    )]
    LifetimeTooLong {
        /// `exp - iat`.
        lifetime_seconds: i64,
        /// The configured maximum.
        max_seconds: u64,
    },
    /// `aud` does not name this gateway.
    #[error("The bearer token is meant for another service: its aud claim must be {expected:?}.")]
    WrongAudience {
        /// The audience this gateway expects.
        expected: String,
    },
    /// A required claim is absent (or null).
    #[error("The bearer token has no {claim} claim, which is required.")]
    ClaimMissing {
        /// The claim name.
        claim: &'static str,
    },
    /// A claim is present but not acceptable.
    #[error("The bearer token's {claim} claim is not valid: {reason}.")]
    ClaimInvalid {
        /// The claim name.
        claim: &'static str,
        /// What is wrong, in the verifier's words (never the claim's value).
        reason: String,
    },
    /// `openmig_consent` is `emergency` but there is no override reason.
    #[error(
        "An emergency override (openmig_consent = emergency) needs a reason: say in openmig_override_reason \
         why the record is needed without the patient's consent."
    )]
    EmergencyReasonMissing,
    /// The override reason is too long or holds control characters.
    #[error("The emergency override reason is not acceptable: {reason}.")]
    EmergencyReasonInvalid {
        /// What is wrong.
        reason: &'static str,
    },
    /// [`mint`](crate::mint) was asked for a token the gateway would refuse, or one that
    /// cannot be written.
    #[error("cannot mint the token: {reason}")]
    InvalidRequest {
        /// What is wrong with the request.
        reason: String,
    },
    /// A key given to [`TrustedIssuers::trust`](crate::TrustedIssuers::trust) or read from
    /// a file is not usable.
    #[error("the key is not usable: {reason}")]
    InvalidKey {
        /// What is wrong.
        reason: String,
    },
    /// Two different keys with one key id, or one key trusted for two issuers.
    #[error("the key id {key_id:?} is already trusted for another key or issuer")]
    KeyIdConflict {
        /// The conflicting key id.
        key_id: String,
    },
    /// Reading or writing a key file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    KeyFile {
        /// What was being done ("read", "create", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A private key file that others than its owner may read.
    #[error("the private key {} may be read by other users; run `chmod 600` on it", path.display())]
    KeyFileInsecure {
        /// The private key file.
        path: PathBuf,
    },
    /// The private and public key files of an issuer do not belong together.
    #[error("the public key {} does not belong to the private key beside it", path.display())]
    KeyFileMismatch {
        /// The public key file.
        path: PathBuf,
    },
    /// The crypto library failed (no randomness, signing failure).
    #[error("the crypto library failed: {what}")]
    Crypto {
        /// What was being done.
        what: &'static str,
    },
}

impl AuthError {
    /// The stable code for the `OperationOutcome` and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing => "TOKEN_MISSING",
            AuthError::NotBearer => "TOKEN_NOT_BEARER",
            AuthError::TooLarge { .. } => "TOKEN_TOO_LARGE",
            AuthError::Malformed { .. } => "TOKEN_MALFORMED",
            AuthError::Unsigned => "TOKEN_UNSIGNED",
            AuthError::SymmetricAlgorithm { .. } => "TOKEN_ALGORITHM_SYMMETRIC",
            AuthError::AlgorithmNotAllowed { .. } => "TOKEN_ALGORITHM_NOT_ALLOWED",
            AuthError::UnknownIssuer => "TOKEN_UNKNOWN_ISSUER",
            AuthError::UnknownKey => "TOKEN_UNKNOWN_KEY",
            AuthError::KeyAlgorithmMismatch { .. } => "TOKEN_ALGORITHM_KEY_MISMATCH",
            AuthError::BadSignature => "TOKEN_BAD_SIGNATURE",
            AuthError::IssuerMismatch => "TOKEN_ISSUER_MISMATCH",
            AuthError::Expired { .. } => "TOKEN_EXPIRED",
            AuthError::NotYetValid { .. } => "TOKEN_NOT_YET_VALID",
            AuthError::LifetimeTooLong { .. } => "TOKEN_LIFETIME_TOO_LONG",
            AuthError::WrongAudience { .. } => "TOKEN_WRONG_AUDIENCE",
            AuthError::ClaimMissing { .. } => "TOKEN_CLAIM_MISSING",
            AuthError::ClaimInvalid { .. } => "TOKEN_CLAIM_INVALID",
            AuthError::EmergencyReasonMissing => "EMERGENCY_REASON_MISSING",
            AuthError::EmergencyReasonInvalid { .. } => "EMERGENCY_REASON_INVALID",
            AuthError::InvalidRequest { .. } => "TOKEN_REQUEST_INVALID",
            AuthError::InvalidKey { .. } => "KEY_INVALID",
            AuthError::KeyIdConflict { .. } => "KEY_ID_CONFLICT",
            AuthError::KeyFile { .. } => "KEY_FILE_ERROR",
            AuthError::KeyFileInsecure { .. } => "KEY_FILE_INSECURE",
            AuthError::KeyFileMismatch { .. } => "KEY_FILE_MISMATCH",
            AuthError::Crypto { .. } => "CRYPTO_FAILURE",
        }
    }

    /// True for a refusal of a presented token (the caller answers 401); false for a
    /// failure of this side (keys, files, crypto, an invalid mint request).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            AuthError::InvalidRequest { .. }
                | AuthError::InvalidKey { .. }
                | AuthError::KeyIdConflict { .. }
                | AuthError::KeyFile { .. }
                | AuthError::KeyFileInsecure { .. }
                | AuthError::KeyFileMismatch { .. }
                | AuthError::Crypto { .. }
        )
    }

    /// The `WWW-Authenticate` value for a 401 answer (RFC 6750 §3, which gpconnect.md §2
    /// says bearer-token errors follow): no error code when no token was sent,
    /// `invalid_token` otherwise. The description is the stable code, never the message.
    pub fn www_authenticate(&self) -> String {
        match self {
            AuthError::Missing => r#"Bearer realm="openmig""#.to_string(),
            AuthError::NotBearer | AuthError::TooLarge { .. } => {
                format!(r#"Bearer realm="openmig", error="invalid_request", error_description="{}""#, self.code())
            }
            _ => format!(r#"Bearer realm="openmig", error="invalid_token", error_description="{}""#, self.code()),
        }
    }

    pub(crate) fn claim_invalid(claim: &'static str, reason: impl Into<String>) -> Self {
        AuthError::ClaimInvalid { claim, reason: reason.into() }
    }

    pub(crate) fn invalid_key(reason: impl Into<String>) -> Self {
        AuthError::InvalidKey { reason: reason.into() }
    }

    pub(crate) fn invalid_request(reason: impl Into<String>) -> Self {
        AuthError::InvalidRequest { reason: reason.into() }
    }
}
