//! NHS England's GP Connect provider acceptance scenarios of `Http.feature`
//! (`nhsconnect/gpconnect-provider-testing`, branch `feature/1.6.0`), ported: a metadata
//! read sent to a path that does not exist, with the wrong case, or with a method the
//! endpoint does not take fails with an OperationOutcome, never an empty body.

mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::*;

/// The metadata read of the example practice at `path` (under the FHIR base) with
/// `method`, every header as a valid read carries.
async fn metadata(method: Method, path: &str) -> Answer {
    let store = store();
    let mut request = Request::builder()
        .method(method)
        .uri(format!("/{ODS}/STU3/1/gpconnect/structured/fhir/{path}"))
        .body(Body::empty())
        .unwrap();
    *request.headers_mut() = metadata_headers(ODS);
    send(app(&store), request).await
}

/// "the response status code should indicate failure" and "the response should be a
/// OperationOutcome resource" (as FHIR JSON).
fn fails_with_an_operation_outcome(answer: &Answer, status: u16) {
    assert_eq!(answer.status, status, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "OperationOutcome", "{}", answer.body);
    assert!(answer.content_type.starts_with("application/fhir+json"), "{}", answer.content_type);
    assert_eq!(answer.body["issue"][0]["severity"], "error");
}

#[tokio::test]
async fn http_get_from_invalid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::GET, "metadatas").await, 404);
}

#[tokio::test]
async fn http_post_to_invalid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::POST, "metadatas").await, 404);
}

#[tokio::test]
async fn http_put_to_invalid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::PUT, "metadatas").await, 404);
}

#[tokio::test]
async fn http_patch_to_valid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::PATCH, "metadata").await, 405);
}

#[tokio::test]
async fn http_delete_to_valid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::DELETE, "metadata").await, 405);
}

#[tokio::test]
async fn http_options_to_valid_endpoint() {
    fails_with_an_operation_outcome(&metadata(Method::OPTIONS, "metadata").await, 405);
}

#[tokio::test]
async fn http_incorrect_case_on_url_fhir_resource() {
    fails_with_an_operation_outcome(&metadata(Method::GET, "Metadata").await, 404);
}

#[tokio::test]
async fn the_valid_read_itself_succeeds() {
    // The scenarios' control: the same request to `metadata` with GET is answered.
    let answer = metadata(Method::GET, "metadata").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["resourceType"], "CapabilityStatement");
}
