//! The demo's own public key infrastructure: one local CA, one server certificate every
//! practice provider presents, one client certificate the gateway presents.
//!
//! Files in the directory given to [`DemoPki::load_or_create`]: [`CA_CERT_FILE`] and
//! [`CA_KEY_FILE`], [`PROVIDER_CERT_FILE`] and [`PROVIDER_KEY_FILE`],
//! [`GATEWAY_CERT_FILE`] and [`GATEWAY_KEY_FILE`], all PEM; private keys (PKCS#8 P-256)
//! have mode 0600 and the directory 0700 when created here. They are created once and
//! reused after; a directory holding only some of them is refused, never completed, so a
//! certificate in use elsewhere is never silently replaced.
//!
//! The provider certificate names `localhost`, `127.0.0.1` and `::1` (extended key usage
//! serverAuth); the gateway certificate carries clientAuth. Leaves are valid for two
//! years and the CA for ten, from the day before creation (clock skew). Loading checks
//! that each leaf chains to the CA, is current and fits its role, so an expired or
//! foreign certificate is reported at start-up rather than as a failed handshake later.

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{Datelike, Months, NaiveDate, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ServerConfig};

use crate::TlsError;
use crate::config;

/// The CA certificate (PEM): what both sides trust.
pub const CA_CERT_FILE: &str = "ca.pem";
/// The CA's private key (PKCS#8 PEM, mode 0600). Only needed to issue certificates.
pub const CA_KEY_FILE: &str = "ca.key";
/// The providers' server certificate (PEM).
pub const PROVIDER_CERT_FILE: &str = "provider.pem";
/// The providers' private key (PKCS#8 PEM, mode 0600).
pub const PROVIDER_KEY_FILE: &str = "provider.key";
/// The gateway's client certificate (PEM).
pub const GATEWAY_CERT_FILE: &str = "gateway-client.pem";
/// The gateway's client private key (PKCS#8 PEM, mode 0600).
pub const GATEWAY_KEY_FILE: &str = "gateway-client.key";

/// The names the provider certificate is valid for.
pub const PROVIDER_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// The files in creation order: the CA key first, because linking it into place is what
/// claims the directory (see [`DemoPki::load_or_create`]).
const FILES: [(&str, bool); 6] = [
    (CA_KEY_FILE, true),
    (CA_CERT_FILE, false),
    (PROVIDER_KEY_FILE, true),
    (PROVIDER_CERT_FILE, false),
    (GATEWAY_KEY_FILE, true),
    (GATEWAY_CERT_FILE, false),
];

/// How long a loader waits for another process that is still writing the files.
const CREATION_WAIT: Duration = Duration::from_secs(2);

/// The demo's CA, provider and gateway certificates, with the TLS configurations built
/// (and checked) from them.
pub struct DemoPki {
    dir: Option<PathBuf>,
    ca: CertificateDer<'static>,
    ca_pem: String,
    provider: Identity,
    gateway: Identity,
    server_config: Arc<ServerConfig>,
    client_config: Arc<ClientConfig>,
}

