//! NHS England's GP Connect provider acceptance scenarios of `JWT.feature`
//! (`nhsconnect/gpconnect-provider-testing`, branch `feature/1.6.0`), ported: each a
//! metadata read (the suite's "MetadataRead" request, scope `organization/*.read`) with
//! one thing about the GP Connect JWT changed, and the status the scenario expects, with
//! an OperationOutcome for every refusal.

mod common;

use axum::body::Body;
use common::*;
use serde_json::{Value, json};

/// The metadata read's default claims.
fn metadata_claims() -> Value {
    let mut claims = claims();
    claims["requested_scope"] = "organization/*.read".into();
    claims
}

/// The metadata read with `Authorization: Bearer {token}`.
async fn read_with_token(token: &str) -> Answer {
    let store = store();
    let request = with_header(metadata_request(ODS), "Authorization", Some(&format!("Bearer {token}")));
    send(app(&store), request).await
}

/// The metadata read with the default claims changed by `change`.
async fn read_with(change: impl FnOnce(&mut Value)) -> Answer {
    let mut claims = metadata_claims();
    change(&mut claims);
    read_with_token(&jwt(&claims)).await
}

/// "the response status code should be "{status}"" and "the response should be a
/// OperationOutcome resource".
fn refused(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "OperationOutcome", "{}", answer.body);
}

fn answered(answer: &Answer) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");
}

/// Creation time `iat_from_now` seconds from the test clock's now, expiry `lifetime`
/// seconds after it.
fn times(claims: &mut Value, iat_from_now: i64, lifetime: i64) {
    let iat = now().timestamp() + iat_from_now;
    claims["iat"] = iat.into();
    claims["exp"] = (iat + lifetime).into();
}

fn remove(claims: &mut Value, name: &str) {
    claims.as_object_mut().unwrap().remove(name);
}

#[tokio::test]
async fn jwt_bearer_token_not_base_64_encoded() {
    let claims = metadata_claims().to_string();
    refused(&read_with_token(&format!("{{\"alg\":\"none\"}}.{claims}.")).await, 400);
}

#[tokio::test]
async fn jwt_requesting_system_url_missing() {
    refused(&read_with(|c| remove(c, "iss")).await, 400);
}

#[tokio::test]
async fn jwt_expiry_time_missing() {
    refused(&read_with(|c| remove(c, "exp")).await, 400);
}

#[tokio::test]
async fn jwt_expiry_time_greater_than_300_seconds() {
    refused(&read_with(|c| times(c, -10, 301)).await, 400);
}

#[tokio::test]
async fn jwt_expiry_time_less_than_300_seconds() {
    refused(&read_with(|c| times(c, -10, 299)).await, 400);
}

#[tokio::test]
async fn jwt_expiry_time_before_creation_time() {
    refused(&read_with(|c| times(c, -10, -1)).await, 400);
}

#[tokio::test]
async fn jwt_creation_time_missing() {
    refused(&read_with(|c| remove(c, "iat")).await, 400);
}

#[tokio::test]
async fn jwt_creation_time_in_the_future() {
    // "Providers should now not reject JWT when creation time is in the future" (#188).
    answered(&read_with(|c| times(c, 200, 300)).await);
}

#[tokio::test]
async fn jwt_reason_for_request_missing() {
    refused(&read_with(|c| remove(c, "reason_for_request")).await, 400);
}

#[tokio::test]
async fn jwt_authorization_server_token_url_missing() {
    refused(&read_with(|c| remove(c, "aud")).await, 400);
}

#[tokio::test]
async fn jwt_requesting_device_missing() {
    refused(&read_with(|c| remove(c, "requesting_device")).await, 400);
}

#[tokio::test]
async fn jwt_requesting_device_invalid() {
    refused(&read_with(|c| c["requesting_device"]["invalidField"] = "Assurance Testing".into()).await, 422);
}

#[tokio::test]
async fn jwt_requesting_device_resource_type_invalid() {
    refused(&read_with(|c| c["requesting_device"]["resourceType"] = "InvalidResourceType".into()).await, 422);
}

#[tokio::test]
async fn jwt_requesting_identity_missing() {
    refused(&read_with(|c| remove(c, "requesting_practitioner")).await, 400);
}

#[tokio::test]
async fn jwt_requesting_identity_unk_value() {
    answered(
        &read_with(|c| {
            c["requesting_practitioner"] = json!({
                "resourceType": "Practitioner", "id": "1",
                "name": [{ "family": "AssurancePractitioner", "given": ["AssuranceTest"], "prefix": ["Mr"] }],
                "identifier": [
                    { "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" },
                    { "system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK" },
                    { "system": "https://consumersupplier.com/Id/user-guid", "value": "98ed4f78-814d-4266-8d5b-cde742f3093c" },
                ],
            });
        })
        .await,
    );
}

#[tokio::test]
async fn jwt_missing_sds_role_profile_and_guid() {
    answered(
        &read_with(|c| {
            c["requesting_practitioner"]["identifier"] =
                json!([{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "GCASDS0001" }]);
        })
        .await,
    );
}

#[tokio::test]
async fn jwt_requesting_identity_resource_type_invalid() {
    refused(&read_with(|c| c["requesting_practitioner"]["resourceType"] = "InvalidResourceType".into()).await, 422);
}

#[tokio::test]
async fn jwt_requested_scope_missing() {
    refused(&read_with(|c| remove(c, "requested_scope")).await, 400);
}

#[tokio::test]
async fn jwt_requested_scope_metadata_incorrect() {
    refused(&read_with(|c| c["requested_scope"] = "badScope".into()).await, 400);
}

#[tokio::test]
async fn jwt_requesting_organization_backward_compatability_for_rc5() {
    // The suite's "rc5" system is today's ODS system (`FhirConst.kOdsOrgzCodeBackwardCom`).
    answered(
        &read_with(|c| {
            c["requesting_organization"]["identifier"][0]["system"] =
                "https://fhir.nhs.uk/Id/ods-organization-code".into();
        })
        .await,
    );
}

#[tokio::test]
async fn jwt_everything_normal_test() {
    answered(&read_with(|c| times(c, 0, 300)).await);
}

#[tokio::test]
async fn jwt_consumer_clock_is_slow_600s() {
    refused(&read_with(|c| times(c, -600, 300)).await, 400);
}

#[tokio::test]
async fn the_operation_takes_the_same_token_rules() {
    // The scenarios read metadata; the operation is held to the same claims, e.g. a
    // device with an element Device does not have.
    let mut claims = claims();
    claims["requesting_device"]["invalidField"] = "Assurance Testing".into();
    let store = store();
    let body = parameters(vec![nhs_param(EXAMPLE_NHS), allergies(false)]);
    let request = with_header(
        request_builder(ODS).body(Body::from(body.to_string())).unwrap(),
        "Authorization",
        Some(&format!("Bearer {}", jwt(&claims))),
    );
    refused(&send(app(&store), request).await, 422);
}
