//! Authentication through HTTP (security.md, OWASP API2): every way a token can be wrong
//! is refused with 401 and its own code, leaks no clinical content, and is audited.

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use openmig_auth::{IssuerKey, TokenRequest};
use openmig_domain::{ConsentBasis, OdsCode, Role};
use serde_json::{Map, Value, json};

fn claims(gateway: &TestGateway) -> Map<String, Value> {
    let mut request = TokenRequest::new("555123456789", Role::Doctor, OdsCode::parse(ED).unwrap());
    request.consent = Some(ConsentBasis::Given);
    request.claims(gateway.key.issuer(), now()).unwrap()
}

fn signed(gateway: &TestGateway, change: impl FnOnce(&mut Map<String, Value>)) -> String {
    let mut claims = claims(gateway);
    change(&mut claims);
    gateway.key.sign_claims(&claims).unwrap()
}

fn unsigned(gateway: &TestGateway, alg: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "typ": "JWT" }).to_string());
    let payload = URL_SAFE_NO_PAD.encode(Value::Object(claims(gateway)).to_string());
    format!("{header}.{payload}.")
}

async fn refused(gateway: &TestGateway, token: &str) -> (u16, String) {
    let answer = get(gateway, &format!("/api/v1/patients/{EXAMPLE_NHS}/medicines"), Some(token)).await;
    assert!(!answer.text.contains("Apixaban"), "clinical content leaked: {}", answer.text);
    assert!(!answer.text.contains(token), "the token was echoed");
    (answer.status, error_code(&answer))
}

#[tokio::test]
async fn every_bad_token_is_refused_with_its_own_code() {
    let gateway = gateway();
    let now = now().timestamp();
    let stranger = IssuerKey::generate().unwrap();
    let stranger_token = openmig_auth::mint(
        &stranger,
        &TokenRequest::new("1", Role::Doctor, OdsCode::parse(ED).unwrap()),
        common::now(),
    )
    .unwrap();
    let mut tampered = gateway.doctor();
    let middle = tampered.find('.').unwrap() + 5;
    let original = tampered.as_bytes()[middle];
    tampered.replace_range(middle..=middle, if original == b'A' { "B" } else { "A" });
    let cases: Vec<(&str, String)> = vec![
        (
            "TOKEN_EXPIRED",
            signed(&gateway, |c| {
                c.insert("iat".into(), json!(now - 900));
                c.insert("exp".into(), json!(now - 600));
            }),
        ),
        (
            "TOKEN_NOT_YET_VALID",
            signed(&gateway, |c| {
                c.insert("iat".into(), json!(now + 600));
                c.insert("exp".into(), json!(now + 900));
            }),
        ),
        (
            "TOKEN_WRONG_AUDIENCE",
            signed(&gateway, |c| {
                c.insert("aud".into(), json!("https://some-other-service.example"));
            }),
        ),
        (
            "TOKEN_ISSUER_MISMATCH",
            signed(&gateway, |c| {
                c.insert("iss".into(), json!("https://not-the-issuer.example"));
            }),
        ),
        (
            "TOKEN_LIFETIME_TOO_LONG",
            signed(&gateway, |c| {
                c.insert("exp".into(), json!(now + 86_400));
            }),
        ),
        (
            "TOKEN_CLAIM_INVALID",
            signed(&gateway, |c| {
                c.insert("openmig_role".into(), json!("superuser"));
            }),
        ),
        (
            "TOKEN_CLAIM_INVALID",
            signed(&gateway, |c| {
                c.insert("reason_for_request".into(), json!("secondaryuses"));
            }),
        ),
        (
            "EMERGENCY_REASON_MISSING",
            signed(&gateway, |c| {
                c.insert("openmig_consent".into(), json!("emergency"));
                c.remove("openmig_override_reason");
            }),
        ),
        ("TOKEN_UNSIGNED", unsigned(&gateway, "none")),
        ("TOKEN_ALGORITHM_SYMMETRIC", unsigned(&gateway, "HS256")),
        ("TOKEN_UNKNOWN_KEY", stranger_token),
        ("TOKEN_MALFORMED", "not.a.token".to_string()),
    ];
    for (code, token) in &cases {
        assert_eq!(refused(&gateway, token).await, (401, code.to_string()), "{code}");
    }
    // A tampered payload fails the signature (or no longer parses): never accepted.
    let (status, code) = refused(&gateway, &tampered).await;
    assert_eq!(status, 401);
    assert!(["TOKEN_BAD_SIGNATURE", "TOKEN_MALFORMED"].contains(&code.as_str()), "{code}");
    assert_eq!(gateway.audit_count() as usize, cases.len() + 1, "every refusal is audited");
}

#[tokio::test]
async fn a_role_cannot_be_escalated_by_the_request() {
    let gateway = gateway();
    let clerk = gateway.token(Role::Administrative, ED, Some(ConsentBasis::Given));
    // No header, query or body can change the role the signed token carries.
    let request = axum::http::Request::get(format!("/api/v1/patients/{EXAMPLE_NHS}/medicines?role=doctor"))
        .header("Authorization", format!("Bearer {clerk}"))
        .header("X-Openmig-Role", "doctor")
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = send(gateway.app(), request).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (403, "ROLE_NOT_PERMITTED"));
    assert!(!answer.text.contains("Apixaban"));
    // Nor can an auditor read a record, or a clinician the audit.
    let auditor = gateway.token(Role::Auditor, "ZC050", None);
    let answer = get(&gateway, &format!("/fhir/R4/Patient/{EXAMPLE_NHS}/$everything"), Some(&auditor)).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (403, "ROLE_NOT_PERMITTED"));
    let answer = get(&gateway, &format!("/practices/{ODS}/audit"), Some(&gateway.doctor())).await;
    assert_eq!((answer.status, error_code(&answer).as_str()), (403, "ROLE_NOT_PERMITTED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_parallel_viewers_leave_one_gapless_valid_chain() {
    let gateway = std::sync::Arc::new(gateway());
    let token = gateway.doctor();
    let mut tasks = Vec::new();
    for task in 0..32 {
        let gateway = std::sync::Arc::clone(&gateway);
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            for request in 0..8 {
                let path = if (task + request) % 2 == 0 {
                    format!("/api/v1/patients/{EXAMPLE_NHS}/medicines")
                } else {
                    format!("/fhir/R4/Patient/{EXAMPLE_NHS}")
                };
                assert_eq!(get(&gateway, &path, Some(&token)).await.status, 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    // `audit_count` verifies the whole chain: gapless sequence 1..=256, every link valid.
    assert_eq!(gateway.audit_count(), 256);
    let sequences: Vec<u64> = gateway.patient_audit(EXAMPLE_NHS).iter().map(|e| e.sequence).collect();
    let mut sorted = sequences.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=256).collect::<Vec<u64>>());
}