/// A certificate chain (leaf first) and its private key.
struct Identity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl DemoPki {
    /// The PKI in `dir`, or a new one written there when `dir` holds none.
    ///
    /// `dir` may hold other files (e.g. the token issuer's keys). New files are written
    /// beside their final names and hard-linked into place, the CA key first: when two
    /// processes start together, the one whose link fails waits (up to 2 s) for the
    /// other's files, so both use the same PKI and no reader sees half a file. Files
    /// missing beside an older CA key are reported at once ([`TlsError::Incomplete`]).
    pub fn load_or_create(dir: &Path) -> Result<DemoPki, TlsError> {
        create_private_dir(dir)?;
        if !dir.join(CA_KEY_FILE).exists() {
            let files = generate_files()?;
            write_files(dir, &files)?;
        }
        let started = Instant::now();
        loop {
            match Self::load(dir) {
                Err(TlsError::Incomplete { .. })
                    if started.elapsed() < CREATION_WAIT && created_recently(&dir.join(CA_KEY_FILE)) =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// The PKI in `dir`, which must hold all six files.
    pub fn load(dir: &Path) -> Result<DemoPki, TlsError> {
        for (name, _) in FILES {
            let path = dir.join(name);
            if !path.exists() {
                return Err(TlsError::Incomplete { missing: path });
            }
        }
        for (name, private) in FILES {
            if private {
                refuse_readable_by_others(&dir.join(name))?;
            }
        }
        let read = |name: &str| {
            let path = dir.join(name);
            fs::read(&path).map(|bytes| (path.clone(), bytes)).map_err(|source| TlsError::Io {
                action: "read",
                path,
                source,
            })
        };
        let (ca_path, ca_pem) = read(CA_CERT_FILE)?;
        let ca = first_certificate(&ca_path, &ca_pem)?;
        let provider = identity(read(PROVIDER_CERT_FILE)?, read(PROVIDER_KEY_FILE)?)?;
        let gateway = identity(read(GATEWAY_CERT_FILE)?, read(GATEWAY_KEY_FILE)?)?;
        // The CA key is not needed to serve; it is only checked to be a key.
        let (ca_key_path, ca_key) = read(CA_KEY_FILE)?;
        private_key(&ca_key_path, &ca_key)?;
        let ca_pem = String::from_utf8(ca_pem)
            .map_err(|_| TlsError::InvalidFile { path: ca_path, reason: "not UTF-8 text".into() })?;
        Self::assemble(Some(dir.to_path_buf()), ca, ca_pem, provider, gateway)
    }

    /// A new PKI held in memory only (tests; a second, foreign CA).
    pub fn generate() -> Result<DemoPki, TlsError> {
        let files = generate_files()?;
        let pem = |name: &str| {
            files.iter().find(|(n, _)| *n == name).map(|(_, text)| text.as_bytes()).unwrap_or_default().to_vec()
        };
        let path = |name: &str| PathBuf::from(name);
        let ca = first_certificate(&path(CA_CERT_FILE), &pem(CA_CERT_FILE))?;
        let provider = identity(
            (path(PROVIDER_CERT_FILE), pem(PROVIDER_CERT_FILE)),
            (path(PROVIDER_KEY_FILE), pem(PROVIDER_KEY_FILE)),
        )?;
        let gateway = identity(
            (path(GATEWAY_CERT_FILE), pem(GATEWAY_CERT_FILE)),
            (path(GATEWAY_KEY_FILE), pem(GATEWAY_KEY_FILE)),
        )?;
        let ca_pem = String::from_utf8(pem(CA_CERT_FILE)).unwrap_or_default();
        Self::assemble(None, ca, ca_pem, provider, gateway)
    }

    /// The directory the files live in (`None` for [`DemoPki::generate`]).
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The CA certificate, the only trust anchor on both sides.
    pub fn ca_certificate(&self) -> &CertificateDer<'static> {
        &self.ca
    }

    /// The CA certificate as PEM (e.g. for `curl --cacert`).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The providers' certificate chain, leaf first.
    pub fn provider_certificate_chain(&self) -> &[CertificateDer<'static>] {
        &self.provider.chain
    }

    /// The providers' private key.
    pub fn provider_key(&self) -> PrivateKeyDer<'static> {
        self.provider.key.clone_key()
    }

    /// The gateway's client certificate chain, leaf first.
    pub fn gateway_certificate_chain(&self) -> &[CertificateDer<'static>] {
        &self.gateway.chain
    }

    /// The gateway's client private key.
    pub fn gateway_key(&self) -> PrivateKeyDer<'static> {
        self.gateway.key.clone_key()
    }

    pub(crate) fn server_config(&self) -> Arc<ServerConfig> {
        Arc::clone(&self.server_config)
    }

