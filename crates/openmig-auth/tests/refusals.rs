//! One test per refusal (OWASP API2 and issue 5 item 3), each on a token otherwise valid,
//! plus the round trip a valid token makes.

mod common;

use std::time::Duration;

use aws_lc_rs::hmac;
use chrono::TimeDelta;
use common::*;
use openmig_auth::{Algorithm, AuthError, DEFAULT_AUDIENCE, TrustedIssuers, mint};
use openmig_domain::{ConsentBasis, Role};
use serde_json::{Value, json};

#[test]
fn a_minted_token_verifies_back_to_the_identity_it_was_minted_for() {
    let fixture = fixture();
    let mut request = request();
    request.consent = Some(ConsentBasis::Emergency);
    request.override_reason = Some("Unconscious after a road traffic collision".to_string());
    let token = fixture.mint(&request);

    let identity = fixture.verify(&token).unwrap();
    assert_eq!(identity.issuer, "openmig-demo-issuer");
    assert_eq!(identity.user_id, "u-1001");
    assert_eq!(identity.user_name, "Dr Sam Jones");
    assert_eq!(identity.role, Role::Doctor);
    assert_eq!(identity.organisation, ods("RXX01"));
    assert_eq!(identity.device, "ED-WORKSTATION-12");
    assert_eq!(identity.purpose, "directcare");
    assert_eq!(identity.scope, "patient/*.read");
    assert_eq!(identity.consent, Some(ConsentBasis::Emergency));
    assert_eq!(identity.override_reason.as_deref(), Some("Unconscious after a road traffic collision"));
    assert_eq!(identity.token_id.as_deref().map(str::len), Some(22));
    assert_eq!(identity.expires_at, now() + TimeDelta::hours(1));
    assert!(!format!("{identity:?}").contains("road traffic"), "Debug hides the free-text reason");
}

#[test]
fn the_minted_token_carries_the_documented_header_and_claims() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    assert_eq!(Value::Object(header_of(&token)), json!({ "alg": "ES256", "typ": "JWT", "kid": fixture.key.key_id() }));
    let claims = claims_of(&token);
    let names: Vec<&str> = claims.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "aud",
            "exp",
            "iat",
            "iss",
            "jti",
            "openmig_consent",
            "openmig_role",
            "reason_for_request",
            "requested_scope",
            "requesting_device",
            "requesting_organization",
            "requesting_practitioner",
            "sub",
        ]
    );
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert_eq!(claims["requesting_practitioner"]["id"], claims["sub"]);
    assert_eq!(
        claims["requesting_organization"],
        json!({
            "resourceType": "Organization",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX01" }]
        })
    );
    assert_eq!(claims["requesting_device"]["identifier"][0]["value"], "ED-WORKSTATION-12");
    assert_eq!(claims["openmig_role"], "doctor");
    assert_eq!(claims["openmig_consent"], "given");
}

#[test]
fn the_gateway_can_rebuild_gp_connect_claims_for_the_provider_leg() {
    let fixture = fixture();
    let identity = fixture.verify(&fixture.mint(&request())).unwrap();
    let claims = identity.gp_connect_claims("https://gateway.example/", "https://provider.example/RXX01/STU3/1", now());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300);
    assert_eq!(claims["sub"], "u-1001");
    assert_eq!(claims["requesting_practitioner"]["id"], "u-1001");
    assert_eq!(claims["requesting_practitioner"]["identifier"][0]["value"], "UNK");
    assert_eq!(claims["reason_for_request"], "directcare");
    assert_eq!(claims["requested_scope"], "patient/*.read");
    assert!(!claims.contains_key("openmig_role"));
}

#[test]
fn a_missing_empty_or_non_bearer_header_is_refused() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let verify = |header: Option<&str>| fixture.trusted.verify(header, DEFAULT_AUDIENCE, now()).unwrap_err().code();
    assert_eq!(verify(None), "TOKEN_MISSING");
    assert_eq!(verify(Some("")), "TOKEN_MISSING");
    assert_eq!(verify(Some("Bearer ")), "TOKEN_MISSING");
    assert_eq!(verify(Some(&format!("Basic {token}"))), "TOKEN_NOT_BEARER");
    assert_eq!(verify(Some(&token)), "TOKEN_NOT_BEARER");
    assert!(fixture.trusted.verify(Some(&format!("bearer {token}")), DEFAULT_AUDIENCE, now()).is_ok());
    assert!(fixture.trusted.verify(Some(&format!("BEARER  {token} ")), DEFAULT_AUDIENCE, now()).is_ok());
}

