//! The channel on real listeners (127.0.0.1:0): mutual TLS between the gateway's client
//! and a provider-like router, refusals of clients without a trusted certificate (after
//! which the server keeps serving), and the client's error kinds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use openmig_tls::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use openmig_tls::{ClientError, DemoPki, HttpsClient, client_config, crypto_provider, https_client, server_config};
use tokio::sync::oneshot;

const LONG: Duration = Duration::from_secs(10);

fn router() -> Router {
    Router::new().route("/echo", post(|body: Bytes| async move { body })).route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_millis(600)).await;
            "late"
        }),
    )
}

/// A running server; dropping `stop` (or sending on it) shuts it down.
struct Server {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    async fn start(config: Arc<ServerConfig>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(openmig_tls::serve_tls(listener, router(), config, async {
            let _ = stopped.await;
        }));
        Server { address, stop: Some(stop), task }
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.address)
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(LONG, self.task).await.expect("the server stops").unwrap().unwrap();
    }
}

fn pki() -> (tempfile::TempDir, DemoPki) {
    let dir = tempfile::tempdir().unwrap();
    let pki = DemoPki::load_or_create(dir.path()).unwrap();
    (dir, pki)
}

fn roots(pki: &DemoPki) -> Arc<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_certificate().clone()).unwrap();
    Arc::new(roots)
}

/// Trusts `trusted`'s CA and presents no certificate.
fn anonymous_client(trusted: &DemoPki) -> HttpsClient {
    let config = ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(trusted))
        .with_no_client_auth();
    https_client(Arc::new(config))
}

/// Trusts `trusted`'s CA and presents `identity`'s gateway certificate.
fn client_presenting(trusted: &DemoPki, identity: &DemoPki) -> HttpsClient {
    let config = ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots(trusted))
        .with_client_auth_cert(identity.gateway_certificate_chain().to_vec(), identity.gateway_key())
        .unwrap();
    https_client(Arc::new(config))
}

async fn echo(client: &HttpsClient, server: &Server) -> Result<(u16, HeaderMap, Bytes), ClientError> {
    client.post_json(&server.url("/echo"), HeaderMap::new(), Bytes::from_static(b"{\"ok\":true}"), LONG).await
}

