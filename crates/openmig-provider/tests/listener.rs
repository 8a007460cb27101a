//! The provider on a real socket: one request over plain HTTP/1.1.

mod common;

use std::io::{Read, Write};

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_structured_record_over_a_real_listener() {
    let store = store();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(openmig_provider::serve(listener, app(&store)));

    let body = parameters(vec![nhs_param(EXAMPLE_NHS), allergies(true), medication(true)]).to_string();
    let request = format!(
        "POST /{ODS}/STU3/1/gpconnect/structured/fhir/Patient/$gpc.getstructuredrecord HTTP/1.1\r\n\
         Host: {address}\r\nConnection: close\r\n\
         Ssp-TraceID: 2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a\r\nSsp-From: 200000000359\r\nSsp-To: {ASID}\r\n\
         Ssp-InteractionID: urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1\r\n\
         Authorization: Bearer {}\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n{body}",
        jwt(&claims()),
        body.len()
    );
    let response = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    })
    .await
    .unwrap();
    server.abort();

    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("cache-control: no-store"));
    assert!(head.to_ascii_lowercase().contains("content-type: application/fhir+json; charset=utf-8"));
    let bundle: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
}
