//! The command line, driven as a user or script drives it: real processes, real files.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn openmig() -> Command {
    Command::cargo_bin("openmig").unwrap()
}

fn generate(dir: &Path, name: &str, seed: u64) -> PathBuf {
    let out = dir.join(name);
    openmig()
        .args(["generate", "--patients", "1500", "--practices", "3", "--as-of", "2026-11-25", "--seed"])
        .arg(seed.to_string())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    out
}

fn info(db: &Path) -> String {
    let output =
        openmig().args(["info", "--hash", "--database"]).arg(db).assert().success().get_output().stdout.clone();
    String::from_utf8(output).unwrap()
}

fn hash_lines(info: &str) -> Vec<String> {
    info.lines().filter(|l| l.contains("hash")).map(str::to_string).collect()
}

fn first_with(db: &Path, wanted: &str) -> String {
    let out = openmig().args(["patients", "--limit", "1", "--trait", wanted, "--database"]).arg(db).assert().success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap().trim().to_string()
}

fn assert_one_line_error(assert: assert_cmd::assert::Assert, contains: &str) {
    let output = assert.failure().get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.contains(contains), "expected '{contains}' in: {stderr}");
}

#[test]
fn the_same_seed_gives_byte_identical_content_and_another_seed_differs() {
    let dir = TempDir::new().unwrap();
    let a = hash_lines(&info(&generate(dir.path(), "a.db", 7)));
    let b = hash_lines(&info(&generate(dir.path(), "b.db", 7)));
    let c = hash_lines(&info(&generate(dir.path(), "c.db", 8)));
    assert_eq!(a.len(), 2, "generator and stored hashes are both reported");
    assert_eq!(a, b);
    assert_ne!(a[0], c[0]);
    assert_ne!(a[1], c[1]);
}

#[test]
fn record_shows_the_clinical_summary_of_an_anticoagulated_patient() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "r.db", 1);
    let nhs = first_with(&db, "anticoagulant");
    assert_eq!(nhs.len(), 10);
    openmig()
        .args(["record", &nhs, "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("ALLERGIES AND ADVERSE REACTIONS"))
        .stdout(predicate::str::contains("CURRENT MEDICINES"))
        .stdout(predicate::str::contains("ANTICOAGULANT"))
        .stdout(predicate::str::contains("last issued"))
        .stdout(predicate::str::contains("PROBLEMS"));
    // The grouped spelling finds the same patient.
    let grouped = format!("{} {} {}", &nhs[..3], &nhs[3..6], &nhs[6..]);
    openmig()
        .args(["record", &grouped, "--meds", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("issues:"));
}

#[test]
fn every_trait_named_in_the_api_contract_is_accepted() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "t.db", 2);
    for t in [
        "any",
        "anticoagulant",
        "antiepileptic",
        "insulin",
        "opioid",
        "allergy",
        "overdue-repeat",
        "many-medicines",
        "dissent",
        "sensitive",
        "confidential",
        "deceased",
        "deregistered",
        "practice-sharing-disabled",
    ] {
        openmig().args(["patients", "--trait", t, "--database"]).arg(&db).assert().success();
    }
    let any = first_with(&db, "any");
    assert_eq!(any.len(), 10);
    assert!(!first_with(&db, "practice-sharing-disabled").is_empty(), "a region has at least one practice not sharing");
}

#[test]
fn bad_input_gets_a_one_line_error_and_a_non_zero_exit() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "g.db", 3);
    assert_one_line_error(openmig().args(["record", "9434765918", "--database"]).arg(&db).assert(), "check digit");
    assert_one_line_error(openmig().args(["record", "12345", "--database"]).arg(&db).assert(), "10 digits");
    assert_one_line_error(openmig().args(["record", "9434765919", "--database"]).arg(&db).assert(), "no patient");
    assert_one_line_error(
        openmig().args(["record", "9434765919", "--database"]).arg(dir.path().join("missing.db")).assert(),
        "not found",
    );
    assert_one_line_error(
        openmig().args(["patients", "--trait", "nonsense", "--database"]).arg(&db).assert(),
        "anticoagulant",
    );

    let garbage = dir.path().join("garbage.db");
    fs::write(&garbage, b"this is not a database, just some text that must never be touched").unwrap();
    let before = fs::read(&garbage).unwrap();
    assert_one_line_error(
        openmig().args(["record", "9434765919", "--database"]).arg(&garbage).assert(),
        "not an openmig database",
    );
    assert_eq!(fs::read(&garbage).unwrap(), before, "a foreign file is never changed");
}

#[test]
fn generate_refuses_bad_requests_and_never_leaves_a_partial_file() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("x.db");
    assert_one_line_error(
        openmig().args(["generate", "--patients", "0", "--practices", "1", "--out"]).arg(&out).assert(),
        "--patients",
    );
    assert!(!out.exists());
    assert_one_line_error(
        openmig().args(["generate", "--patients", "5", "--practices", "9", "--out"]).arg(&out).assert(),
        "--practices",
    );
    assert_one_line_error(
        openmig()
            .args(["generate", "--patients", "10", "--practices", "1", "--out"])
            .arg(dir.path().join("no/such/dir/x.db"))
            .assert(),
        "does not exist",
    );
    // /proc refuses new files even to root, so this is unwritable on every Linux machine.
    assert_one_line_error(
        openmig().args(["generate", "--patients", "10", "--practices", "1", "--out", "/proc/openmig-test.db"]).assert(),
        "cannot",
    );
    assert_one_line_error(
        openmig().args(["generate", "--patients", "ten", "--out"]).arg(&out).assert(),
        "invalid value",
    );

    let existing = generate(dir.path(), "keep.db", 4);
    let before = fs::read(&existing).unwrap();
    assert_one_line_error(
        openmig().args(["generate", "--patients", "10", "--practices", "1", "--out"]).arg(&existing).assert(),
        "--force",
    );
    assert_eq!(fs::read(&existing).unwrap(), before, "an existing store is never overwritten without --force");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left behind");

    openmig()
        .args(["generate", "--patients", "10", "--practices", "1", "--force", "--out"])
        .arg(&existing)
        .assert()
        .success();
    assert!(info(&existing).contains("patients: 10"));
}

#[test]
fn demo_generates_a_region_once_and_names_demo_patients() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("demo.db");
    openmig()
        .args(["demo", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("overnight-admission"))
        .stdout(predicate::str::contains("Allergy to penicillin"))
        .stdout(predicate::str::contains("on an anticoagulant"))
        .stdout(predicate::str::contains("practice not sharing"))
        .stdout(predicate::str::contains("CURRENT MEDICINES"));
    let first = fs::metadata(&db).unwrap().modified().unwrap();
    openmig().args(["demo", "--database"]).arg(&db).assert().success();
    assert_eq!(
        fs::metadata(&db).unwrap().modified().unwrap(),
        first,
        "an existing demo region is reused, not regenerated"
    );
}

#[test]
fn help_is_available_for_every_command() {
    for command in ["generate", "record", "patients", "info", "demo", "bench"] {
        openmig().args([command, "--help"]).assert().success().stdout(predicate::str::contains("Usage"));
    }
    openmig().arg("--help").assert().success();
}
