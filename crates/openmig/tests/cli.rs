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
        .stdout(predicate::str::contains("Anticoagulant: bleeding risk"))
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
        .args(["demo", "--no-serve", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("overnight-admission"))
        .stdout(predicate::str::contains("Allergy to penicillin"))
        .stdout(predicate::str::contains("on an anticoagulant"))
        .stdout(predicate::str::contains("practice not sharing"))
        .stdout(predicate::str::contains("CURRENT MEDICINES"));
    let first = fs::metadata(&db).unwrap().modified().unwrap();
    openmig().args(["demo", "--no-serve", "--database"]).arg(&db).assert().success();
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

fn story_nhs(seed: u64, index: u64) -> String {
    openmig_generator::nhs_numbers::nhs_number(seed, index).to_string()
}

#[test]
fn the_medicines_review_answers_the_sertraline_story_with_facts() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "m.db", 1);
    let nhs = story_nhs(1, 3);
    let out = openmig().args(["medicines", &nhs, "--json", "--database"]).arg(&db).assert().success();
    let review: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    let sertraline = &review["current"][0];
    assert_eq!(sertraline["name"], "Sertraline 50mg tablets");
    let six = sertraline["adherence"]["six_months"]["proportion"].as_f64().unwrap();
    assert!((0.35..=0.45).contains(&six), "six-month PDC {six}");
    let alerts: Vec<&str> =
        sertraline["supply_alerts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert!(alerts.contains(&"Overdue"), "{alerts:?}");
    assert!(review["notice"].as_str().unwrap().contains("not whether the medicine was collected or taken"));
    openmig()
        .args(["medicines", &nhs, "--since", "2026-01-01", "--database"])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("6 months 39%"))
        .stdout(predicate::str::contains("Overdue"))
        .stdout(predicate::str::contains("CHANGES SINCE 2026-01-01"));
}

#[test]
fn asked_reports_a_different_dose_started_and_a_medicine_still_issued() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "a.db", 1);
    let nhs = story_nhs(1, 2);
    openmig()
        .args([
            "asked",
            &nhs,
            "--requested-on",
            "2026-10-14",
            "--start",
            "atorvastatin 80mg",
            "--stop",
            "naproxen",
            "--database",
        ])
        .arg(&db)
        .assert()
        .success()
        .stdout(predicate::str::contains("start atorvastatin 80mg: STARTED 2026-10-26 but DIFFERS"))
        .stdout(predicate::str::contains("stop naproxen: STILL BEING ISSUED, last on 2026-11-15"));
    let json = openmig()
        .args(["asked", &nhs, "--json", "--requested-on", "2026-10-14", "--start", "atorvastatin 80mg", "--database"])
        .arg(&db)
        .assert()
        .success();
    let checks: serde_json::Value = serde_json::from_slice(&json.get_output().stdout).unwrap();
    assert_eq!(checks[0]["outcome"]["outcome"], "StartedDifferentStrengthOrDose");
    assert_one_line_error(
        openmig().args(["asked", &nhs, "--requested-on", "2026-10-14", "--database"]).arg(&db).assert(),
        "--start",
    );
    assert_one_line_error(
        openmig()
            .args(["asked", &nhs, "--requested-on", "2027-01-01", "--stop", "naproxen", "--database"])
            .arg(&db)
            .assert(),
        "after today",
    );
}

#[test]
fn overdue_lists_a_practice_s_overdue_anticoagulants() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "o.db", 1);
    let out = openmig()
        .args(["overdue", "--practice", "Z90001", "--flag", "anticoagulant", "--database"])
        .arg(&db)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 4, "{line}");
        assert!(
            ["Apixaban", "Rivaroxaban", "Edoxaban", "Dabigatran", "Warfarin"].iter().any(|d| fields[1].starts_with(d)),
            "{line}"
        );
    }
    assert_one_line_error(
        openmig().args(["overdue", "--practice", "Z90001", "--flag", "x", "--database"]).arg(&db).assert(),
        "anticoagulant",
    );
    assert_one_line_error(
        openmig().args(["overdue", "--practice", "Z99998", "--database"]).arg(&db).assert(),
        "no practice",
    );
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    let db = generate(dir.path(), "p.db", 1);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("openmig"))
        .args(["patients", "--trait", "any", "--limit", "1000", "--database"])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away before anything is written
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn the_federation_benchmark_measures_every_scenario_over_real_listeners_and_writes_its_results() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("federation.json");
    openmig()
        .args(["bench", "--federation", "--patients", "300", "--reads", "40", "--database"])
        .arg(dir.path().join("federation.db"))
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let results: serde_json::Value = serde_json::from_str(&fs::read_to_string(&out).unwrap()).unwrap();
    let scenarios = results["runs"].as_array().expect("runs");
    let names: Vec<(&str, u64)> =
        scenarios.iter().map(|s| (s["scenario"].as_str().unwrap(), s["clients"].as_u64().unwrap())).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&("practice down: last-good copy", 16)), "{names:?}");
    for scenario in scenarios {
        // Every view answered 200 (the command fails otherwise), each one timed.
        assert_eq!(scenario["views"], 40, "{scenario}");
        let (p50, p99) = (scenario["p50_ms"].as_f64().unwrap(), scenario["p99_ms"].as_f64().unwrap());
        assert!(0.0 < p50 && p50 <= p99, "{scenario}");
    }
}