    pub(crate) fn client_config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.client_config)
    }

    /// Checks each leaf against the CA and builds both configurations, so that
    /// [`crate::server_config`] and [`crate::client_config`] cannot fail later.
    fn assemble(
        dir: Option<PathBuf>,
        ca: CertificateDer<'static>,
        ca_pem: String,
        provider: Identity,
        gateway: Identity,
    ) -> Result<DemoPki, TlsError> {
        let now = UnixTime::now();
        let server_name = ServerName::try_from(PROVIDER_NAMES[0]).map_err(|e| TlsError::Config(e.to_string()))?;
        config::check_server_certificate(&ca, &provider.chain, &server_name, now)
            .map_err(|reason| TlsError::Certificate { role: "provider", reason })?;
        config::check_client_certificate(&ca, &gateway.chain, now)
            .map_err(|reason| TlsError::Certificate { role: "gateway client", reason })?;
        let server_config =
            config::build_server_config(std::slice::from_ref(&ca), provider.chain.clone(), provider.key.clone_key())
                .map_err(|reason| TlsError::Certificate { role: "provider", reason })?;
        let client_config =
            config::build_client_config(std::slice::from_ref(&ca), gateway.chain.clone(), gateway.key.clone_key())
                .map_err(|reason| TlsError::Certificate { role: "gateway client", reason })?;
        Ok(DemoPki {
            dir,
            ca,
            ca_pem,
            provider,
            gateway,
            server_config: Arc::new(server_config),
            client_config: Arc::new(client_config),
        })
    }
}

impl fmt::Debug for DemoPki {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the private keys.
        f.debug_struct("DemoPki").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Whether `path` was written in the last few seconds: a PKI missing files beside it is
/// then probably still being written by another process, not a leftover.
fn created_recently(path: &Path) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|modified| modified.elapsed().ok())
        .is_some_and(|age| age < 2 * CREATION_WAIT)
}

/// The six PEM files of a new PKI, by file name.
fn generate_files() -> Result<Vec<(&'static str, String)>, TlsError> {
    let generate =
        |what: &'static str| KeyPair::generate().map_err(|e| TlsError::Generate { what, reason: e.to_string() });
    let today = Utc::now().date_naive();
    let start = today.pred_opt().unwrap_or(today);

    let ca_key = generate("CA key")?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name("openmig demo CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    set_validity(&mut ca_params, start, 120);
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(|e| TlsError::Generate { what: "CA certificate", reason: e.to_string() })?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let provider_key = generate("provider key")?;
    let mut provider_params = CertificateParams::default();
    provider_params.distinguished_name = name("openmig practice provider");
    provider_params.subject_alt_names = provider_names()?;
    provider_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    provider_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    provider_params.use_authority_key_identifier_extension = true;
    set_validity(&mut provider_params, start, 24);
    let provider_cert = provider_params
        .signed_by(&provider_key, &issuer)
        .map_err(|e| TlsError::Generate { what: "provider certificate", reason: e.to_string() })?;

    let gateway_key = generate("gateway key")?;
    let mut gateway_params = CertificateParams::default();
    gateway_params.distinguished_name = name("openmig gateway");
    gateway_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    gateway_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    gateway_params.use_authority_key_identifier_extension = true;
    set_validity(&mut gateway_params, start, 24);
    let gateway_cert = gateway_params
        .signed_by(&gateway_key, &issuer)
        .map_err(|e| TlsError::Generate { what: "gateway certificate", reason: e.to_string() })?;

    Ok(vec![
        (CA_KEY_FILE, ca_key.serialize_pem()),
        (CA_CERT_FILE, ca_cert.pem()),
        (PROVIDER_KEY_FILE, provider_key.serialize_pem()),
        (PROVIDER_CERT_FILE, provider_cert.pem()),
        (GATEWAY_KEY_FILE, gateway_key.serialize_pem()),
        (GATEWAY_CERT_FILE, gateway_cert.pem()),
    ])
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "openmig demo");
    name.push(DnType::CommonName, common_name);
    name
}

