//! `openmig audit verify` and `openmig audit report`, driven as a script drives them. The
//! log is written through `openmig_audit` (as the gateway writes it); tampering uses a
//! raw SQLite connection with the append-only triggers dropped.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{Duration, TimeZone, Utc};
use openmig_audit::{AuditEvent, AuditLog, AuditOptions, CheckpointKey, Outcome};
use openmig_domain::{ConsentBasis, Dataset, NhsNumber, OdsCode, Role};
use predicates::prelude::*;
use tempfile::TempDir;

fn openmig() -> Command {
    Command::cargo_bin("openmig").unwrap()
}

fn patient(index: u64) -> NhsNumber {
    (900_000_000 + index as u32 * 11..).find_map(NhsNumber::from_prefix).unwrap()
}

fn event(i: u64) -> AuditEvent {
    let emergency = i == 4;
    AuditEvent {
        time: Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap() + Duration::minutes(i as i64),
        interaction: "gpconnect.getstructuredrecord".into(),
        user_id: format!("user-{i}"),
        user_name: if i == 2 { "Smith, \"Jo\"".into() } else { format!("Clinician {i}") },
        role: Some(Role::Paramedic),
        organisation: "RX1".into(),
        device: "ambulance-tablet".into(),
        patient: Some(patient(i % 2)),
        practice: Some(OdsCode::parse(if i.is_multiple_of(2) { "Z90001" } else { "Z90002" }).unwrap()),
        purpose: "directcare".into(),
        consent: Some(if emergency { ConsentBasis::Emergency } else { ConsentBasis::Given }),
        override_reason: emergency.then(|| "unconscious, no one to ask".to_string()),
        datasets: vec![Dataset::Demographics, Dataset::Clinical],
        items_returned: 12,
        outcome: Outcome::Permitted,
        error_code: None,
        trace_id: format!("trace-{i}"),
    }
}

/// A closed audit log of `n` entries in `db`, keys in `dir/openmig-keys`.
fn write_log(dir: &Path, db: &Path, n: u64) -> PathBuf {
    let keys = dir.join("openmig-keys");
    let log = AuditLog::open(db, CheckpointKey::load_or_create(&keys).unwrap(), AuditOptions::default()).unwrap();
    for i in 1..=n {
        log.append(event(i)).unwrap();
    }
    log.close().unwrap();
    keys
}

fn attacker(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch("DROP TRIGGER audit_entry_no_update; DROP TRIGGER audit_entry_no_delete;").unwrap();
    conn
}

fn assert_one_line_error(assert: assert_cmd::assert::Assert, code: i32, contains: &str) {
    let output = assert.code(code).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.contains(contains), "expected '{contains}' in: {stderr}");
}

fn verify(db: &Path, keys: &Path) -> assert_cmd::assert::Assert {
    openmig().args(["audit", "verify", "--database"]).arg(db).arg("--keys").arg(keys).assert()
}

#[test]
fn verify_exits_0_for_an_intact_log() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    let keys = write_log(dir.path(), &db, 6);
    verify(&db, &keys).success().stdout(predicate::str::starts_with("audit log intact: 6 entries"));
    // The sqlite: form, and the default key directory relative to the working directory.
    openmig()
        .current_dir(dir.path())
        .args(["audit", "verify", "--database", "sqlite:audit.db"])
        .assert()
        .success()
        .stdout(predicate::str::contains("the last at sequence 6"));
}

#[test]
fn verify_names_the_first_bad_sequence_number_of_an_edited_log() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    let keys = write_log(dir.path(), &db, 6);
    attacker(&db).execute("UPDATE audit_entry SET user_id = 'nobody' WHERE sequence = 3", []).unwrap();
    assert_one_line_error(verify(&db, &keys), 1, "first bad sequence number 3");
}

#[test]
fn verify_names_where_a_truncated_log_ends() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    let keys = write_log(dir.path(), &db, 6);
    attacker(&db).execute("DELETE FROM audit_entry WHERE sequence > 4", []).unwrap();
    assert_one_line_error(verify(&db, &keys), 1, "first bad sequence number 5");
}

#[test]
fn verify_refuses_a_forged_checkpoints_file() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    let keys = write_log(dir.path(), &db, 6);
    let checkpoints = dir.path().join("audit.db.audit-checkpoints.jsonl");
    let text = std::fs::read_to_string(&checkpoints).unwrap();
    std::fs::write(&checkpoints, text.replace("\"sequence\":6", "\"sequence\":5")).unwrap();
    assert_one_line_error(verify(&db, &keys), 1, "first bad sequence number 5");
    // Checkpoints given explicitly, from where they were copied for safe keeping.
    let kept = dir.path().join("kept.jsonl");
    std::fs::write(&kept, text).unwrap();
    verify(&db, &keys).code(1);
    openmig()
        .args(["audit", "verify", "--database"])
        .arg(&db)
        .arg("--keys")
        .arg(&keys)
        .arg("--checkpoints")
        .arg(&kept)
        .assert()
        .success();
}

