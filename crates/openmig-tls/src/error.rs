//! The errors of this crate: [`TlsError`] for setting the channel up (files, certificates,
//! configurations) and [`ClientError`] for one HTTPS exchange, whose variants a caller's
//! resilience policy treats differently (a refused connection is not a timeout).
//!
//! Messages name files and failure kinds only; they never carry a URL's query, a header
//! value or a body.

use std::path::PathBuf;

/// Setting up the channel failed: the demo PKI's files or the TLS configurations.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file or directory could not be created, read or written.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "create", …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The directory holds part of a demo PKI only (a file is missing): it is never
    /// completed or overwritten, because its certificates may be in use elsewhere.
    #[error(
        "{} is missing beside the other demo TLS files; remove the demo TLS files in that directory to create new ones",
        missing.display()
    )]
    Incomplete {
        /// The first missing file.
        missing: PathBuf,
    },
    /// A private key file that group or others may read.
    #[error("{} may be read by other users; it must have mode 0600", path.display())]
    KeyFileInsecure {
        /// The key file.
        path: PathBuf,
    },
    /// A file that does not hold what it should (no PEM block of the expected kind).
    #[error("{} is not valid: {reason}", path.display())]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// Why, in a few words.
        reason: String,
    },
    /// A certificate is not valid for its role: not signed by the CA, expired, wrong
    /// names or usages, or its key does not match it.
    #[error("the {role} certificate is not usable: {reason}")]
    Certificate {
        /// "provider" or "gateway client".
        role: &'static str,
        /// rustls' or webpki's reason.
        reason: String,
    },
    /// Generating a key or certificate failed.
    #[error("cannot generate the demo {what}: {reason}")]
    Generate {
        /// What was being generated.
        what: &'static str,
        /// rcgen's reason.
        reason: String,
    },
    /// rustls refused a configuration.
    #[error("invalid TLS configuration: {0}")]
    Config(String),
}

/// One HTTPS exchange failed. Each variant says how far the exchange got, so a retry
/// policy can tell "nothing reached the provider" from "the provider may have acted".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The URL is not an absolute `https://host[:port]/…` URL; nothing was sent.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The TCP connection was refused (nothing listens there: the provider is down).
    /// Nothing was sent.
    #[error("connection refused")]
    Refused,
    /// The TCP connection was not established within the connect timeout. Nothing was
    /// sent.
    #[error("connect timeout")]
    ConnectTimeout,
    /// Any other failure to connect (address unreachable, name not resolved). Nothing was
    /// sent.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The TLS handshake failed or the peer sent a TLS alert: an untrusted or expired
    /// certificate on either side, a name mismatch, or the provider refusing our client
    /// certificate. With TLS 1.3 the provider judges the client certificate after the
    /// client has finished its side of the handshake, so the request may already have
    /// been written (never acted upon: the provider drops the connection first).
    #[error("TLS failure: {0}")]
    Tls(String),
    /// A new connection was closed by the provider before the request could be written
    /// (hyper reports it as canceled). Nothing was sent, so it is safe to retry. On this
    /// channel it is also how a provider refusing the gateway's client certificate often
    /// shows: with TLS 1.3 its alert can arrive after the client's side of the handshake
    /// and before the request, and then the alert itself is not reported; otherwise it is
    /// [`ClientError::Tls`].
    #[error("the connection closed before the request was sent")]
    ClosedBeforeRequest,
    /// The overall timeout passed before the whole answer (head and body) arrived. The
    /// provider may have received the request.
    #[error("timeout")]
    Timeout,
    /// The connection was established but the HTTP exchange failed: closed or reset
    /// before a complete answer, or an answer that is not HTTP/1.1. The provider may have
    /// received the request.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The answer's body is larger than the configured limit.
    #[error("the answer is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl ClientError {
    /// Whether the request certainly never reached the provider, so that repeating it
    /// cannot repeat an effect: the URL was refused, the connection never opened, or it
    /// closed before the request was written. A TLS failure may follow the request being
    /// written (see [`ClientError::Tls`]), so it is not counted here.
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            ClientError::InvalidUrl(_)
                | ClientError::Refused
                | ClientError::ConnectTimeout
                | ClientError::Connect(_)
                | ClientError::ClosedBeforeRequest
        )
    }
}
