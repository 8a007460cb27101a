//! Test support (feature `stu3-validator`): validating emitted resources with the
//! maintained third-party `fhir.resources` STU3 models, through `tests/validate_fhir.py`,
//! and the R4 output with its R4B models, through the same script.
//!
//! It lives here, behind a feature, so that every crate whose tests check openmig's FHIR
//! output (this one, the provider) runs the same validator the same way. It does IO
//! (files, a Python process) and must never be enabled outside tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Writes `value` as `{dir}/{name}.json` for the validator.
pub fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    let bytes = serde_json::to_vec_pretty(value).expect("a JSON value always serialises");
    std::fs::write(&path, bytes).unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    path
}

/// Validates `files` with the `fhir.resources` STU3 models; `expected` lists resource
/// types (comma-separated) that must be among them. Panics with the script's report on
/// any failure, and with how to install `fhir.resources` when it (or Python) is missing:
/// the check fails, it never skips.
pub fn validate_stu3(files: &[PathBuf], expected: &str) {
    run_validator("STU3", files, expected);
}

/// The same check with the `fhir.resources` R4B models, for the UK Core R4 output (see
/// `tests/validate_fhir.py` for why R4B models check R4 resources).
pub fn validate_r4b(files: &[PathBuf], expected: &str) {
    run_validator("R4B", files, expected);
}

/// Runs `tests/validate_fhir.py --release=<release> --expect=<expected> FILE...`.
fn run_validator(release: &str, files: &[PathBuf], expected: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_fhir.py");
    assert!(script.is_file(), "validator script missing at {}", script.display());
    let output = Command::new("python3")
        .arg(&script)
        .arg(format!("--release={release}"))
        .arg(format!("--expect={expected}"))
        .args(files)
        .output()
        .unwrap_or_else(|error| {
            panic!(
                "cannot run python3 ({error}); install Python 3 and run ./scripts/test, which installs fhir.resources"
            )
        });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match output.status.code() {
        Some(0) => println!("{stdout}"),
        Some(2) => panic!("fhir.resources is missing: run ./scripts/test, which installs it\n{stderr}"),
        _ => panic!("{release} validation failed:\n{stderr}\n{stdout}"),
    }
}
