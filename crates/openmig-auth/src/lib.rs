//! Signed bearer tokens for the gateway: who is asking, in what role, from which
//! organisation, on what consent basis.
//!
//! In the NHS national model the GP Connect JWT is unsigned and trust comes from the
//! Spine's mutual TLS (security.md, "Trust model"). openmig's gateway is itself the
//! security boundary, so it accepts only tokens **signed** with ES256 or RS256 by an
//! issuer it was configured to trust ([`TrustedIssuers`]), carrying the GP Connect
//! claims plus openmig's own. [`IssuerKey`] and [`mint`] are the demo issuer behind
//! `openmig token` and `openmig demo`.
//!
//! # The token
//!
//! Header: `{"alg":"ES256"|"RS256","typ":"JWT","kid":…}`. `kid` selects the key; openmig's
//! own keys are named by [`key_id`] (base64url of the first 16 bytes of the SHA-256 of
//! the DER SubjectPublicKeyInfo). A token without `kid` is tried against the keys of the
//! issuer its `iss` names. `crit` is refused; `jku`, `jwk`, `x5u`, `x5c` are ignored
//! (keys come only from configuration).
//!
//! | claim | required | value |
//! |---|---|---|
//! | `iss` | yes | issuer name; must be the issuer the signing key is trusted for (openmig's demo issuer: `openmig-demo-issuer`) |
//! | `sub` | yes | the user's id; must equal `requesting_practitioner.id` |
//! | `aud` | yes | a string, or an array of strings, containing the gateway's audience (default `openmig-gateway`) |
//! | `iat` | yes | issued at, integer seconds since 1970 UTC |
//! | `exp` | yes | expiry, integer seconds; `exp > iat`, `exp - iat` ≤ the maximum lifetime (default 3600 s) |
//! | `nbf` | no | not before, integer seconds |
//! | `jti` | no | token id, recorded in the audit (minted tokens: 128 random bits, base64url) |
//! | `reason_for_request` | yes | `directcare` |
//! | `requested_scope` | yes | one of `patient/*.read`, `patient/*.write`, `organization/*.read`, `organization/*.write` (minted: `patient/*.read`) |
//! | `requesting_device` | yes | STU3 `Device`: `identifier[{system, value}]` (the device id), `model`, `version` |
//! | `requesting_organization` | yes | STU3 `Organization`: `identifier[{system: "https://fhir.nhs.uk/Id/ods-organization-code", value: ODS code}]` |
//! | `requesting_practitioner` | yes | STU3 `Practitioner`: `id` (= `sub`), `identifier[{system: "https://fhir.nhs.uk/Id/sds-user-id", value: SDS id or "UNK"}, …]`, `name[{text, family, given[], prefix[]}]` |
//! | `openmig_role` | yes | `doctor`, `nurse`, `pharmacist`, `paramedic`, `administrative` or `auditor` |
//! | `openmig_consent` | no | consent basis for this episode: `given`, `emergency` or `implied` |
//! | `openmig_override_reason` | with `emergency` | why the record is needed without consent: non-blank, ≤ 500 characters, no control or bidi characters; refused with any other basis |
//!
//! The GP Connect claims keep the shapes of gpconnect.md §2, so
//! [`Identity::gp_connect_claims`] can rebuild them for the gateway → provider leg.
//!
//! # Verification rules
//!
//! In this order, each refusal its own [`AuthError`] variant and code:
//! the header value is at most [`MAX_AUTHORIZATION_BYTES`] (`TOKEN_TOO_LARGE`) and
//! `Bearer <token>` with the scheme in any case (`TOKEN_MISSING`, `TOKEN_NOT_BEARER`);
//! the token is three base64url parts with JSON objects inside (`TOKEN_MALFORMED`);
//! the header's `alg`, judged before any key is touched, is `ES256` or `RS256`
//! (`TOKEN_UNSIGNED` for `none` or an empty signature, `TOKEN_ALGORITHM_SYMMETRIC` for
//! HS256/384/512, `TOKEN_ALGORITHM_NOT_ALLOWED` for anything else); the key is known
//! (`TOKEN_UNKNOWN_ISSUER`, `TOKEN_UNKNOWN_KEY`) and trusted for that algorithm
//! (`TOKEN_ALGORITHM_KEY_MISMATCH`); the signature verifies (`TOKEN_BAD_SIGNATURE`);
//! `iss` names the key's issuer (`TOKEN_ISSUER_MISMATCH`); times, against the caller's
//! `now` with a fixed leeway of [`CLOCK_LEEWAY_SECONDS`] (`TOKEN_EXPIRED`,
//! `TOKEN_NOT_YET_VALID` for a future `nbf` or `iat`, `TOKEN_LIFETIME_TOO_LONG`);
//! the audience (`TOKEN_WRONG_AUDIENCE`); then every claim above (`TOKEN_CLAIM_MISSING`,
//! `TOKEN_CLAIM_INVALID`, `EMERGENCY_REASON_MISSING`, `EMERGENCY_REASON_INVALID`).
//!
//! Architecture invariant: this crate decides who is asking, never what they may see
//! (that is the gateway's policy). It reads no clock: callers pass `now`. It reads files
//! only in [`IssuerKey::load_or_create`]. Errors never repeat the token or text from it.

pub mod claims;
mod error;
mod key;
mod mint;
mod pem;
mod verify;

pub use error::AuthError;
pub use key::{Algorithm, DEFAULT_ISSUER, IssuerKey, MIN_RSA_BITS, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, key_id};
pub use mint::{DEFAULT_DEVICE, DEFAULT_TOKEN_TTL, MAX_MINT_TTL, TokenRequest, mint};
pub use verify::{CLOCK_LEEWAY_SECONDS, DEFAULT_MAX_LIFETIME, Identity, MAX_AUTHORIZATION_BYTES, TrustedIssuers};

/// The audience of tokens for the openmig gateway (the `aud` claim it expects by default).
pub const DEFAULT_AUDIENCE: &str = "openmig-gateway";
