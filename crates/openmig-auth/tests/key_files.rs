//! The key directory: created private, reused, and refused when unsafe or inconsistent.

mod common;

use std::fs;

use common::*;
use openmig_auth::{Algorithm, DEFAULT_AUDIENCE, IssuerKey, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, TrustedIssuers};
use tempfile::TempDir;

#[test]
fn load_or_create_writes_the_key_once_and_then_reuses_it() {
    let temp = TempDir::new().unwrap();
    let dir = temp.path().join("nested").join("openmig-keys");
    let key = IssuerKey::load_or_create(&dir).unwrap();
    let again = IssuerKey::load_or_create(&dir).unwrap();
    assert_eq!(key.key_id(), again.key_id());
    assert_eq!(key.issuer(), "openmig-demo-issuer");

    let private = fs::read_to_string(dir.join(PRIVATE_KEY_FILE)).unwrap();
    assert!(private.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    let public = fs::read_to_string(dir.join(PUBLIC_KEY_FILE)).unwrap();
    assert_eq!(public, key.public_key_pem());
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let leftovers: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary files left: {leftovers:?}");

    // A gateway given only the public file trusts what the key mints.
    let mut trusted = TrustedIssuers::new();
    trusted.trust(key.issuer(), Algorithm::Es256, &public).unwrap();
    let token = openmig_auth::mint(&again, &request(), now()).unwrap();
    assert!(trusted.verify(Some(&bearer(&token)), DEFAULT_AUDIENCE, now()).is_ok());
}

#[cfg(unix)]
#[test]
fn the_directory_is_0700_and_the_private_key_0600() {
    use std::os::unix::fs::PermissionsExt;
    let temp = TempDir::new().unwrap();
    let dir = temp.path().join("keys");
    IssuerKey::load_or_create(&dir).unwrap();
    let mode = |path: &std::path::Path| fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join(PRIVATE_KEY_FILE)), 0o600);
}

#[cfg(unix)]
#[test]
fn a_private_key_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let temp = TempDir::new().unwrap();
    IssuerKey::load_or_create(temp.path()).unwrap();
    let private = temp.path().join(PRIVATE_KEY_FILE);
    fs::set_permissions(&private, fs::Permissions::from_mode(0o644)).unwrap();
    let error = IssuerKey::load_or_create(temp.path()).unwrap_err();
    assert_eq!(error.code(), "KEY_FILE_INSECURE");
    assert!(error.to_string().contains("chmod 600"));
}

#[test]
fn a_public_key_file_of_another_key_is_refused() {
    let temp = TempDir::new().unwrap();
    IssuerKey::load_or_create(temp.path()).unwrap();
    let stranger = IssuerKey::generate().unwrap();
    fs::write(temp.path().join(PUBLIC_KEY_FILE), stranger.public_key_pem()).unwrap();
    assert_eq!(IssuerKey::load_or_create(temp.path()).unwrap_err().code(), "KEY_FILE_MISMATCH");
}

#[test]
fn a_missing_public_key_file_is_written_again() {
    let temp = TempDir::new().unwrap();
    let key = IssuerKey::load_or_create(temp.path()).unwrap();
    fs::remove_file(temp.path().join(PUBLIC_KEY_FILE)).unwrap();
    IssuerKey::load_or_create(temp.path()).unwrap();
    assert_eq!(fs::read_to_string(temp.path().join(PUBLIC_KEY_FILE)).unwrap(), key.public_key_pem());
}

#[cfg(unix)]
#[test]
fn a_damaged_private_key_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let temp = TempDir::new().unwrap();
    let private = temp.path().join(PRIVATE_KEY_FILE);
    fs::write(&private, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").unwrap();
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(IssuerKey::load_or_create(temp.path()).unwrap_err().code(), "KEY_INVALID");
}