/// A refused client certificate shows as the provider's TLS alert, or (TLS 1.3, when the
/// alert arrives before the request is written) as the new connection closing unused.
fn assert_tls_refusal(result: Result<(u16, HeaderMap, Bytes), ClientError>) -> ClientError {
    match result {
        Err(error @ (ClientError::Tls(_) | ClientError::ClosedBeforeRequest)) => error,
        other => panic!("expected a TLS refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_and_a_provider_authenticate_each_other() {
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;
    let client = https_client(client_config(&pki));

    let (status, headers, body) = echo(&client, &server).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(&body[..], b"{\"ok\":true}");
    assert!(headers.contains_key("content-length"));

    // The certificate also names localhost; a second request reuses the pooled connection.
    let by_name = format!("https://localhost:{}/echo", server.address.port());
    let (status, _, _) = client.post_json(&by_name, HeaderMap::new(), Bytes::new(), LONG).await.unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_without_a_certificate_is_refused_and_the_server_keeps_serving() {
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;

    for _ in 0..5 {
        if let ClientError::Tls(reason) = assert_tls_refusal(echo(&anonymous_client(&pki), &server).await) {
            assert!(reason.contains("CertificateRequired"), "{reason}");
        }
    }
    let (status, _, _) = echo(&https_client(client_config(&pki)), &server).await.unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_from_another_ca_is_refused_and_the_server_keeps_serving() {
    let (_dir, pki) = pki();
    let other = DemoPki::generate().unwrap();
    let server = Server::start(server_config(&pki)).await;

    for _ in 0..5 {
        if let ClientError::Tls(reason) = assert_tls_refusal(echo(&client_presenting(&pki, &other), &server).await) {
            assert!(reason.contains("received fatal alert"), "{reason}");
        }
    }
    let (status, _, _) = echo(&https_client(client_config(&pki)), &server).await.unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_refuses_a_provider_certificate_from_another_ca() {
    let (_dir, pki) = pki();
    let other = DemoPki::generate().unwrap();
    let impostor = Server::start(server_config(&other)).await;

    match echo(&https_client(client_config(&pki)), &impostor).await {
        // Both demo CAs bear the same name, so webpki finds "the" issuer and rejects its
        // signature (BadSignature); a CA with another name gives UnknownIssuer.
        Err(ClientError::Tls(reason)) => assert!(reason.contains("invalid peer certificate"), "{reason}"),
        other => panic!("expected a TLS failure, got {other:?}"),
    }
    impostor.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_tcp_client_that_sends_garbage_does_not_stop_the_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;

    let mut stream = tokio::net::TcpStream::connect(server.address).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(LONG, stream.read_to_end(&mut answer)).await.expect("the server closes");
    assert!(!answer.starts_with(b"HTTP"), "no HTTP answer without TLS");

    let (status, _, _) = echo(&https_client(client_config(&pki)), &server).await.unwrap();
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_reported_as_a_timeout() {
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;
    let client = https_client(client_config(&pki));

    let started = Instant::now();
    let result = client.get(&server.url("/slow"), HeaderMap::new(), Duration::from_millis(150)).await;
    assert_eq!(result, Err(ClientError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(550), "{:?}", started.elapsed());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_listening_is_reported_as_refused() {
    let (_dir, pki) = pki();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);

    let client = https_client(client_config(&pki));
    let result = client.post_json(&format!("https://{address}/echo"), HeaderMap::new(), Bytes::new(), LONG).await;
    assert_eq!(result, Err(ClientError::Refused));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_https_urls_are_accepted() {
    let (_dir, pki) = pki();
    let client = https_client(client_config(&pki));
    for url in ["http://127.0.0.1:1/x", "not a url", "/relative"] {
        let result = client.post_json(url, HeaderMap::new(), Bytes::new(), LONG).await;
        assert!(matches!(result, Err(ClientError::InvalidUrl(_))), "{url}: {result:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_larger_than_the_limit_is_refused() {
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;
    let options = openmig_tls::ClientOptions { max_response_bytes: 16, ..Default::default() };
    let client = openmig_tls::https_client_with(client_config(&pki), options);

    let result = client.post_json(&server.url("/echo"), HeaderMap::new(), Bytes::from(vec![b'x'; 64]), LONG).await;
    assert_eq!(result, Err(ClientError::TooLarge { limit: 16 }));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_answers_the_request_in_flight_then_refuses_new_connections() {
    let (_dir, pki) = pki();
    let server = Server::start(server_config(&pki)).await;
    let client = https_client(client_config(&pki));
    let address = server.address;

    let url = server.url("/slow");
    let in_flight = {
        let client = client.clone();
        tokio::spawn(async move { client.get(&url, HeaderMap::new(), LONG).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.stop().await;

    let (status, _, body) = in_flight.await.unwrap().unwrap();
    assert_eq!((status, &body[..]), (200, &b"late"[..]));
    let fresh = https_client(client_config(&pki));
    let result = fresh.post_json(&format!("https://{address}/echo"), HeaderMap::new(), Bytes::new(), LONG).await;
    assert_eq!(result, Err(ClientError::Refused));
}

#[test]
fn the_crypto_provider_is_aws_lc_rs() {
    // Every configuration is built on this provider; rustls names its cipher suites the
    // same whichever provider, so check the provider's key exchange groups come from
    // aws-lc-rs (it offers the post-quantum hybrid first).
    let provider = crypto_provider();
    assert!(!provider.cipher_suites.is_empty());
    assert!(provider.kx_groups.iter().any(|g| g.name() == rustls::NamedGroup::X25519MLKEM768));
}
