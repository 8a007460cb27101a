//! `openmig demo` end to end, as the README's first command: it generates the region,
//! starts the providers and the gateway on a real listener, prints a token and `curl`
//! examples that work; a practice taken down is answered from the dated copy, and a
//! summary written back while it is down reaches its own system once it is back;
//! Ctrl-C stops it and leaves an audit log that verifies.

mod common;

use std::process::Command;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use common::{http_get, http_post, start};
use tempfile::TempDir;

/// The gateway inbox of `ods` as `openmig inbox list --all --format json` shows it.
fn gateway_inbox(db: &std::path::Path, ods: &str) -> serde_json::Value {
    let output = Command::new(cargo_bin("openmig"))
        .args(["inbox", "list", "--all", "--format", "json", "--practice", ods, "--database"])
        .arg(db)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn demo_serves_the_gateway_with_a_working_token_and_stops_cleanly() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("demo.db");
    let keys = dir.path().join("keys");
    let (mut server, mut lines) = start("demo", &db, &keys);
    let (mut address, mut token, mut medicines_path, mut refused_path) = (None, None, None, None);
    let (mut fault_url, mut writeback) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("=== openmig is serving on http://") {
            address = rest.split_whitespace().next().map(str::to_string);
        }
        if let Some(rest) = line.strip_prefix("export TOKEN=") {
            token = Some(rest.to_string());
        }
        if line.starts_with("curl ") && line.contains("/medicines") {
            let path = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap();
            let path = format!("/{}", path.splitn(4, '/').nth(3).unwrap());
            if line.contains("refused") {
                refused_path = Some(path);
            } else {
                medicines_path = Some(path);
            }
        }
        if line.starts_with("curl ") && line.contains("--data @") {
            let file = line.split_whitespace().find_map(|w| w.strip_prefix('@')).unwrap().to_string();
            let url = line.split_whitespace().find(|w| w.starts_with("http://")).unwrap();
            writeback = Some((file, format!("/{}", url.splitn(4, '/').nth(3).unwrap())));
        }
        if let Some(url) = line.split_whitespace().find(|w| w.starts_with("https://") && w.ends_with("/_admin/faults"))
        {
            fault_url = Some(url.to_string());
        }
        if refused_path.is_some() && medicines_path.is_some() && fault_url.is_some() {
            break;
        }
    }
    let address = address.expect("the demo prints where it serves");
    let token = token.expect("the demo prints a token");
    let medicines_path = medicines_path.expect("the demo prints a medicines curl example");

    assert_eq!(http_get(&address, "/readyz", None).0, 200);
    let (status, body) = http_get(&address, &medicines_path, Some(&token));
    assert_eq!(status, 200, "{body}");
    let review: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(!review["current"].as_array().unwrap().is_empty(), "the featured patient has current medicines");
    let (status, body) = http_get(&address, &refused_path.expect("a refused example"), Some(&token));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("This GP practice has not enabled record sharing."), "{body}");
    let (status, _) = http_get(&address, &medicines_path, None);
    assert_eq!(status, 401);

    // Take the practice down through its fault-injection endpoint (mutual TLS, with the
    // demo's own certificates): the gateway answers from its dated last-good copy.
    let faults_url = fault_url.expect("the demo prints a fault-injection example");
    let pki = openmig_tls::DemoPki::load(&keys.join("tls")).unwrap();
    let client = openmig_tls::https_client(openmig_tls::client_config(&pki));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert("content-type", "application/json".parse().unwrap());
    let (status, _, _) = runtime
        .block_on(client.post_json(&faults_url, headers, r#"{"down": true}"#.into(), Duration::from_secs(10)))
        .unwrap();
    assert_eq!(status, 200);
    let (status, body) = http_get(&address, &medicines_path, Some(&token));
    assert_eq!(status, 200, "{body}");
    let copy: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(copy["recordSource"]["live"], false, "{}", copy["recordSource"]);
    assert!(copy["recordSource"]["warning"].as_str().unwrap().starts_with("NOT CURRENT"));

    // A summary written back while the practice is down is accepted and waits in the
    // outbox; once the practice is back it reaches the practice's own system.
    let nhs = medicines_path.split('/').nth(4).unwrap().to_string();
    let ods = faults_url.split('/').nth(3).unwrap().to_string();
    let (file, path) = writeback.expect("the demo prints a write-back example");
    let document = std::fs::read_to_string(&file).unwrap();
    let (status, _, body) = http_post(&address, &path, &token, &document);
    assert_eq!(status, 201, "{body}");
    let held = gateway_inbox(&db, &ods);
    assert_eq!(held["items"][0]["delivery"]["state"], "pending", "{held}");
    let (status, _, _) = runtime
        .block_on(client.send(
            axum::http::Method::DELETE,
            &faults_url,
            axum::http::HeaderMap::new(),
            Default::default(),
            Duration::from_secs(10),
        ))
        .unwrap();
    assert_eq!(status, 200);
    let practice_inbox = faults_url.replace("/_admin/faults", "/inbox");
    let mut received = serde_json::Value::Null;
    for _ in 0..120 {
        let (status, _, body) = runtime
            .block_on(client.get(&practice_inbox, axum::http::HeaderMap::new(), Duration::from_secs(10)))
            .unwrap();
        assert_eq!(status, 200);
        received = serde_json::from_slice(&body).unwrap();
        if !received["received"].as_array().unwrap().is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let documents = received["received"].as_array().expect("the practice's system lists what it received");
    assert_eq!(documents.len(), 1, "delivered once: {received}");
    assert_eq!(documents[0]["document"]["title"], "Emergency department discharge summary");
    assert_eq!(documents[0]["document"]["nhsNumber"], nhs);
    assert_eq!(documents[0]["document"]["identifier"]["value"], "openmig-demo-discharge-1");
    let delivered = gateway_inbox(&db, &ods);
    assert_eq!(delivered["items"][0]["delivery"]["state"], "delivered", "{delivered}");

    // Ctrl-C: a clean stop writes the final audit checkpoint; the log verifies.
    let pid = server.0.id().to_string();
    assert!(Command::new("kill").args(["-INT", &pid]).status().unwrap().success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "demo exits cleanly on Ctrl-C: {status:?}");
    let verify = Command::new(cargo_bin("openmig"))
        .args(["audit", "verify", "--database"])
        .arg(&db)
        .arg("--keys")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}
