//! Serving an axum [`Router`] over mutually authenticated TLS: the accept loop
//! (tokio-rustls for the handshake, hyper's HTTP/1.1 connection, hyper-util's graceful
//! shutdown), in the shape of axum's `low-level-rustls` example.
//!
//! Each accepted connection gets its own task, so a slow or failed handshake never holds
//! up the loop. A failed handshake (no client certificate, one the CA did not sign, an
//! expired one, not TLS at all) ends that connection only: the alert rustls wrote is
//! followed by an orderly close and a short drain of what the client had already sent, so
//! the client reads the alert rather than a reset.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// How long a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client may take to send a request's head once connected (hyper's header
/// read timeout; it also closes idle keep-alive connections that start a request and
/// stall).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` over TLS with `config` (from [`crate::server_config`])
/// until `shutdown` completes.
///
/// Then the listener is closed at once (new connections are refused), idle keep-alive
/// connections are closed, and the call returns when the requests in flight have been
/// answered. Errors accepting a connection (e.g. too many open files) pause the loop
/// briefly and never end it, so the result is `Ok` unless the loop cannot run at all.
pub async fn serve_tls(
    listener: TcpListener,
    router: Router,
    config: Arc<ServerConfig>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let acceptor = TlsAcceptor::from(config);
    let graceful = GracefulShutdown::new();
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    pause_after(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let acceptor = acceptor.clone();
        let router = router.clone();
        // Taken before the task starts, so a shutdown signalled during the handshake
        // still reaches this connection.
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _ = stream.set_nodelay(true);
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream).into_fallible()).await;
            let tls = match handshake {
                Ok(Ok(tls)) => tls,
                Ok(Err((_error, stream))) => return close_after_failed_handshake(stream).await,
                Err(_elapsed) => return,
            };
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(tls), TowerToHyperService::new(router));
            // A connection that ends in an error (the client went away, a body failed on
            // purpose) concerns that connection only.
            let _ = watcher.watch(connection).await;
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// After an accept error: connection-level errors (the client gave up while queued) are
/// skipped; anything else (out of file descriptors) waits a second for resources.
async fn pause_after(error: &io::Error) {
    let connection_error = matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused | io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    );
    if !connection_error {
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sends FIN after the alert and reads what the client already sent (its first request,
/// with TLS 1.3) until it closes, for at most a second: closing with unread data would
/// make the kernel send a reset that can overtake the alert.
async fn close_after_failed_handshake(mut stream: TcpStream) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buffer = [0u8; 4096];
        let mut left = 64 * 1024usize;
        while left > 0 {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}