#[test]
fn report_lists_a_practice_s_accesses_as_csv_with_overrides_first() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    write_log(dir.path(), &db, 6);
    let output = openmig()
        .args(["audit", "report", "--practice", "z90001", "--database"])
        .arg(&db)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(output).unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert!(lines[0].starts_with("sequence,time,patient,practice,user_id,user_name,role,"), "{csv}");
    // Entries 2, 4, 6 belong to Z90001; 4 is the emergency override.
    let sequences: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(sequences, ["4", "2", "6"]);
    assert!(lines[1].contains(",emergency,\"unconscious, no one to ask\","), "{}", lines[1]);
    assert!(lines[2].contains(",\"Smith, \"\"Jo\"\"\","), "{}", lines[2]);
    assert!(lines[2].contains("2026-07-01T09:02:00.000000Z"));
}

#[test]
fn report_lists_a_patient_s_accesses_as_json_within_dates() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    write_log(dir.path(), &db, 6);
    let nhs = patient(1).to_string();
    let output = openmig()
        .args(["audit", "report", "--format", "json", "--from", "2026-07-01", "--to", "2026-07-01", "--patient"])
        .arg(&nhs)
        .arg("--database")
        .arg(&db)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.iter().map(|e| e["sequence"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 3, 5]);
    assert!(entries.iter().all(|e| e["patient"] == nhs.as_str() && e["consent"] == "given"));
    assert_eq!(entries[0]["hash"].as_str().unwrap().len(), 64);
    // Another day: nothing.
    openmig()
        .args(["audit", "report", "--format", "json", "--from", "2026-07-02", "--patient"])
        .arg(&nhs)
        .arg("--database")
        .arg(&db)
        .assert()
        .success()
        .stdout("[]\n");
}

#[test]
fn bad_arguments_get_one_line_errors() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("audit.db");
    write_log(dir.path(), &db, 2);
    let report = || {
        let mut command = openmig();
        command.args(["audit", "report", "--database"]).arg(&db);
        command
    };
    // main.rs keeps only the first line of clap's message, which here does not name the
    // missing arguments (reported to the lead; it affects every command).
    assert_one_line_error(report().assert(), 2, "required arguments were not provided");
    assert_one_line_error(
        report().args(["--practice", "Z90001", "--patient", "9434765919"]).assert(),
        2,
        "cannot be used",
    );
    assert_one_line_error(report().args(["--patient", "9434765918"]).assert(), 2, "check digit");
    assert_one_line_error(report().args(["--practice", "Z9!"]).assert(), 2, "ODS code");
    assert_one_line_error(report().args(["--practice", "Z90001", "--from", "1/7/2026"]).assert(), 2, "YYYY-MM-DD");
    assert_one_line_error(report().args(["--practice", "Z90001", "--format", "xml"]).assert(), 2, "xml");
    assert_one_line_error(
        report().args(["--practice", "Z90001", "--from", "2026-07-02", "--to", "2026-07-01"]).assert(),
        1,
        "is after --to",
    );
    assert_one_line_error(openmig().args(["audit", "frobnicate"]).assert(), 2, "frobnicate");
    assert_one_line_error(
        openmig().args(["audit", "verify", "--database"]).arg(&db).arg("--keys").arg(dir.path().join("none")).assert(),
        1,
        "no audit checkpoint public key",
    );
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    assert_one_line_error(
        openmig()
            .args(["audit", "verify", "--database"])
            .arg(&text)
            .arg("--keys")
            .arg(dir.path().join("openmig-keys"))
            .assert(),
        1,
        "not a SQLite database",
    );
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "hello");
    assert_one_line_error(
        openmig()
            .args(["audit", "report", "--practice", "Z90001", "--database"])
            .arg(dir.path().join("missing.db"))
            .assert(),
        1,
        "does not exist",
    );
}

#[test]
fn the_audit_log_shares_a_generated_store_file_with_the_records() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("region.db");
    openmig()
        .args(["generate", "--patients", "60", "--practices", "1", "--as-of", "2026-11-25", "--out"])
        .arg(&db)
        .assert()
        .success();
    let keys = write_log(dir.path(), &db, 3);
    openmig()
        .args(["info", "--hash", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("patients: 60"));
    openmig().args(["patients", "--trait", "any", "--limit", "1", "--database"]).arg(&db).assert().success();
    verify(&db, &keys).success().stdout(predicate::str::starts_with("audit log intact: 3 entries"));
}

#[test]
fn regenerating_a_store_sets_the_old_audit_checkpoints_aside_so_serving_can_start_again() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("region.db");
    let checkpoints = dir.path().join("region.db.audit-checkpoints.jsonl");
    let generate = |force: bool| {
        let mut command = assert_cmd::Command::cargo_bin("openmig").unwrap();
        command.args(["generate", "--patients", "20", "--practices", "1", "--out"]).arg(&db);
        if force {
            command.arg("--force");
        }
        command.assert().success();
    };
    generate(false);
    std::fs::write(&checkpoints, "{\"sequence\":7}\n").unwrap();
    generate(true);
    assert!(!checkpoints.exists(), "the old checkpoints no longer describe the new file");
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with("region.db.audit-checkpoints.jsonl.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "they are kept as evidence");
}
