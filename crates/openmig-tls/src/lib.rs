//! The gateway ↔ practice-provider channel: mutually authenticated TLS, as the Spine
//! Secure Proxy gives GP Connect (`shared/design/security.md`, "Trust model"). The
//! provider accepts the unsigned GP Connect JWT only because this channel has already
//! proved that the caller is the gateway.
//!
//! - [`DemoPki`] (`pki.rs`): the demo's local CA, the providers' server certificate and
//!   the gateway's client certificate, created once (rcgen) and reused.
//! - [`server_config`] / [`client_config`] (`config.rs`): rustls configurations that
//!   trust only that CA; the server demands a client certificate on every connection.
//! - [`serve_tls`] (`server.rs`): an accept loop serving an axum `Router` over TLS with
//!   graceful shutdown; a failed handshake ends that connection only.
//! - [`client_config_from_files`] / [`server_config_from_files`] (`files.rs`): the same
//!   configurations from an operator's own CA, certificate and key files.
//! - [`HttpsClient`] (`client.rs`): the gateway's pooled HTTPS client, reporting refused,
//!   timed-out, TLS and protocol failures apart ([`ClientError`]).
//!
//! All cryptography is rustls on aws-lc-rs, the project's one crypto provider, passed
//! explicitly to every configuration ([`crypto_provider`]); ring is never linked.
//!
//! This crate owns transport only: it knows nothing of FHIR, patients or policy, never
//! logs, and its errors carry no URL, header or body content.

mod client;
mod config;
mod error;
mod files;
mod pki;
mod server;

pub use client::{ClientOptions, HttpsClient, https_client, https_client_with};
pub use config::{client_config, crypto_provider, server_config};
pub use error::{ClientError, TlsError};
pub use files::{TlsFiles, client_config_from_files, server_config_from_files};
pub use pki::{
    CA_CERT_FILE, CA_KEY_FILE, DemoPki, GATEWAY_CERT_FILE, GATEWAY_KEY_FILE, PROVIDER_CERT_FILE, PROVIDER_KEY_FILE,
    PROVIDER_NAMES,
};
pub use server::{HANDSHAKE_TIMEOUT, HEADER_READ_TIMEOUT, serve_tls};

/// rustls, re-exported so callers name the same `ServerConfig` / `ClientConfig` types.
pub use rustls;