#[test]
fn an_oversized_header_is_refused_before_parsing() {
    let fixture = fixture();
    let padded = fixture.signed_with(|claims| {
        claims.insert("padding".into(), json!("x".repeat(9000)));
    });
    assert_eq!(fixture.refusal(&padded), "TOKEN_TOO_LARGE");
}

#[test]
fn malformed_tokens_are_refused() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let [header, payload, signature] = parts(&token);
    for bad in [
        format!("{header}.{payload}"),
        format!("{header}.{payload}.{signature}.{signature}"),
        format!("{header}.{payload}.{signature}=="),
        format!("{header}.{payload}.{signature} x"),
        format!("{header}+.{payload}.{signature}"),
        format!("{}.{payload}.{signature}", b64(b"not json")),
        format!("{}.{payload}.{signature}", b64(b"[\"ES256\"]")),
        format!("{}.{payload}.{signature}", b64(br#"{"typ":"JWT"}"#)),
        format!("{header}.{payload}.!!"),
    ] {
        assert_eq!(fixture.refusal(&bad), "TOKEN_MALFORMED", "{bad}");
    }
}

#[test]
fn claims_that_are_not_a_json_object_are_refused_even_when_signed() {
    let raw = raw_ec_key();
    let mut trusted = TrustedIssuers::new();
    trusted.trust("raw-issuer", Algorithm::Es256, &raw.public_pem).unwrap();
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": openmig_auth::key_id(&raw.spki_der) });
    for payload in [&b"not json"[..], b"[1,2]", b"\"a string\""] {
        let token = sign_es256(&raw.pair, &header, payload);
        let error = trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).unwrap_err();
        assert_eq!(error.code(), "TOKEN_MALFORMED");
    }
}

#[test]
fn alg_none_is_refused_in_any_letter_case_and_with_any_signature() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let [_, payload, signature] = parts(&token);
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = b64(json!({ "alg": alg, "typ": "JWT" }).to_string().as_bytes());
        assert_eq!(fixture.refusal(&format!("{header}.{payload}.")), "TOKEN_UNSIGNED");
        assert_eq!(fixture.refusal(&format!("{header}.{payload}.{signature}")), "TOKEN_UNSIGNED");
        let with_kid = b64(json!({ "alg": alg, "kid": fixture.key.key_id() }).to_string().as_bytes());
        assert_eq!(fixture.refusal(&format!("{with_kid}.{payload}.")), "TOKEN_UNSIGNED");
    }
    // The GP Connect shape (unsigned, trailing dot) is exactly this.
    let [header, _, _] = parts(&token);
    assert_eq!(fixture.refusal(&format!("{header}.{payload}.")), "TOKEN_UNSIGNED", "ES256 with no signature");
}

#[test]
fn hmac_signed_with_the_public_key_as_secret_is_refused_before_any_key_use() {
    // The key-confusion attack: the attacker knows the public key, computes HS256 over the
    // token with the PEM (or DER) as the HMAC secret and hopes the verifier feeds the
    // configured public key to HMAC.
    let fixture = fixture();
    let payload = b64(serde_json::to_string(&fixture.claims()).unwrap().as_bytes());
    let public_pem = fixture.key.public_key_pem();
    for (alg, hmac_algorithm) in [
        ("HS256", hmac::HMAC_SHA256),
        ("HS384", hmac::HMAC_SHA384),
        ("HS512", hmac::HMAC_SHA512),
        ("hs256", hmac::HMAC_SHA256),
    ] {
        let header = b64(json!({ "alg": alg, "typ": "JWT", "kid": fixture.key.key_id() }).to_string().as_bytes());
        let message = format!("{header}.{payload}");
        let tag = hmac::sign(&hmac::Key::new(hmac_algorithm, public_pem.as_bytes()), message.as_bytes());
        let token = format!("{message}.{}", b64(tag.as_ref()));
        assert_eq!(fixture.refusal(&token), "TOKEN_ALGORITHM_SYMMETRIC", "{alg}");
        let error = fixture.verify(&token).unwrap_err().to_string();
        assert!(error.contains("shared-secret"), "{error}");
    }
}

