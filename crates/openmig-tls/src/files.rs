//! The channel's TLS settings from an operator's PEM files, for a deployment that does
//! not use the demo PKI: the gateway's trust in providers and the client certificate it
//! presents; a practices host's server certificate and the CA its clients must chain to.
//!
//! Everything is read and checked at start, so a wrong file is a one-line error then,
//! not a failed handshake on the first clinician's request: the trust file must hold at
//! least one certificate, the certificate file a chain, the key file a private key that
//! only its owner may read and that matches the certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, ServerConfig};

use crate::TlsError;
use crate::{config, pki};

/// Where one side's TLS settings are (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct TlsFiles<'a> {
    /// PEM certificates of the CAs the other side's certificate must chain to.
    pub trusted: &'a Path,
    /// This side's certificate chain (PEM, leaf first).
    pub certificate: &'a Path,
    /// This side's private key (PKCS#8, PKCS#1 or SEC1 PEM, mode 0600).
    pub key: &'a Path,
}

/// The gateway's side: trusts `files.trusted` (and nothing else, not the system's roots)
/// for providers and presents `files.certificate`.
pub fn client_config_from_files(files: TlsFiles<'_>) -> Result<Arc<ClientConfig>, TlsError> {
    let (trusted, chain, key) = read(files)?;
    let config = config::build_client_config(&trusted, chain, key)
        .map_err(|reason| TlsError::Certificate { role: "gateway client", reason })?;
    Ok(Arc::new(config))
}

/// A practices host's side: presents `files.certificate` and demands, on every
/// connection, a client certificate chaining to `files.trusted`.
pub fn server_config_from_files(files: TlsFiles<'_>) -> Result<Arc<ServerConfig>, TlsError> {
    let (trusted, chain, key) = read(files)?;
    let config = config::build_server_config(&trusted, chain, key)
        .map_err(|reason| TlsError::Certificate { role: "provider", reason })?;
    Ok(Arc::new(config))
}

type Read = (Vec<CertificateDer<'static>>, Vec<CertificateDer<'static>>, rustls::pki_types::PrivateKeyDer<'static>);

fn read(files: TlsFiles<'_>) -> Result<Read, TlsError> {
    let bytes = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsError::Io { action: "read", path: path.to_path_buf(), source })
    };
    let trusted = pki::certificates(files.trusted, &bytes(files.trusted)?)?;
    let chain = pki::certificates(files.certificate, &bytes(files.certificate)?)?;
    pki::refuse_readable_by_others(files.key)?;
    let key = pki::private_key(files.key, &bytes(files.key)?)?;
    Ok((trusted, chain, key))
}
