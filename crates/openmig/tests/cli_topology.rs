//! Two hosts, as a real deployment runs: `serve --role practices` with the region's
//! clinical stores, and `serve --role gateway` as a separate process given a copy of the
//! directory file alone, in a folder with no clinical store anywhere near it. A clinician
//! view works end to end; the endpoint the directory publishes answers over mutual TLS;
//! a summary written back at the gateway reaches the practice's system on the other host;
//! with the practices stopped the gateway answers from its dated copy or says the record
//! is unavailable, never from a local file.

mod common;

use std::io::{BufRead, BufReader, Lines};
use std::path::Path;
use std::process::{ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use assert_cmd::Command as Cli;
use assert_cmd::cargo::cargo_bin;
use common::*;
use serde_json::Value;

fn openmig() -> Cli {
    Cli::cargo_bin("openmig").unwrap()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `openmig serve ARGS`, with the lines it prints.
fn serve(args: &[&str]) -> (Server, Lines<BufReader<ChildStdout>>) {
    let child =
        Command::new(cargo_bin("openmig")).arg("serve").args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn();
    let mut server = Server(child.unwrap());
    let stdout = server.0.stdout.take().unwrap();
    (server, BufReader::new(stdout).lines())
}

/// Reads printed lines until one starts with `prefix`; returns the rest of it.
fn line_after(lines: &mut Lines<BufReader<ChildStdout>>, prefix: &str) -> String {
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix(prefix) {
            return rest.trim().to_string();
        }
    }
    panic!("the server never printed {prefix:?}");
}

fn stdout(command: &mut Cli) -> String {
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

#[test]
fn a_gateway_holding_only_the_directory_federates_to_practices_served_by_another_process() {
    let dir = tempfile::tempdir().unwrap();
    let (practices_host, gateway_host) = (dir.path().join("practices-host"), dir.path().join("gateway-host"));
    std::fs::create_dir_all(&practices_host).unwrap();
    std::fs::create_dir_all(&gateway_host).unwrap();
    let region = practices_host.join("region.db");
    let port = free_port();
    let practices_url = format!("https://127.0.0.1:{port}");
    openmig()
        .args(["generate", "--patients", "600", "--practices", "2", "--seed", "3", "--as-of", "2026-11-25"])
        .args(["--practices-url", &practices_url, "--out"])
        .arg(&region)
        .assert()
        .success();
    // The gateway's host gets the directory file and nothing else.
    let directory = gateway_host.join("directory.db");
    std::fs::copy(&region, &directory).unwrap();
    let keys = dir.path().join("keys");
    let keys_arg = keys.to_str().unwrap();

    let practices_listen = format!("127.0.0.1:{port}");
    let (mut practices, mut practice_lines) = serve(&[
        "--role",
        "practices",
        "--database",
        region.to_str().unwrap(),
        "--practices-listen",
        &practices_listen,
        "--keys",
        keys_arg,
    ]);
    assert_eq!(line_after(&mut practice_lines, "practices' systems:"), practices_url);
    let (_gateway, mut gateway_lines) = serve(&[
        "--role",
        "gateway",
        "--database",
        directory.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--keys",
        keys_arg,
    ]);
    let banner = line_after(&mut gateway_lines, "gateway:");
    let address = banner.trim_start_matches("http://").split('/').next().unwrap().to_string();
    assert!(!gateway_host.join("directory-practices").exists(), "no clinical store beside the gateway's file");

    let token =
        stdout(openmig().args(["token", "--keys", keys_arg, "--user", "555000000001", "--role", "doctor"]).args([
            "--org",
            "ZC010",
            "--consent",
            "given",
        ]));
    let token = token.trim();
    // A patient on an anticoagulant at a practice that shares, found as a clinician would:
    // by trace.
    let candidates =
        stdout(openmig().args(["patients", "--trait", "anticoagulant", "--limit", "40", "--database"]).arg(&region));
    let (nhs, trace) = candidates
        .lines()
        .map(|nhs| (nhs.to_string(), json(&http_get(&address, &format!("/directory/patients/{nhs}"), Some(token)).1)))
        .find(|(_, trace)| trace["practice"]["sharingEnabled"] == true)
        .expect("an anticoagulated patient at a sharing practice");
    let ods = trace["practice"]["odsCode"].as_str().unwrap().to_string();
    let endpoint = trace["practice"]["gpConnectEndpoint"].as_str().unwrap().to_string();
    assert_eq!(endpoint, format!("{practices_url}/{ods}/STU3/1/gpconnect/structured/fhir"));
    assert!(trace["practice"]["asid"].as_str().is_some_and(|asid| !asid.is_empty()), "{trace}");

    // The clinical content the gateway shows is the practice's own.
    let expected = json(&stdout(openmig().args(["medicines", &nhs, "--json", "--database"]).arg(&region)));
    let (status, body) = http_get(&address, &format!("/api/v1/patients/{nhs}/medicines"), Some(token));
    assert_eq!(status, 200, "{body}");
    let live = json(&body);
    assert_eq!(live["recordSource"]["live"], true);
    let names = |review: &Value| -> Vec<String> {
        review["current"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_string()).collect()
    };
    assert!(!names(&expected).is_empty());
    assert_eq!(names(&live), names(&expected), "the same current medicines, read over federation");
    assert!(body.contains("Anticoagulant"), "the anticoagulant flag: {body}");

    // The published endpoint answers metadata over mutual TLS, with the demo PKI, to a
    // consumer that sends GP Connect's headers and token, as for the operation.
    let pki = openmig_tls::DemoPki::load(&keys.join("tls")).unwrap();
    let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let asid = trace["practice"]["asid"].as_str().unwrap();
    let metadata_headers = gp_connect_metadata_headers(&endpoint, asid);
    let (metadata_status, _, metadata) = runtime
        .block_on(client.get(&format!("{endpoint}/metadata"), metadata_headers, Duration::from_secs(5)))
        .unwrap();
    assert_eq!(metadata_status, 200);
    assert_eq!(json(&String::from_utf8_lossy(&metadata))["resourceType"], "CapabilityStatement");
    // Write-back from the gateway's host reaches the practice's system on the other.
    let summary = openmig_inbox::examples::discharge_summary(&nhs, "topology-discharge-1").to_string();
    let (status, _, body) = http_post(&address, "/fhir/R4/Bundle", token, &summary);
    assert_eq!(status, 201, "{body}");
    let practice_inbox = format!("{practices_url}/{ods}/inbox");
    let mut received = Value::Null;
    for _ in 0..60 {
        let (status, _, body) =
            runtime.block_on(client.get(&practice_inbox, Default::default(), Duration::from_secs(5))).unwrap();
        assert_eq!(status, 200);
        received = json(&String::from_utf8_lossy(&body));
        if !received["received"].as_array().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let documents = received["received"].as_array().unwrap();
    assert_eq!(documents.len(), 1, "delivered once to the practices' host: {received}");
    assert_eq!(documents[0]["document"]["nhsNumber"], nhs.as_str());
    assert_eq!(documents[0]["document"]["identifier"]["value"], "topology-discharge-1");

    let stranger = openmig_tls::DemoPki::generate().unwrap();
    let untrusted = openmig_tls::https_client(openmig_tls::client_config(&stranger));
    let refused =
        runtime.block_on(untrusted.get(&format!("{endpoint}/metadata"), Default::default(), Duration::from_secs(5)));
    assert!(refused.is_err(), "a client trusting another CA does not get an answer");
    drop(Arc::new(runtime));

    // The practices go away: the viewed patient comes from the dated copy, another patient
    // is "unavailable", and nothing is read from a local clinical file.
    drop(practice_lines);
    let _ = practices.0.kill();
    let _ = practices.0.wait();
    let (status, body) = http_get(&address, &format!("/api/v1/patients/{nhs}/medicines"), Some(token));
    assert_eq!(status, 200, "{body}");
    let copy = json(&body);
    assert_eq!(copy["recordSource"]["live"], false);
    assert!(copy["recordSource"]["warning"].as_str().unwrap().starts_with("NOT CURRENT"), "{body}");
    assert_eq!(names(&copy), names(&expected));
    let other = candidates.lines().find(|other| *other != nhs).unwrap();
    let (status, body) = http_get(&address, &format!("/api/v1/patients/{other}/medicines"), Some(token));
    assert!(status == 503 || status == 403, "{status} {body}");
    if status == 503 {
        assert!(body.contains("GP_RECORD_UNAVAILABLE"), "{body}");
    }
}

/// The one line `openmig ARGS` prints when it refuses, and that it refused.
fn refusal(args: &[&str]) -> String {
    let output = openmig().args(args).timeout(Duration::from_secs(30)).output().unwrap();
    assert!(!output.status.success(), "openmig {args:?} should refuse");
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

/// The one line a failed start prints, and that it failed.
fn start_error(args: &[&str]) -> String {
    refusal(&[&["serve"], args].concat())
}

#[test]
fn bad_settings_stop_the_start_with_one_line_and_nothing_half_started() {
    let dir = tempfile::tempdir().unwrap();
    let region = dir.path().join("region.db");
    openmig()
        .args(["generate", "--patients", "50", "--practices", "1", "--seed", "2", "--out"])
        .arg(&region)
        .assert()
        .success();
    let keys = dir.path().join("keys");
    let (region_arg, keys_arg) = (region.to_str().unwrap(), keys.to_str().unwrap());
    let listen = ["--listen", "127.0.0.1:0", "--practices-listen", "127.0.0.1:0"];

    // clap's refusal, kept to one line by main.rs, exit status 2.
    let output = openmig().args(["serve", "--role", "hospital", "--database", region_arg]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("invalid value 'hospital' for '--role"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    let missing = dir.path().join("missing.db");
    let error = start_error(&["--role", "gateway", "--database", missing.to_str().unwrap(), "--keys", keys_arg]);
    assert!(error.contains("directory not found"), "{error}");

    // A one-file region from before the split is named as such, with what to do.
    let old = dir.path().join("old.db");
    drop(openmig_store_sqlite::SqliteStore::create(&old).unwrap());
    let error = start_error(&["--role", "gateway", "--database", old.to_str().unwrap(), "--keys", keys_arg]);
    assert!(error.contains("one-file region from an earlier openmig") && error.contains("--force"), "{error}");

    let lonely = dir.path().join("lonely");
    std::fs::create_dir(&lonely).unwrap();
    std::fs::copy(&region, lonely.join("region.db")).unwrap();
    let lonely_region = lonely.join("region.db");
    let error =
        start_error(&["--role", "practices", "--database", lonely_region.to_str().unwrap(), "--keys", keys_arg]);
    assert!(error.contains("practices' stores"), "{error}");

    let wrong_ca = dir.path().join("not-a-ca.pem");
    std::fs::write(&wrong_ca, "not a certificate").unwrap();
    let mut args = vec!["--role", "gateway", "--database", region_arg, "--keys", keys_arg, "--provider-ca"];
    args.push(wrong_ca.to_str().unwrap());
    args.extend(listen);
    let error = start_error(&args);
    assert!(error.contains("not-a-ca.pem") && error.contains("CERTIFICATE"), "{error}");

    set_endpoint(&region, "http://127.0.0.1:9443/Z90001/STU3/1/gpconnect/structured/fhir");
    let mut args = vec!["--role", "gateway", "--database", region_arg, "--keys", keys_arg];
    args.extend(listen);
    let error = start_error(&args);
    assert!(error.contains("Z90001") && error.contains("not https"), "{error}");
    assert!(!dir.path().join("region.db.audit-checkpoints.jsonl").exists(), "nothing was started");
}

/// What a hand edit of the directory would leave (the CLI refuses to write it).
fn set_endpoint(directory: &Path, url: &str) {
    let connection = rusqlite::Connection::open(directory).unwrap();
    connection.execute("UPDATE directory_practice SET gp_connect_endpoint = ?1", [url]).unwrap();
}

#[test]
fn the_operator_lists_the_directory_and_points_a_practice_at_another_system() {
    let dir = tempfile::tempdir().unwrap();
    let region = dir.path().join("region.db");
    openmig()
        .args(["generate", "--patients", "60", "--practices", "2", "--seed", "4", "--out"])
        .arg(&region)
        .args(["--practices-url", "https://gp.example:9443"])
        .assert()
        .success();
    let hash = |text: &str| text.lines().find(|l| l.starts_with("stored content hash")).unwrap().to_string();
    let before = hash(&stdout(openmig().args(["info", "--hash", "--database"]).arg(&region)));
    let listed = stdout(openmig().args(["directory", "list", "--database"]).arg(&region));
    assert!(listed.contains("GP Connect: https://gp.example:9443/Z90001/STU3/1/gpconnect/structured/fhir"), "{listed}");
    assert!(listed.contains("documents:  https://gp.example:9443/Z90002/inbox/fhir"), "{listed}");

    let set = |practice: &str, url: &str| {
        let region = region.to_str().unwrap().to_string();
        refusal(&["directory", "set-endpoint", "--practice", practice, "--gp-connect", url, "--database", &region])
    };
    let refused = set("Z90002", "http://emis.example/gpc");
    assert!(refused.contains("not https"), "{refused}");
    let unknown = set("Z99999", "https://emis.example/gpc");
    assert!(unknown.contains("no practice Z99999"), "{unknown}");

    openmig()
        .args(["directory", "set-endpoint", "--practice", "Z90002", "--no-documents"])
        .args(["--gp-connect", "https://emis.example/gpc/Z90002/fhir/"])
        .arg("--database")
        .arg(&region)
        .assert()
        .success();
    let listed = stdout(openmig().args(["directory", "list", "--database"]).arg(&region));
    assert!(listed.contains("GP Connect: https://emis.example/gpc/Z90002/fhir\n    documents:  none"), "{listed}");
    assert!(listed.contains("GP Connect: https://gp.example:9443/Z90001/"), "the other practice is unchanged");
    // The region's content is the same: endpoints are settings, not content.
    assert_eq!(before, hash(&stdout(openmig().args(["info", "--hash", "--database"]).arg(&region))));
}

/// GP Connect's headers and unsigned JWT for a metadata read of the structured provider
/// at `endpoint` (its FHIR base), whose ASID is `asid`.
fn gp_connect_metadata_headers(endpoint: &str, asid: &str) -> axum::http::HeaderMap {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": "https://consumer.example/",
        "sub": "1",
        "aud": endpoint.trim_end_matches("/fhir"),
        "iat": now,
        "exp": now + 300,
        "reason_for_request": "directcare",
        "requested_scope": "organization/*.read",
        "requesting_device": {
            "resourceType": "Device",
            "identifier": [{ "system": "https://consumer.example/device", "value": "topology-test" }],
            "model": "cli_topology", "version": "1"
        },
        "requesting_organization": {
            "resourceType": "Organization",
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RXX01" }]
        },
        "requesting_practitioner": {
            "resourceType": "Practitioner", "id": "1",
            "name": [{ "family": "Jones", "given": ["Sam"] }],
            "identifier": [{ "system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK" }]
        }
    });
    let mut headers = axum::http::HeaderMap::new();
    for (name, value) in [
        ("ssp-traceid", "2b1a8d5e-9f44-4c3b-8a6e-2f0c1d3e4b5a".to_owned()),
        ("ssp-from", "200000000359".to_owned()),
        ("ssp-to", asid.to_owned()),
        ("ssp-interactionid", "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1".to_owned()),
        ("authorization", format!("Bearer {}", openmig_gateway::federation::unsigned_jwt(&claims))),
        ("accept", "application/fhir+json".to_owned()),
    ] {
        headers.insert(name, value.parse().unwrap());
    }
    headers
}