#[test]
fn other_algorithms_are_not_allowed() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let [_, payload, signature] = parts(&token);
    for alg in ["ES384", "ES512", "RS384", "PS256", "EdDSA", "es256", "rs256", "ES256K", ""] {
        let header = b64(json!({ "alg": alg, "kid": fixture.key.key_id() }).to_string().as_bytes());
        assert_eq!(fixture.refusal(&format!("{header}.{payload}.{signature}")), "TOKEN_ALGORITHM_NOT_ALLOWED", "{alg}");
    }
    let header = b64(json!({ "alg": 256 }).to_string().as_bytes());
    assert_eq!(fixture.refusal(&format!("{header}.{payload}.{signature}")), "TOKEN_MALFORMED");
}

#[test]
fn critical_header_extensions_and_foreign_types_are_refused() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let [_, payload, signature] = parts(&token);
    let kid = fixture.key.key_id();
    for header in [
        json!({ "alg": "ES256", "kid": kid, "crit": ["b64"], "b64": false }),
        json!({ "alg": "ES256", "kid": kid, "typ": "JOSE+JSON" }),
        json!({ "alg": "ES256", "kid": 7 }),
    ] {
        let header = b64(header.to_string().as_bytes());
        assert_eq!(fixture.refusal(&format!("{header}.{payload}.{signature}")), "TOKEN_MALFORMED");
    }
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let fixture = fixture();
    let mut request = request();
    request.role = Role::Administrative;
    let token = fixture.mint(&request);
    let [header, _, signature] = parts(&token);
    let mut claims = claims_of(&token);
    claims.insert("openmig_role".into(), json!("doctor")); // role escalation
    let tampered = format!("{header}.{}.{signature}", b64(serde_json::to_string(&claims).unwrap().as_bytes()));
    assert_eq!(fixture.refusal(&tampered), "TOKEN_BAD_SIGNATURE");
}

#[test]
fn a_signature_from_another_key_is_refused_even_under_the_trusted_kid() {
    let fixture = fixture();
    let attacker = raw_ec_key();
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": fixture.key.key_id() });
    let forged = sign_es256(&attacker.pair, &header, serde_json::to_string(&fixture.claims()).unwrap().as_bytes());
    assert_eq!(fixture.refusal(&forged), "TOKEN_BAD_SIGNATURE");
}

#[test]
fn an_unknown_kid_of_a_trusted_issuer_is_an_unknown_key_and_of_a_stranger_an_unknown_issuer() {
    let fixture = fixture();
    let token = fixture.mint(&request());
    let [_, payload, signature] = parts(&token);
    let header = b64(json!({ "alg": "ES256", "typ": "JWT", "kid": "rotated-away" }).to_string().as_bytes());
    assert_eq!(fixture.refusal(&format!("{header}.{payload}.{signature}")), "TOKEN_UNKNOWN_KEY");

    // A new key of the same issuer name, not yet trusted: the rotation case.
    let rotated = openmig_auth::IssuerKey::generate().unwrap();
    assert_eq!(fixture.refusal(&mint(&rotated, &request(), now()).unwrap()), "TOKEN_UNKNOWN_KEY");

    let stranger = openmig_auth::IssuerKey::generate().unwrap().with_issuer("https://stranger.example");
    assert_eq!(fixture.refusal(&mint(&stranger, &request(), now()).unwrap()), "TOKEN_UNKNOWN_ISSUER");
}

#[test]
fn without_kid_the_issuer_selects_the_keys() {
    let raw = raw_ec_key();
    let mut trusted = TrustedIssuers::new();
    trusted.trust("raw-issuer", Algorithm::Es256, &raw.public_pem).unwrap();
    let mut claims = request().claims("raw-issuer", now()).unwrap();
    let header = json!({ "alg": "ES256", "typ": "JWT" });
    let token = sign_es256(&raw.pair, &header, serde_json::to_string(&claims).unwrap().as_bytes());
    assert_eq!(trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).unwrap().issuer, "raw-issuer");

    claims.insert("iss".into(), json!("someone-else"));
    let token = sign_es256(&raw.pair, &header, serde_json::to_string(&claims).unwrap().as_bytes());
    let error = trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).unwrap_err();
    assert_eq!(error.code(), "TOKEN_UNKNOWN_ISSUER");
}

