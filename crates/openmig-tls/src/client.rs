//! The gateway's HTTPS client for provider calls: hyper-util's pooled legacy `Client`
//! over hyper-rustls, HTTPS only, HTTP/1.1, with the mutual TLS configuration from
//! [`crate::client_config`].
//!
//! Chosen over reqwest because the server side already needs hyper, hyper-util and
//! tokio-rustls; hyper-rustls adds one small crate on top of them, on the same rustls and
//! the same aws-lc-rs provider. Resilience (deadlines per practice, retries, circuit
//! breaking, bulkheads) is the caller's: this client only reports precisely what failed
//! (see [`ClientError`]).

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{HeaderMap, Method, Request, Uri};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::ClientConfig;

use crate::ClientError;

/// Connection and answer limits of an [`HttpsClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// How long establishing the TCP connection may take (the TLS handshake counts
    /// against the per-request timeout).
    pub connect_timeout: Duration,
    /// How long an idle pooled connection is kept.
    pub pool_idle_timeout: Duration,
    /// Idle connections kept per provider host.
    pub max_idle_per_host: usize,
    /// The largest answer body accepted (API10: validate what providers send).
    pub max_response_bytes: usize,
}

impl Default for ClientOptions {
    /// Connect timeout 1 s, idle connections kept 90 s (up to 32 per host), answers up
    /// to 32 MiB (a large structured record is a few MB).
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(1),
            pool_idle_timeout: Duration::from_secs(90),
            max_idle_per_host: 32,
            max_response_bytes: 32 * 1024 * 1024,
        }
    }
}

/// A pooled HTTPS client; cheap to clone (clones share the pool).
#[derive(Clone)]
pub struct HttpsClient {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    options: ClientOptions,
}

impl fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsClient").field("options", &self.options).finish_non_exhaustive()
    }
}

/// A client with [`ClientOptions::default`] over `config` (from [`crate::client_config`]).
pub fn https_client(config: Arc<ClientConfig>) -> HttpsClient {
    https_client_with(config, ClientOptions::default())
}

/// A client with the given limits over `config`.
pub fn https_client_with(config: Arc<ClientConfig>, options: ClientOptions) -> HttpsClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(options.connect_timeout));
    let connector = HttpsConnectorBuilder::new()
        .with_tls_config((*config).clone())
        .https_only()
        .enable_http1()
        .wrap_connector(http);
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(options.pool_idle_timeout)
        .pool_max_idle_per_host(options.max_idle_per_host)
        .build(connector);
    HttpsClient { client, options }
}

impl HttpsClient {
    /// POSTs `body` to `url` with `headers` (`Content-Type: application/json` unless the
    /// headers set one, e.g. `application/fhir+json`) and returns the status, headers and
    /// whole body of the answer, whatever its status.
    ///
    /// `timeout` bounds everything (connecting, handshake, request, the whole answer);
    /// the connect timeout of [`ClientOptions`] bounds the TCP connect within it.
    pub async fn post_json(
        &self,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), ClientError> {
        let mut headers = headers;
        if !headers.contains_key(CONTENT_TYPE) {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        self.send(Method::POST, url, headers, body, timeout).await
    }

    /// GETs `url` (e.g. a provider's `metadata`); as [`HttpsClient::post_json`].
    pub async fn get(
        &self,
        url: &str,
        headers: HeaderMap,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), ClientError> {
        self.send(Method::GET, url, headers, Bytes::new(), timeout).await
    }

    /// Sends one request; as [`HttpsClient::post_json`] for any method.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        headers: HeaderMap,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(u16, HeaderMap, Bytes), ClientError> {
        let uri = https_uri(url)?;
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .body(Full::new(body))
            .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
        *request.headers_mut() = headers;
        let limit = self.options.max_response_bytes;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| classify(&e))?;
            let (parts, body) = response.into_parts();
            let collected = Limited::new(body, limit).collect().await.map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    ClientError::TooLarge { limit }
                } else {
                    classify(e.as_ref())
                }
            })?;
            Ok((parts.status.as_u16(), parts.headers, collected.to_bytes()))
        };
        tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(ClientError::Timeout))
    }
}

/// `url` as an absolute `https` URI with a host.
fn https_uri(url: &str) -> Result<Uri, ClientError> {
    let uri: Uri = url.parse().map_err(|_| ClientError::InvalidUrl("not a URL".into()))?;
    if uri.scheme_str() != Some("https") {
        return Err(ClientError::InvalidUrl("the scheme must be https".into()));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(ClientError::InvalidUrl("no host".into()));
    }
    Ok(uri)
}

/// What a failed exchange means, from the chain of causes: a rustls error anywhere is a
/// TLS failure; a connect error is refused, timed out or other; a request canceled
/// because its new connection closed was never sent; the rest is protocol.
fn classify(error: &(dyn StdError + 'static)) -> ClientError {
    let mut connect = false;
    let mut canceled = false;
    let mut io_kind = None;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(legacy) = current.downcast_ref::<hyper_util::client::legacy::Error>() {
            connect |= legacy.is_connect();
        }
        if let Some(hyper_error) = current.downcast_ref::<hyper::Error>() {
            canceled |= hyper_error.is_canceled();
        }
        if let Some(tls) = current.downcast_ref::<rustls::Error>() {
            return ClientError::Tls(tls.to_string());
        }
        if let Some(io_error) = current.downcast_ref::<io::Error>() {
            // The innermost kind says most (hyper-rustls wraps TLS errors in `Other`).
            io_kind = Some(io_error.kind());
            // io::Error::source skips the error it wraps (tokio-rustls puts the rustls
            // error there), so descend into it explicitly.
            if let Some(inner) = io_error.get_ref() {
                cause = Some(inner as &(dyn StdError + 'static));
                continue;
            }
        }
        cause = current.source();
    }
    let description = describe(error);
    match (connect, io_kind) {
        (true, Some(io::ErrorKind::ConnectionRefused)) => ClientError::Refused,
        (true, Some(io::ErrorKind::TimedOut)) => ClientError::ConnectTimeout,
        (true, _) => ClientError::Connect(description),
        (false, _) if canceled => ClientError::ClosedBeforeRequest,
        (false, _) => ClientError::Protocol(description),
    }
}

/// The chain of causes as one line, e.g. "client error (SendRequest): connection closed
/// before message completed".
fn describe(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(current) = cause {
        let text = current.to_string();
        if parts.last().is_none_or(|last| !last.contains(&text)) {
            parts.push(text);
        }
        cause = current.source();
    }
    parts.join(": ")
}
