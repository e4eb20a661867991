//! The HTTP server loop: accepts connections, serves the router on each (HTTP/1.1 and h2c),
//! with a header-read timeout, problem+json even for the refusals hyper makes before a route
//! runs ([`EdgeIo`]), the client's address for the per-address limits, and a graceful stop.
//!
//! axum's own `serve` offers no header-read timeout: a client sending its headers a byte at a
//! time would hold a connection (and a task) for as long as it likes.

mod edge_io;
mod forwarded;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

pub use edge_io::EdgeIo;
pub use forwarded::{NotAProxy, TrustedProxy, client_address};

/// How the server treats connections.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// How long a client may take to send a request's headers (HTTP/1); then it is answered
    /// `408 request_timeout` and the connection closes.
    pub header_read_timeout: Duration,
    /// The proxies (a gateway) whose `X-Forwarded-For` names the client: the per-address
    /// limits then key on the client, not on the proxy every client shares.
    pub trusted_proxies: Vec<TrustedProxy>,
}

/// Serves `router` on `listener` until `shutdown` is cancelled, then stops accepting and waits
/// for the requests in flight to finish (the caller bounds that wait).
///
/// # Errors
/// Never for a single connection's failure (logged); only if the listener itself fails in a
/// way that retrying cannot mend.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ServerSettings,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let trusted: Arc<[TrustedProxy]> = settings.trusted_proxies.into();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = shutdown.cancelled() => break,
        };
        let _ = stream.set_nodelay(true);
        let trusted = Arc::clone(&trusted);
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                // The client's address feeds the per-address sign-up and login limits: the
                // peer, or the address a trusted proxy forwarded.
                let client = client_address(peer.ip(), request.headers(), &trusted);
                let client = SocketAddr::new(client, peer.port());
                request.extensions_mut().insert(ConnectInfo(client));
                request
            })
            .map_err(|never: Infallible| match never {});
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(EdgeIo::new(stream)),
                TowerToHyperService::new(service),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The address a `--listen` value names: `host:port` with a literal address or a host name
/// (`localhost:8080`), resolved once; the first address wins.
///
/// # Errors
/// Not `host:port`, or a host name that does not resolve.
pub fn resolve_listen(value: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs as _;
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(addr);
    }
    value
        .to_socket_addrs()
        .map_err(|e| {
            format!("cannot resolve {value:?}: {e} (expected host:port, e.g. 127.0.0.1:8080)")
        })?
        .next()
        .ok_or_else(|| format!("{value:?} resolves to no address"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses_may_name_hosts() {
        assert_eq!(
            resolve_listen("127.0.0.1:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(
            resolve_listen("localhost:18099")
                .unwrap()
                .ip()
                .is_loopback()
        );
        assert!(resolve_listen("localhost").is_err());
        assert!(resolve_listen("no-such-host.invalid:80").is_err());
    }
}