#[test]
fn the_iss_claim_must_name_the_issuer_of_the_signing_key() {
    let fixture = fixture();
    let other = openmig_auth::IssuerKey::generate().unwrap().with_issuer("other-issuer");
    let mut trusted = fixture.trusted.clone();
    trusted.trust("other-issuer", Algorithm::Es256, &other.public_key_pem()).unwrap();
    // Signed by the demo issuer's key, claiming to come from the other trusted issuer.
    let token = fixture.signed_with(|claims| {
        claims.insert("iss".into(), json!("other-issuer"));
    });
    let error = trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).unwrap_err();
    assert_eq!(error.code(), "TOKEN_ISSUER_MISMATCH");
}

#[test]
fn rs256_issuers_are_trusted_alongside_es256() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};

    let fixture = fixture();
    // Generated per run (about 0.1 s) rather than committed: no private key in the repository.
    let rsa = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let spki = rsa.public_key().as_der().unwrap().as_ref().to_vec();
    let mut trusted = fixture.trusted.clone();
    trusted.trust("https://idp.example", Algorithm::Rs256, &pem("PUBLIC KEY", &spki)).unwrap();
    trusted
        .trust_with_key_id("https://idp2.example", "idp-key-2025", Algorithm::Rs256, &pem("PUBLIC KEY", &spki))
        .unwrap();
    let sign = |header: Value, issuer: &str| {
        let claims = request().claims(issuer, now()).unwrap();
        let message = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(serde_json::to_string(&claims).unwrap().as_bytes())
        );
        let mut signature = vec![0; rsa.public_modulus_len()];
        rsa.sign(&RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), message.as_bytes(), &mut signature).unwrap();
        format!("{message}.{}", b64(&signature))
    };
    let verify = |token: &str| trusted.verify(Some(&bearer(token)), DEFAULT_AUDIENCE, now());

    let derived_kid = openmig_auth::key_id(&spki);
    let identity =
        verify(&sign(json!({ "alg": "RS256", "typ": "JWT", "kid": derived_kid }), "https://idp.example")).unwrap();
    assert_eq!(identity.issuer, "https://idp.example");
    let identity = verify(&sign(json!({ "alg": "RS256", "kid": "idp-key-2025" }), "https://idp2.example")).unwrap();
    assert_eq!(identity.issuer, "https://idp2.example");
    // Both issuers still work side by side with the ES256 demo issuer.
    assert!(verify(&fixture.mint(&request())).is_ok());

    // RS256 under the ES256 key's kid, and ES256 under the RSA key's kid.
    let error =
        verify(&sign(json!({ "alg": "RS256", "kid": fixture.key.key_id() }), "openmig-demo-issuer")).unwrap_err();
    assert_eq!(error.code(), "TOKEN_ALGORITHM_KEY_MISMATCH");
    let es256_under_rsa_kid = {
        let token = fixture.mint(&request());
        let [_, payload, signature] = parts(&token);
        let header = b64(json!({ "alg": "ES256", "kid": derived_kid }).to_string().as_bytes());
        format!("{header}.{payload}.{signature}")
    };
    assert_eq!(verify(&es256_under_rsa_kid).unwrap_err().code(), "TOKEN_ALGORITHM_KEY_MISMATCH");

    // The same key id cannot be given to another key or issuer.
    let conflict =
        trusted.trust_with_key_id("https://idp3.example", "idp-key-2025", Algorithm::Rs256, &pem("PUBLIC KEY", &spki));
    assert_eq!(conflict.unwrap_err().code(), "KEY_ID_CONFLICT");
    // Trusting the same key again is harmless.
    trusted.trust("https://idp.example", Algorithm::Rs256, &pem("PUBLIC KEY", &spki)).unwrap();
}

#[test]
fn expired_tokens_are_refused_after_the_leeway() {
    let fixture = fixture();
    let mut request = request();
    request.ttl = Duration::from_secs(300);
    let token = fixture.mint(&request);
    let at = |seconds: i64| {
        fixture.trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now() + TimeDelta::seconds(seconds))
    };
    assert!(at(300).is_ok(), "within the leeway");
    assert!(at(300 + openmig_auth::CLOCK_LEEWAY_SECONDS - 1).is_ok());
    let error = at(300 + openmig_auth::CLOCK_LEEWAY_SECONDS).unwrap_err();
    assert_eq!(error.code(), "TOKEN_EXPIRED");
    assert!(error.to_string().contains("2026-11-25 12:05:00"), "{error}");
    assert_eq!(at(86_400).unwrap_err().code(), "TOKEN_EXPIRED");
}

