//! The demo PKI's files: created once with private keys unreadable by others, reused
//! after, and never completed or overwritten when only part of it is there.

use openmig_tls::{
    CA_CERT_FILE, CA_KEY_FILE, DemoPki, GATEWAY_CERT_FILE, GATEWAY_KEY_FILE, PROVIDER_CERT_FILE, PROVIDER_KEY_FILE,
    TlsError,
};

const ALL: [&str; 6] =
    [CA_CERT_FILE, CA_KEY_FILE, PROVIDER_CERT_FILE, PROVIDER_KEY_FILE, GATEWAY_CERT_FILE, GATEWAY_KEY_FILE];

#[test]
fn the_pki_is_created_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let first = DemoPki::load_or_create(&tls).unwrap();
    for name in ALL {
        assert!(tls.join(name).is_file(), "{name}");
    }
    let again = DemoPki::load_or_create(&tls).unwrap();
    assert_eq!(first.ca_certificate(), again.ca_certificate());
    assert_eq!(first.provider_certificate_chain(), again.provider_certificate_chain());
    assert_eq!(first.gateway_certificate_chain(), again.gateway_certificate_chain());
    assert_eq!(std::fs::read_to_string(tls.join(CA_CERT_FILE)).unwrap(), first.ca_pem());
    assert_eq!(again.dir(), Some(tls.as_path()));
    // No temporary files are left behind.
    assert_eq!(std::fs::read_dir(&tls).unwrap().count(), ALL.len());
    // Debug never shows a key.
    assert!(!format!("{first:?}").contains("PRIVATE"));
}

#[test]
fn the_pki_may_share_a_directory_with_other_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("issuer.pub"), "other").unwrap();
    DemoPki::load_or_create(dir.path()).unwrap();
    DemoPki::load(dir.path()).unwrap();
}

#[cfg(unix)]
#[test]
fn private_keys_are_0600_and_the_directory_0700() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    DemoPki::load_or_create(&tls).unwrap();
    let mode = |name: &str| std::fs::metadata(tls.join(name)).unwrap().permissions().mode() & 0o777;
    for key in [CA_KEY_FILE, PROVIDER_KEY_FILE, GATEWAY_KEY_FILE] {
        assert_eq!(mode(key), 0o600, "{key}");
    }
    assert_eq!(std::fs::metadata(&tls).unwrap().permissions().mode() & 0o777, 0o700);
}

#[cfg(unix)]
#[test]
fn a_key_readable_by_others_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    DemoPki::load_or_create(dir.path()).unwrap();
    std::fs::set_permissions(dir.path().join(PROVIDER_KEY_FILE), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(DemoPki::load_or_create(dir.path()), Err(TlsError::KeyFileInsecure { .. })));
}

#[test]
fn a_partial_pki_is_refused_not_completed() {
    let dir = tempfile::tempdir().unwrap();
    DemoPki::load_or_create(dir.path()).unwrap();
    let before = std::fs::read(dir.path().join(CA_CERT_FILE)).unwrap();
    std::fs::remove_file(dir.path().join(GATEWAY_KEY_FILE)).unwrap();
    // Just created: perhaps another process is still writing, so it waits (2 s) first.
    match DemoPki::load_or_create(dir.path()) {
        Err(TlsError::Incomplete { missing }) => assert!(missing.ends_with(GATEWAY_KEY_FILE)),
        other => panic!("expected Incomplete, got {other:?}"),
    }
    assert_eq!(std::fs::read(dir.path().join(CA_CERT_FILE)).unwrap(), before, "nothing overwritten");

    // An old leftover is reported at once.
    let an_hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(dir.path().join(CA_KEY_FILE)).unwrap().set_modified(an_hour_ago).unwrap();
    let started = std::time::Instant::now();
    assert!(matches!(DemoPki::load_or_create(dir.path()), Err(TlsError::Incomplete { .. })));
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
}

#[test]
fn a_leaf_signed_by_another_ca_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    DemoPki::load_or_create(dir.path()).unwrap();
    let other = tempfile::tempdir().unwrap();
    DemoPki::load_or_create(other.path()).unwrap();
    std::fs::copy(other.path().join(PROVIDER_CERT_FILE), dir.path().join(PROVIDER_CERT_FILE)).unwrap();
    std::fs::copy(other.path().join(PROVIDER_KEY_FILE), dir.path().join(PROVIDER_KEY_FILE)).unwrap();
    match DemoPki::load(dir.path()) {
        Err(TlsError::Certificate { role: "provider", reason }) => {
            assert!(reason.contains("invalid peer certificate"), "{reason}")
        }
        other => panic!("expected a certificate error, got {other:?}"),
    }
}

#[test]
fn a_file_that_is_not_pem_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    DemoPki::load_or_create(dir.path()).unwrap();
    std::fs::write(dir.path().join(CA_CERT_FILE), "not a certificate").unwrap();
    assert!(matches!(DemoPki::load(dir.path()), Err(TlsError::InvalidFile { .. })));
}

#[test]
fn two_processes_starting_together_share_one_pki() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || DemoPki::load_or_create(&path).unwrap().ca_certificate().clone())
        })
        .collect();
    let cas: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(cas.windows(2).all(|w| w[0] == w[1]));
}
