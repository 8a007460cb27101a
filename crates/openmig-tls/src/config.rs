//! The two rustls configurations of the channel, on the one crypto provider (aws-lc-rs),
//! each trusting only the demo CA: the providers' side demands a client certificate the
//! CA signed; the gateway's side presents its certificate and accepts only a provider
//! certificate the CA signed for the name it dialled.
//!
//! Protocol versions are rustls' safe defaults (TLS 1.3 and 1.2): a real GP system's
//! endpoint may still speak TLS 1.2 only. ALPN offers HTTP/1.1, the only protocol served.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::DemoPki;

/// The providers' configuration: the provider certificate, and a client certificate
/// signed by the demo CA required on every connection (no anonymous clients).
pub fn server_config(pki: &DemoPki) -> Arc<ServerConfig> {
    pki.server_config()
}

/// The gateway's configuration: trusts the demo CA only (not the system's roots) and
/// presents the gateway's client certificate.
pub fn client_config(pki: &DemoPki) -> Arc<ClientConfig> {
    pki.client_config()
}

/// The crypto provider every configuration of this crate uses: aws-lc-rs, the project's
/// one provider. Passed explicitly, so nothing depends on a process-wide default.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

fn roots(trusted: &[CertificateDer<'static>]) -> Result<Arc<RootCertStore>, String> {
    let mut roots = RootCertStore::empty();
    for ca in trusted {
        roots.add(ca.clone()).map_err(|e| e.to_string())?;
    }
    Ok(Arc::new(roots))
}

pub(crate) fn build_server_config(
    trusted: &[CertificateDer<'static>],
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, String> {
    let provider = crypto_provider();
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(trusted)?, Arc::clone(&provider))
        .build()
        .map_err(|e| e.to_string())?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| e.to_string())?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The client configuration; ALPN is left empty because the HTTPS connector sets it.
pub(crate) fn build_client_config(
    trusted: &[CertificateDer<'static>],
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ClientConfig, String> {
    ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots(trusted)?)
        .with_client_auth_cert(chain, key)
        .map_err(|e| e.to_string())
}

/// Whether `chain` is a current server certificate for `name` signed by `ca`.
pub(crate) fn check_server_certificate(
    ca: &CertificateDer<'static>,
    chain: &[CertificateDer<'static>],
    name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), String> {
    let verifier = WebPkiServerVerifier::builder_with_provider(roots(std::slice::from_ref(ca))?, crypto_provider())
        .build()
        .map_err(|e| e.to_string())?;
    let (leaf, intermediates) = chain.split_first().ok_or("no certificate")?;
    verifier.verify_server_cert(leaf, intermediates, name, &[], now).map(|_| ()).map_err(|e| e.to_string())
}

/// Whether `chain` is a current client certificate signed by `ca`.
pub(crate) fn check_client_certificate(
    ca: &CertificateDer<'static>,
    chain: &[CertificateDer<'static>],
    now: UnixTime,
) -> Result<(), String> {
    let verifier = WebPkiClientVerifier::builder_with_provider(roots(std::slice::from_ref(ca))?, crypto_provider())
        .build()
        .map_err(|e| e.to_string())?;
    let (leaf, intermediates) = chain.split_first().ok_or("no certificate")?;
    verifier.verify_client_cert(leaf, intermediates, now).map(|_| ()).map_err(|e| e.to_string())
}
