//! The Spine headers and the bearer JWT, one test per scenario.

mod common;

use chrono::Utc;
use common::*;

#[tokio::test]
async fn missing_trace_id_is_400() {
    assert_error(&post_with_header("Ssp-TraceID", None).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn trace_id_that_is_not_a_uuid_is_400() {
    assert_error(&post_with_header("Ssp-TraceID", Some("trace-1")).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn missing_from_is_400() {
    assert_error(&post_with_header("Ssp-From", None).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn missing_to_is_400() {
    assert_error(&post_with_header("Ssp-To", None).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn to_another_asid_is_400() {
    assert_error(&post_with_header("Ssp-To", Some("999999999999")).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn missing_interaction_id_is_400() {
    assert_error(&post_with_header("Ssp-InteractionID", None).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn wrong_interaction_id_is_400() {
    let other = "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1";
    assert_error(&post_with_header("Ssp-InteractionID", Some(other)).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn valid_token_is_accepted() {
    assert_eq!(post_with_claims(&claims()).await.status, 200);
}

#[tokio::test]
async fn missing_token_is_400() {
    assert_error(&post_with_header("Authorization", None).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn token_that_is_not_base64_is_400() {
    assert_error(&post_with_header("Authorization", Some("Bearer !!!.???.")).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn expired_token_is_400() {
    let mut claims = claims();
    let iat = now().timestamp() - 400;
    claims["iat"] = iat.into();
    claims["exp"] = (iat + 300).into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn token_checked_against_the_injected_clock_not_the_real_one() {
    // The fixed test clock is not the machine clock: a token valid now for the real clock
    // is judged by the injected one.
    let mut claims = claims();
    let iat = Utc::now().timestamp() + 100_000;
    claims["iat"] = iat.into();
    claims["exp"] = (iat + 300).into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn exp_not_iat_plus_300_is_400() {
    let mut claims = claims();
    claims["exp"] = (claims["iat"].as_i64().unwrap() + 600).into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn iat_slightly_in_the_future_is_accepted() {
    let mut claims = claims();
    let iat = now().timestamp() + 30;
    claims["iat"] = iat.into();
    claims["exp"] = (iat + 300).into();
    assert_eq!(post_with_claims(&claims).await.status, 200);
}

#[tokio::test]
async fn wrong_audience_is_400() {
    let mut claims = claims();
    claims["aud"] = "https://provider.example/Z90002/STU3/1/gpconnect/structured".into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn wrong_scope_is_400() {
    let mut claims = claims();
    claims["requested_scope"] = "patient/*.write".into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn wrong_reason_is_400() {
    let mut claims = claims();
    claims["reason_for_request"] = "secondaryuses".into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn sub_not_the_practitioner_id_is_400() {
    let mut claims = claims();
    claims["sub"] = "2".into();
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn missing_iss_is_400() {
    let mut claims = claims();
    claims.as_object_mut().unwrap().remove("iss");
    assert_error(&post_with_claims(&claims).await, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn device_claim_of_wrong_resource_type_is_422() {
    let mut claims = claims();
    claims["requesting_device"]["resourceType"] = "Patient".into();
    assert_error(&post_with_claims(&claims).await, 422, "INVALID_RESOURCE");
}

#[tokio::test]
async fn malformed_device_claim_is_422() {
    let mut claims = claims();
    claims["requesting_device"].as_object_mut().unwrap().remove("model");
    assert_error(&post_with_claims(&claims).await, 422, "INVALID_RESOURCE");
}

/// JWT.feature, "JWT - Requesting Device - invalid": the default Device plus an element
/// FHIR's Device does not have.
#[tokio::test]
async fn device_claim_with_an_element_device_does_not_have_is_422() {
    let mut claims = claims();
    claims["requesting_device"]["invalidField"] = "Assurance Testing".into();
    assert_error(&post_with_claims(&claims).await, 422, "INVALID_RESOURCE");
    let mut claims = self::claims();
    claims["requesting_practitioner"]["favouriteColour"] = "blue".into();
    assert_error(&post_with_claims(&claims).await, 422, "INVALID_RESOURCE");
    // Every element FHIR defines is accepted.
    let mut claims = self::claims();
    claims["requesting_device"]["url"] = "https://consumer.example/device".into();
    claims["requesting_practitioner"]["gender"] = "female".into();
    assert_eq!(post_with_claims(&claims).await.status, 200);
}

#[tokio::test]
async fn practitioner_claim_of_wrong_resource_type_is_422() {
    let mut claims = claims();
    claims["requesting_practitioner"]["resourceType"] = "Device".into();
    assert_error(&post_with_claims(&claims).await, 422, "INVALID_RESOURCE");
}

/// The metadata read is an interaction like the operation: the same Spine headers (with
/// its own interaction id) and the same JWT rules (with `organization/*.read`). Before,
/// an expired token got the CapabilityStatement.
#[tokio::test]
async fn metadata_is_read_under_the_same_header_and_token_checks() {
    let store = store();
    let answer = send(app(&store), metadata_request(ODS)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");

    let with = |name: &str, value: Option<String>| with_header(metadata_request(ODS), name, value.as_deref());
    let mut expired = claims();
    expired["requested_scope"] = "organization/*.read".into();
    expired["iat"] = (now().timestamp() - 900).into();
    expired["exp"] = (now().timestamp() - 600).into();
    let mut patient_scope = claims();
    patient_scope["requested_scope"] = "badScope".into();
    for (why, request) in [
        ("expired token", with("Authorization", Some(format!("Bearer {}", jwt(&expired))))),
        ("bad scope", with("Authorization", Some(format!("Bearer {}", jwt(&patient_scope))))),
        ("no token", with("Authorization", None)),
        ("no trace id", with("Ssp-TraceID", None)),
        ("the operation's interaction id", with("Ssp-InteractionID", Some(GET_STRUCTURED.into()))),
        ("another ASID", with("Ssp-To", Some("123456789123".into()))),
    ] {
        let answer = send(app(&store), request).await;
        assert_error(&answer, 400, "BAD_REQUEST");
        assert!(answer.body.get("resourceType").is_some(), "{why}");
    }
}

const GET_STRUCTURED: &str = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1";
