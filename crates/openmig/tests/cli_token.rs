//! `openmig token`: the printed token verifies with the key files it wrote, and usage
//! mistakes are one-line errors.

use std::fs;

use assert_cmd::Command;
use chrono::Utc;
use openmig_auth::{Algorithm, DEFAULT_AUDIENCE, PUBLIC_KEY_FILE, TrustedIssuers};
use openmig_domain::{ConsentBasis, Role};
use tempfile::TempDir;

fn openmig() -> Command {
    Command::cargo_bin("openmig").unwrap()
}

/// Runs `openmig token` with `args` and the key directory; returns the printed token.
fn token(keys: &std::path::Path, args: &[&str]) -> String {
    let output = openmig().arg("token").args(args).arg("--keys").arg(keys).assert().success().get_output().clone();
    assert!(output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "exactly the token: {stdout}");
    stdout.trim_end().to_string()
}

/// What a gateway configured with only the public key file would do.
fn trusted(keys: &std::path::Path) -> TrustedIssuers {
    let public_pem = fs::read_to_string(keys.join(PUBLIC_KEY_FILE)).unwrap();
    let mut trusted = TrustedIssuers::new();
    trusted.trust("openmig-demo-issuer", Algorithm::Es256, &public_pem).unwrap();
    trusted
}

fn one_line_failure(args: &[&str], keys: &std::path::Path, code: i32, contains: &str) {
    let output = openmig().arg("token").args(args).arg("--keys").arg(keys).assert().code(code).get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line expected, got: {stderr}");
    assert!(stderr.contains(contains), "expected '{contains}' in: {stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn the_printed_token_verifies_with_the_key_files_written_to_the_keys_directory() {
    let temp = TempDir::new().unwrap();
    let keys = temp.path().join("keys");
    let printed = token(&keys, &["--user", "u-42", "--role", "paramedic", "--org", "rx6", "--name", "Alex Smith"]);
    let identity = trusted(&keys).verify(Some(&format!("Bearer {printed}")), DEFAULT_AUDIENCE, Utc::now()).unwrap();
    assert_eq!(identity.user_id, "u-42");
    assert_eq!(identity.user_name, "Alex Smith");
    assert_eq!(identity.role, Role::Paramedic);
    assert_eq!(identity.organisation.as_str(), "RX6");
    assert_eq!(identity.consent, None);
    assert_eq!(identity.device, "openmig-cli");
    let lifetime = identity.expires_at - Utc::now();
    assert!(lifetime.num_seconds() > 3500 && lifetime.num_seconds() <= 3600, "{lifetime}");

    // The second token reuses the key: both verify with the same public file.
    let second = token(
        &keys,
        &[
            "--user",
            "u-43",
            "--role",
            "doctor",
            "--org",
            "RXX01",
            "--consent",
            "emergency",
            "--reason",
            "Unconscious, no next of kin present",
            "--ttl",
            "300",
            "--audience",
            "https://gw.example",
        ],
    );
    let identity = trusted(&keys).verify(Some(&format!("bearer {second}")), "https://gw.example", Utc::now()).unwrap();
    assert_eq!(identity.consent, Some(ConsentBasis::Emergency));
    assert_eq!(identity.override_reason.as_deref(), Some("Unconscious, no next of kin present"));
    assert!((identity.expires_at - Utc::now()).num_seconds() <= 300);
    assert!(trusted(&keys).verify(Some(&format!("Bearer {printed}")), DEFAULT_AUDIENCE, Utc::now()).is_ok());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &std::path::Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&keys), 0o700);
        assert_eq!(mode(&keys.join(openmig_auth::PRIVATE_KEY_FILE)), 0o600);
    }
}

#[test]
fn an_emergency_without_a_reason_is_a_one_line_error_and_writes_no_key() {
    let temp = TempDir::new().unwrap();
    let keys = temp.path().join("keys");
    let base = ["--user", "u-1", "--role", "doctor", "--org", "RXX01"];
    one_line_failure(
        &[&base[..], &["--consent", "emergency"]].concat(),
        &keys,
        1,
        "--consent emergency needs --reason",
    );
    one_line_failure(
        &[&base[..], &["--consent", "emergency", "--reason", " "]].concat(),
        &keys,
        1,
        "--reason must not be blank",
    );
    one_line_failure(
        &[&base[..], &["--consent", "given", "--reason", "why"]].concat(),
        &keys,
        1,
        "--reason is only for --consent emergency",
    );
    one_line_failure(&[&base[..], &["--reason", "why"]].concat(), &keys, 1, "--reason is only for --consent emergency");
    assert!(!keys.exists(), "nothing is created for a refused request");
}

#[test]
fn usage_mistakes_name_the_valid_values() {
    let temp = TempDir::new().unwrap();
    let keys = temp.path().join("keys");
    one_line_failure(
        &["--user", "u-1", "--role", "surgeon", "--org", "RXX01"],
        &keys,
        2,
        "expected one of: doctor, nurse, pharmacist, paramedic, administrative, auditor",
    );
    one_line_failure(
        &["--user", "u-1", "--role", "doctor", "--org", "RXX01", "--consent", "maybe"],
        &keys,
        2,
        "given, emergency, implied",
    );
    one_line_failure(&["--user", "u-1", "--role", "doctor", "--org", "R!"], &keys, 2, "ODS code");
    one_line_failure(&["--user", "u-1", "--role", "doctor", "--org", "RXX01", "--ttl", "7200"], &keys, 2, "--ttl");
    one_line_failure(&["--role", "doctor", "--org", "RXX01"], &keys, 2, "error:");
}