#[test]
fn tokens_from_the_future_are_not_yet_valid() {
    let fixture = fixture();
    let early = openmig_auth::mint(&fixture.key, &request(), now() + TimeDelta::minutes(5)).unwrap();
    assert_eq!(fixture.refusal(&early), "TOKEN_NOT_YET_VALID");
    let slightly_early = openmig_auth::mint(&fixture.key, &request(), now() + TimeDelta::seconds(20)).unwrap();
    assert!(fixture.verify(&slightly_early).is_ok(), "clock skew within the leeway");
    let not_before = fixture.signed_with(|claims| {
        claims.insert("nbf".into(), json!((now() + TimeDelta::minutes(10)).timestamp()));
    });
    assert_eq!(fixture.refusal(&not_before), "TOKEN_NOT_YET_VALID");
}

#[test]
fn lifetimes_beyond_the_configured_maximum_are_refused() {
    let fixture = fixture();
    let mut request = request();
    request.ttl = Duration::from_secs(2 * 3600);
    let token = fixture.mint(&request);
    assert_eq!(fixture.refusal(&token), "TOKEN_LIFETIME_TOO_LONG");
    let relaxed = fixture.trusted.clone().with_max_lifetime(Duration::from_secs(3 * 3600));
    assert!(relaxed.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).is_ok());
    let strict = fixture.trusted.clone().with_max_lifetime(Duration::from_secs(300));
    let default_ttl = fixture.mint(&common::request());
    assert_eq!(
        strict.verify(Some(&bearer(&default_ttl)), DEFAULT_AUDIENCE, now()).unwrap_err().code(),
        "TOKEN_LIFETIME_TOO_LONG"
    );
}

#[test]
fn a_token_for_another_audience_is_refused() {
    let fixture = fixture();
    let mut request = request();
    request.audience = "https://provider.example/RXX01/STU3/1/gpconnect/structured".to_string();
    let token = fixture.mint(&request);
    let error = fixture.verify(&token).unwrap_err();
    assert_eq!(error.code(), "TOKEN_WRONG_AUDIENCE");
    assert!(error.to_string().contains("openmig-gateway"));
    let listed = fixture.signed_with(|claims| {
        claims.insert("aud".into(), json!(["https://other.example", DEFAULT_AUDIENCE]));
    });
    assert!(fixture.verify(&listed).is_ok(), "an array of audiences naming the gateway");
    let not_listed = fixture.signed_with(|claims| {
        claims.insert("aud".into(), json!(["https://other.example"]));
    });
    assert_eq!(fixture.refusal(&not_listed), "TOKEN_WRONG_AUDIENCE");
}

#[test]
fn every_required_claim_is_required() {
    let fixture = fixture();
    for claim in [
        "iss",
        "sub",
        "aud",
        "iat",
        "exp",
        "reason_for_request",
        "requested_scope",
        "requesting_device",
        "requesting_organization",
        "requesting_practitioner",
        "openmig_role",
    ] {
        for removal in [None, Some(Value::Null)] {
            let token = fixture.signed_with(|claims| match &removal {
                None => drop(claims.remove(claim)),
                Some(null) => drop(claims.insert(claim.into(), null.clone())),
            });
            let error = fixture.verify(&token).unwrap_err();
            match claim {
                // No iss: the key's issuer is not named, which is a mismatch only for iss.
                "iss" => assert_eq!(error.code(), "TOKEN_CLAIM_MISSING"),
                _ => assert!(matches!(error, AuthError::ClaimMissing { claim: c } if c == claim), "{claim}: {error:?}"),
            }
        }
    }
    // The optional ones really are optional.
    let bare = fixture.signed_with(|claims| {
        claims.remove("jti");
        claims.remove("openmig_consent");
    });
    let identity = fixture.verify(&bare).unwrap();
    assert_eq!((identity.consent, identity.token_id), (None, None));
}

