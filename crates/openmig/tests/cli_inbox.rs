//! `openmig inbox list` and `openmig inbox ack` as a practice uses them, on the store file
//! the inbox shares with the region and the audit log; and write-back end to end through
//! `openmig serve`: a document sent over HTTP is delivered to the practice's inbox by the
//! server's outbox and listed by the CLI.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::Duration;

use assert_cmd::Command;
use chrono::{TimeZone, Utc};
use common::{http_post, start};
use openmig_domain::OdsCode;
use openmig_inbox::{DeliveryError, DocumentKind, Inbox, InboxDocument, Sender};
use openmig_store_sqlite::SqliteStore;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn openmig() -> Command {
    Command::cargo_bin("openmig").unwrap()
}

/// A small region: 60 patients in two practices.
fn region(dir: &Path) -> PathBuf {
    let db = dir.join("region.db");
    openmig()
        .args(["generate", "--patients", "60", "--practices", "2", "--as-of", "2026-11-25", "--seed", "7", "--out"])
        .arg(&db)
        .assert()
        .success();
    db
}

fn patients(db: &Path, wanted: &str) -> Vec<String> {
    let out =
        openmig().args(["patients", "--limit", "1000", "--trait", wanted, "--database"]).arg(db).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap().lines().map(str::to_string).collect()
}

/// A patient whose record the gateway will share: registered, alive, not restricted, no dissent.
fn shareable_patient(db: &Path) -> String {
    let excluded: BTreeSet<String> = ["dissent", "deceased", "deregistered", "restricted", "practice-sharing-disabled"]
        .iter()
        .flat_map(|t| patients(db, t))
        .collect();
    patients(db, "any").into_iter().find(|nhs| !excluded.contains(nhs)).expect("a shareable patient")
}

/// The example emergency department discharge summary (`openmig_inbox::examples`).
fn bundle(nhs: &str, id: &str) -> Value {
    openmig_inbox::examples::discharge_summary(nhs, id)
}

/// Submits `id` for `nhs` to `practice`'s inbox in `db`, as the gateway does.
fn submit(db: &Path, practice: &str, nhs: &str, id: &str) {
    let inbox = Inbox::open_existing(db).unwrap();
    let parsed = openmig_inbox::parse(DocumentKind::Bundle, bundle(nhs, id).to_string().as_bytes()).unwrap();
    let sender = Sender {
        user_id: "555123456789".into(),
        user_name: "Dr Sam Jones".into(),
        organisation: OdsCode::parse("ZC010").unwrap(),
    };
    let document = InboxDocument::new(OdsCode::parse(practice).unwrap(), parsed, sender);
    inbox.submit(document, Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()).unwrap();
}

fn list(db: &Path, practice: &str, extra: &[&str]) -> String {
    let out =
        openmig().args(["inbox", "list", "--practice", practice, "--database"]).arg(db).args(extra).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

fn one_line_error(assert: assert_cmd::assert::Assert, contains: &str) {
    let output = assert.code(1).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.contains(contains), "expected '{contains}' in: {stderr}");
}