fn provider_names() -> Result<Vec<SanType>, TlsError> {
    let dns = PROVIDER_NAMES[0]
        .to_string()
        .try_into()
        .map_err(|e: rcgen::Error| TlsError::Generate { what: "provider certificate", reason: e.to_string() })?;
    Ok(vec![
        SanType::DnsName(dns),
        SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        SanType::IpAddress(IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ])
}

/// Valid from the start of `start` (UTC) for `months` months.
fn set_validity(params: &mut CertificateParams, start: NaiveDate, months: u32) {
    let end = start.checked_add_months(Months::new(months)).unwrap_or(start);
    let date = |d: NaiveDate| rcgen::date_time_ymd(d.year(), d.month() as u8, d.day() as u8);
    params.not_before = date(start);
    params.not_after = date(end);
}

/// Writes every file beside its final name and links it into place, the CA key first.
/// If the CA key is already there, another process won: ours are discarded.
fn write_files(dir: &Path, files: &[(&'static str, String)]) -> Result<(), TlsError> {
    // Unique per process and per call, so concurrent creators never share a temporary.
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let call = CALLS.fetch_add(1, Ordering::Relaxed);
    let temporary = |name: &str| dir.join(format!(".{name}.{}.{call}.tmp", std::process::id()));
    let result = (|| {
        for (name, text) in files {
            let private = FILES.iter().any(|(n, p)| n == name && *p);
            write_new(&temporary(name), text.as_bytes(), if private { 0o600 } else { 0o644 })?;
        }
        for (index, (name, _)) in files.iter().enumerate() {
            let path = dir.join(name);
            match fs::hard_link(temporary(name), &path) {
                Ok(()) => {}
                Err(error) if error.kind() == ErrorKind::AlreadyExists && index == 0 => return Ok(()),
                Err(error) if error.kind() == ErrorKind::AlreadyExists => {
                    // A leftover beside a CA key that was missing: never overwrite it.
                    return Err(TlsError::Incomplete { missing: dir.join(CA_KEY_FILE) });
                }
                Err(source) => return Err(TlsError::Io { action: "create", path, source }),
            }
        }
        Ok(())
    })();
    for (name, _) in files {
        let _ = fs::remove_file(temporary(name));
    }
    result
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options
        .open(path)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(|source| TlsError::Io { action: "create", path: path.to_path_buf(), source })
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|source| TlsError::Io {
        action: "create",
        path: dir.to_path_buf(),
        source,
    })
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> Result<(), TlsError> {
    fs::create_dir_all(dir).map_err(|source| TlsError::Io { action: "create", path: dir.to_path_buf(), source })
}

#[cfg(unix)]
pub(crate) fn refuse_readable_by_others(path: &Path) -> Result<(), TlsError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata =
        fs::metadata(path).map_err(|source| TlsError::Io { action: "read", path: path.to_path_buf(), source })?;
    if metadata.permissions().mode() & 0o077 != 0 {
        return Err(TlsError::KeyFileInsecure { path: path.to_path_buf() });
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn refuse_readable_by_others(_path: &Path) -> Result<(), TlsError> {
    Ok(())
}

fn identity(cert: (PathBuf, Vec<u8>), key: (PathBuf, Vec<u8>)) -> Result<Identity, TlsError> {
    let chain = certificates(&cert.0, &cert.1)?;
    Ok(Identity { chain, key: private_key(&key.0, &key.1)? })
}

pub(crate) fn certificates(path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::InvalidFile { path: path.to_path_buf(), reason: e.to_string() })?;
    if chain.is_empty() {
        return Err(TlsError::InvalidFile { path: path.to_path_buf(), reason: "no CERTIFICATE block".into() });
    }
    Ok(chain)
}

fn first_certificate(path: &Path, pem: &[u8]) -> Result<CertificateDer<'static>, TlsError> {
    Ok(certificates(path, pem)?.swap_remove(0))
}

pub(crate) fn private_key(path: &Path, pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| TlsError::InvalidFile { path: path.to_path_buf(), reason: format!("no private key: {e}") })
}