#[test]
fn invalid_claim_values_are_refused_without_echoing_them() {
    let fixture = fixture();
    let cases: Vec<(&str, Value)> = vec![
        ("openmig_role", json!("surgeon")),
        ("openmig_role", json!(["doctor"])),
        ("openmig_consent", json!("maybe")),
        ("reason_for_request", json!("secondaryuses")),
        ("requested_scope", json!("user/*.*")),
        ("sub", json!("someone-else")),
        ("sub", json!("")),
        ("iat", json!(1.5)),
        ("iat", json!("yesterday")),
        ("exp", json!(-1)),
        ("aud", json!(42)),
        ("jti", json!("")),
        ("requesting_device", json!({ "resourceType": "Device", "identifier": [{ "value": "x" }] })),
        ("requesting_device", json!({ "resourceType": "Patient" })),
        (
            "requesting_organization",
            json!({ "resourceType": "Organization", "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "NOT-AN-ODS!" }] }),
        ),
        (
            "requesting_organization",
            json!({ "resourceType": "Organization", "identifier": [{ "system": "https://example/other", "value": "RXX01" }] }),
        ),
        ("requesting_organization", json!("RXX01")),
        (
            "requesting_practitioner",
            json!({ "resourceType": "Practitioner", "id": "u-1001", "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" }] }),
        ),
        (
            "requesting_practitioner",
            json!({ "resourceType": "Practitioner", "id": "u-1001", "name": [{ "text": "Sam" }] }),
        ),
        (
            "requesting_practitioner",
            json!({ "resourceType": "Practitioner", "id": "u-1001", "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" }], "name": [{ "text": "Sam\u{1b}[31m" }] }),
        ),
    ];
    for (claim, value) in cases {
        let token = fixture.signed_with(|claims| {
            claims.insert(claim.into(), value.clone());
        });
        let error = fixture.verify(&token).unwrap_err();
        assert_eq!(error.code(), "TOKEN_CLAIM_INVALID", "{claim} = {value}: {error}");
        let message = error.to_string();
        if let Some(text) = value.as_str().filter(|t| t.len() > 3) {
            assert!(!message.contains(text), "the message repeats the value: {message}");
        }
    }
    let surgeon = fixture.signed_with(|claims| {
        claims.insert("openmig_role".into(), json!("surgeon"));
    });
    let message = fixture.verify(&surgeon).unwrap_err().to_string();
    assert!(message.contains("doctor, nurse, pharmacist, paramedic, administrative, auditor"), "{message}");
    let backwards = fixture.signed_with(|claims| {
        let iat = claims["iat"].clone();
        claims.insert("exp".into(), iat);
    });
    assert_eq!(fixture.refusal(&backwards), "TOKEN_CLAIM_INVALID");
}

#[test]
fn an_emergency_override_needs_a_reason() {
    let fixture = fixture();
    let emergency = |reason: Option<Value>| {
        fixture.signed_with(|claims| {
            claims.insert("openmig_consent".into(), json!("emergency"));
            if let Some(reason) = reason {
                claims.insert("openmig_override_reason".into(), reason);
            }
        })
    };
    assert_eq!(fixture.refusal(&emergency(None)), "EMERGENCY_REASON_MISSING");
    assert_eq!(fixture.refusal(&emergency(Some(json!("   ")))), "EMERGENCY_REASON_MISSING");
    assert_eq!(fixture.refusal(&emergency(Some(Value::Null))), "EMERGENCY_REASON_MISSING");
    assert_eq!(fixture.refusal(&emergency(Some(json!("x".repeat(501))))), "EMERGENCY_REASON_INVALID");
    assert_eq!(fixture.refusal(&emergency(Some(json!("fell\r\nover")))), "EMERGENCY_REASON_INVALID");
    assert_eq!(fixture.refusal(&emergency(Some(json!(7)))), "TOKEN_CLAIM_INVALID");
    let identity = fixture.verify(&emergency(Some(json!("x".repeat(500))))).unwrap();
    assert_eq!(identity.consent, Some(ConsentBasis::Emergency));

    let reason_without_override = fixture.signed_with(|claims| {
        claims.insert("openmig_override_reason".into(), json!("just looking"));
    });
    assert_eq!(fixture.refusal(&reason_without_override), "TOKEN_CLAIM_INVALID");
}

