//! Shared test helpers: a fixed clock, a default request, and hand-made tokens.
//!
//! Hand-made tokens are built here from base64 and aws-lc-rs directly, not with the
//! crate's own minting, so a refusal test cannot pass because minting and verifying
//! share a mistake.

#![allow(dead_code)]

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, TimeZone, Utc};
use openmig_auth::{IssuerKey, TokenRequest, TrustedIssuers};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use serde_json::{Map, Value};

pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
}

pub fn ods(code: &str) -> OdsCode {
    OdsCode::parse(code).unwrap()
}

/// A doctor at an emergency department, consent given.
pub fn request() -> TokenRequest {
    let mut request = TokenRequest::new("u-1001", Role::Doctor, ods("RXX01"));
    request.user_name = "Dr Sam Jones".to_string();
    request.device = "ED-WORKSTATION-12".to_string();
    request.consent = Some(ConsentBasis::Given);
    request
}

pub struct Fixture {
    pub key: IssuerKey,
    pub trusted: TrustedIssuers,
}

pub fn fixture() -> Fixture {
    let key = IssuerKey::generate().unwrap();
    let trusted = TrustedIssuers::from_key(&key);
    Fixture { key, trusted }
}

impl Fixture {
    pub fn mint(&self, request: &TokenRequest) -> String {
        openmig_auth::mint(&self.key, request, now()).unwrap()
    }

    pub fn claims(&self) -> Map<String, Value> {
        request().claims(self.key.issuer(), now()).unwrap()
    }

    /// A validly signed token over `claims` as changed by `change`.
    pub fn signed_with(&self, change: impl FnOnce(&mut Map<String, Value>)) -> String {
        let mut claims = self.claims();
        change(&mut claims);
        self.key.sign_claims(&claims).unwrap()
    }

    pub fn verify(&self, token: &str) -> Result<openmig_auth::Identity, openmig_auth::AuthError> {
        self.trusted.verify(Some(&bearer(token)), openmig_auth::DEFAULT_AUDIENCE, now())
    }

    pub fn refusal(&self, token: &str) -> &'static str {
        let error = self.verify(token).expect_err("the token must be refused");
        assert_no_echo(token, &error.to_string());
        error.code()
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

/// The three parts of a compact token.
pub fn parts(token: &str) -> [String; 3] {
    let pieces: Vec<&str> = token.split('.').collect();
    assert_eq!(pieces.len(), 3);
    [pieces[0].to_string(), pieces[1].to_string(), pieces[2].to_string()]
}

pub fn header_of(token: &str) -> Map<String, Value> {
    serde_json::from_slice(&unb64(&parts(token)[0])).unwrap()
}

pub fn claims_of(token: &str) -> Map<String, Value> {
    serde_json::from_slice(&unb64(&parts(token)[1])).unwrap()
}

/// `header.payload.signature` from JSON values and raw signature bytes.
pub fn assemble(header: &Value, payload: &Value, signature: &[u8]) -> String {
    format!("{}.{}.{}", b64(header.to_string().as_bytes()), b64(payload.to_string().as_bytes()), b64(signature))
}

/// An ES256 key made outside the crate, with its public key as SPKI PEM.
pub struct RawEcKey {
    pub pair: EcdsaKeyPair,
    pub public_pem: String,
    pub spki_der: Vec<u8>,
}

pub fn raw_ec_key() -> RawEcKey {
    let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, document.as_ref()).unwrap();
    let spki_der = pair.public_key().as_der().unwrap().as_ref().to_vec();
    RawEcKey { public_pem: pem("PUBLIC KEY", &spki_der), pair, spki_der }
}

/// Signs `header_json.payload_bytes` with ES256 (fixed r||s, as JWS wants).
pub fn sign_es256(key: &EcdsaKeyPair, header: &Value, payload: &[u8]) -> String {
    let message = format!("{}.{}", b64(header.to_string().as_bytes()), b64(payload));
    let signature = key.sign(&SystemRandom::new(), message.as_bytes()).unwrap();
    format!("{message}.{}", b64(signature.as_ref()))
}

pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A refusal message must not repeat any part of the token.
pub fn assert_no_echo(token: &str, message: &str) {
    for part in token.split('.') {
        for window in part.as_bytes().chunks(12).filter(|w| w.len() == 12) {
            let window = std::str::from_utf8(window).unwrap_or_default();
            assert!(!message.contains(window), "the message repeats the token: {message}");
        }
    }
}