#[test]
fn a_practice_lists_and_acknowledges_its_inbox_in_the_store_file() {
    let dir = TempDir::new().unwrap();
    let db = region(dir.path());
    let nhs = shareable_patient(&db);
    // A store without an inbox yet: listing says so and changes nothing.
    let before = std::fs::read(&db).unwrap();
    one_line_error(
        openmig().args(["inbox", "list", "--practice", "Z90001", "--database"]).arg(&db).assert(),
        "holds no practice inbox",
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    submit(&db, "Z90001", &nhs, "ed-1");
    submit(&db, "Z90001", &nhs, "ed-2");
    submit(&db, "Z90002", &nhs, "ed-3");
    // The outbox tried once while the practices were unreachable.
    let round = Inbox::open_existing(&db)
        .unwrap()
        .deliver_due(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 1).unwrap(), |item| {
            Err(DeliveryError::unreachable(format!(
                "practice {} could not be reached: connection refused",
                item.practice
            )))
        })
        .unwrap();
    assert_eq!(round.failed, 3);

    let text = list(&db, "Z90001", &[]);
    assert!(
        text.starts_with("#1  2026-11-25T11:30:00+00:00  Emergency department discharge summary  [Bundle]"),
        "{text}"
    );
    assert!(text.contains("#2  "), "{text}");
    assert!(!text.contains("#3  "), "another practice's document: {text}");
    assert!(
        text.contains("from Synthetic General Hospital Emergency Department (ZC010) · sent by Dr Sam Jones (ZC010)"),
        "{text}"
    );
    assert!(text.contains("diagnoses: Atrial fibrillation (49436004, active)"), "{text}");
    assert!(text.contains("medication active: Apixaban 5mg tablets (703908001) — One tablet twice a day"), "{text}");
    assert!(
        text.contains(
            "delivery: pending (1 failed attempt, the last: practice Z90001 could not be reached: connection refused; \
             next at 2026-11-25T12:00:"
        ) && text.contains("not acknowledged"),
        "{text}"
    );
    assert!(text.contains("medication stopped: Naproxen 500mg tablets (329807003)"), "{text}");
    assert!(text.contains("    | Presenting complaint\n    | Palpitations for two hours."), "{text}");

    let json: Value = serde_json::from_str(&list(&db, "Z90001", &["--format", "json"])).unwrap();
    assert_eq!(
        (json["practice"].as_str(), json["status"].as_str(), json["total"].as_u64()),
        (Some("Z90001"), Some("unacknowledged"), Some(2))
    );
    assert_eq!(json["items"][0]["document"]["diagnoses"][0]["code"], "49436004");
    assert_eq!(json["items"][0]["document"]["nhsNumber"], nhs.as_str());

    openmig()
        .args(["inbox", "ack", "--practice", "Z90001", "--id", "1", "--by", "Pat Reception", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::starts_with("acknowledged inbox item 1 of Z90001 (by Pat Reception at "));
    openmig()
        .args(["inbox", "ack", "--practice", "Z90001", "--id", "1", "--by", "Someone Else", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(
            predicate::str::contains("was already acknowledged by Pat Reception at")
                .and(predicate::str::contains("nothing changed")),
        );
    // Item 3 is Z90002's: not found in Z90001's inbox, and the other way round.
    one_line_error(
        openmig()
            .args(["inbox", "ack", "--practice", "Z90001", "--id", "3", "--by", "X", "--database"])
            .arg(&db)
            .assert(),
        "no item 3 in this practice's inbox",
    );
    one_line_error(
        openmig()
            .args(["inbox", "ack", "--practice", "Z90002", "--id", "1", "--by", "X", "--database"])
            .arg(&db)
            .assert(),
        "no item 1 in this practice's inbox",
    );

    let unacknowledged = list(&db, "Z90001", &[]);
    assert!(!unacknowledged.contains("#1  ") && unacknowledged.contains("#2  "), "{unacknowledged}");
    let all = list(&db, "Z90001", &["--all"]);
    assert!(all.contains("#1  ") && all.contains("acknowledged by Pat Reception at "), "{all}");
    assert_eq!(list(&db, "Z90003", &[]), "no unacknowledged documents in the inbox of Z90003\n");

    // The region is unharmed: the directory and each practice's store open, and the CLI
    // reads them.
    let directory = openmig_directory::SqliteDirectory::open(&db).unwrap();
    assert_eq!(openmig_directory::Directory::practices(&directory).unwrap().len(), 2);
    drop(directory);
    let practices = db.with_file_name(format!("{}-practices", db.file_stem().unwrap().to_string_lossy()));
    let store = SqliteStore::open(&practices.join("Z90001.db")).unwrap();
    store.check_integrity().unwrap();
    drop(store);
    openmig().args(["info", "--hash", "--database"]).arg(&db).assert().success();
    openmig().args(["record", &nhs, "--database"]).arg(&db).assert().success();
}

#[test]
fn ack_never_creates_a_database_and_flags_are_checked() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.db");
    one_line_error(
        openmig()
            .args(["inbox", "ack", "--practice", "Z90001", "--id", "1", "--by", "X", "--database"])
            .arg(&missing)
            .assert(),
        "does not exist",
    );
    assert!(!missing.exists());
    openmig().args(["inbox", "list", "--practice", "not an ods", "--database"]).arg(&missing).assert().code(2);
    openmig().args(["inbox", "ack", "--practice", "Z90001", "--by", "X"]).assert().code(2);
    openmig().args(["inbox", "list", "--help"]).assert().success().stdout(predicate::str::contains("--all"));
}

#[test]
fn a_document_sent_to_openmig_serve_reaches_the_practice_inbox_and_is_delivered() {
    let dir = TempDir::new().unwrap();
    let db = region(dir.path());
    let keys = dir.path().join("keys");
    let nhs = shareable_patient(&db);
    let (mut server, lines) = start("serve", &db, &keys);
    let address = lines
        .map(Result::unwrap)
        .find_map(|line| {
            line.strip_prefix("gateway: http://").and_then(|rest| rest.split('/').next()).map(str::to_string)
        })
        .expect("serve prints the gateway's address");
    let token = |role: &str, org: &str, consent: Option<&str>| {
        let mut command = openmig();
        command.args(["token", "--user", "555123456789", "--name", "Dr Sam Jones", "--role", role, "--org", org]);
        if let Some(consent) = consent {
            command.args(["--consent", consent]);
        }
        let out = command.arg("--keys").arg(&keys).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap().trim().to_string()
    };
    let doctor = token("doctor", "ZC010", Some("given"));
    let (status, head, body) = http_post(&address, "/fhir/R4/Bundle", &doctor, &bundle(&nhs, "ed-serve-1").to_string());
    assert_eq!(status, 201, "{body}");
    let location = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().starts_with("location:").then(|| line[9..].trim().to_string()))
        .expect("a Location header");
    let practice = location.split("/practices/").nth(1).unwrap().split('/').next().unwrap().to_string();
    assert!(location.ends_with(&format!("/practices/{practice}/inbox/1")), "{location}");
    // The same document again: stored once.
    let (status, again, _) = http_post(&address, "/fhir/R4/Bundle", &doctor, &bundle(&nhs, "ed-serve-1").to_string());
    assert_eq!(status, 200);
    assert!(again.contains(&location), "{again}");

    // The server's outbox delivers it; the practice sees it with the CLI while the server runs.
    let mut delivered = false;
    for _ in 0..100 {
        let json: Value = serde_json::from_str(&list(&db, &practice, &["--format", "json"])).unwrap();
        assert_eq!(json["total"], 1);
        if json["items"][0]["delivery"]["state"] == "delivered" {
            delivered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(delivered, "the outbox delivered the document");
    openmig()
        .args(["inbox", "ack", "--practice", &practice, "--id", "1", "--by", "Pat Reception", "--database"])
        .arg(&db)
        .assert()
        .success();

    // Ctrl-C; the audit log (in the same file) still verifies, with the write-back in it.
    let pid = server.0.id().to_string();
    assert!(Process::new("kill").args(["-INT", &pid]).status().unwrap().success());
    assert!(server.0.wait().unwrap().success());
    openmig().args(["audit", "verify", "--database"]).arg(&db).arg("--keys").arg(&keys).assert().success();
    let report = openmig()
        .args(["audit", "report", "--format", "json", "--patient", &nhs, "--database"])
        .arg(&db)
        .assert()
        .success();
    let report = String::from_utf8(report.get_output().stdout.clone()).unwrap();
    assert_eq!(report.matches("writeback.submit").count(), 2, "{report}");
}