#[test]
fn mint_refuses_what_the_gateway_would_refuse() {
    let fixture = fixture();
    let mint_with = |change: &dyn Fn(&mut openmig_auth::TokenRequest)| {
        let mut request = request();
        change(&mut request);
        openmig_auth::mint(&fixture.key, &request, now()).unwrap_err().code()
    };
    assert_eq!(mint_with(&|r| r.consent = Some(ConsentBasis::Emergency)), "EMERGENCY_REASON_MISSING");
    assert_eq!(
        mint_with(&|r| {
            r.consent = Some(ConsentBasis::Emergency);
            r.override_reason = Some("a\u{0}b".into());
        }),
        "EMERGENCY_REASON_INVALID"
    );
    assert_eq!(mint_with(&|r| r.override_reason = Some("why".into())), "TOKEN_CLAIM_INVALID");
    assert_eq!(mint_with(&|r| r.user_id = " ".into()), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.user_name = "a\nb".into()), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.device = String::new()), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.purpose = "research".into()), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.ttl = Duration::ZERO), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.ttl = Duration::from_secs(2 * 86_400)), "TOKEN_REQUEST_INVALID");
    assert_eq!(mint_with(&|r| r.audience = String::new()), "TOKEN_REQUEST_INVALID");
}

#[test]
fn trusting_refuses_keys_that_cannot_serve_the_algorithm() {
    let fixture = fixture();
    let mut trusted = TrustedIssuers::new();
    let pem = fixture.key.public_key_pem();
    assert_eq!(trusted.trust("x", Algorithm::Rs256, &pem).unwrap_err().code(), "KEY_INVALID");
    assert_eq!(trusted.trust("x", Algorithm::Es256, "not a key").unwrap_err().code(), "KEY_INVALID");
    assert_eq!(trusted.trust("", Algorithm::Es256, &pem).unwrap_err().code(), "KEY_INVALID");
    assert_eq!(trusted.trust_with_key_id("x", "", Algorithm::Es256, &pem).unwrap_err().code(), "KEY_INVALID");
    assert!(trusted.is_empty());
    trusted.trust("x", Algorithm::Es256, &pem).unwrap();
    assert_eq!(trusted.keys().collect::<Vec<_>>(), [("x", fixture.key.key_id(), Algorithm::Es256)]);
    // An empty set trusts nobody.
    let token = fixture.mint(&request());
    let nobody = TrustedIssuers::new();
    assert_eq!(
        nobody.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).unwrap_err().code(),
        "TOKEN_UNKNOWN_ISSUER"
    );
}

#[test]
fn every_refusal_has_its_own_code_and_a_www_authenticate_value() {
    let refusals = [
        AuthError::Missing,
        AuthError::NotBearer,
        AuthError::TooLarge { limit: 1 },
        AuthError::Malformed { reason: "x" },
        AuthError::Unsigned,
        AuthError::SymmetricAlgorithm { algorithm: "HS256".into() },
        AuthError::AlgorithmNotAllowed { algorithm: "PS256".into() },
        AuthError::UnknownIssuer,
        AuthError::UnknownKey,
        AuthError::KeyAlgorithmMismatch { expected: Algorithm::Es256, found: Algorithm::Rs256 },
        AuthError::BadSignature,
        AuthError::IssuerMismatch,
        AuthError::Expired { expired_at: now() },
        AuthError::NotYetValid { valid_from: now() },
        AuthError::LifetimeTooLong { lifetime_seconds: 2, max_seconds: 1 },
        AuthError::WrongAudience { expected: "a".into() },
        AuthError::ClaimMissing { claim: "sub" },
        AuthError::ClaimInvalid { claim: "sub", reason: "x".into() },
        AuthError::EmergencyReasonMissing,
        AuthError::EmergencyReasonInvalid { reason: "x" },
    ];
    let mut codes: Vec<&str> = refusals.iter().map(AuthError::code).collect();
    assert!(refusals.iter().all(AuthError::is_refusal));
    assert!(codes.iter().all(|c| c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_')));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), refusals.len(), "codes are distinct");
    assert_eq!(AuthError::Missing.www_authenticate(), r#"Bearer realm="openmig""#);
    assert_eq!(
        AuthError::BadSignature.www_authenticate(),
        r#"Bearer realm="openmig", error="invalid_token", error_description="TOKEN_BAD_SIGNATURE""#
    );
}
