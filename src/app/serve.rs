//! `agora serve`, and a server running in the background (tests, benchmarks, `serve` itself).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use shared_kernel::{CommandBus, EventStore};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{ProjectionGroup, build};
use crate::config::ServeArgs;

/// A server running in the background.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    /// The platform's command bus and event store, for tests that act as a saga or read streams.
    pub bus: Arc<dyn CommandBus>,
    pub store: Arc<dyn EventStore>,
}

/// Binds `listen` and serves until `shutdown` is cancelled.
///
/// # Errors
/// The platform cannot be built or the address bound.
pub async fn start(config: &ServeArgs, listen: SocketAddr) -> anyhow::Result<Running> {
    start_with(config, listen, Vec::new()).await
}

/// [`start`], with read models beyond the contexts' own, per group (benchmarks register idle
/// ones).
///
/// # Errors
/// The platform cannot be built or the address bound.
pub async fn start_with(
    config: &ServeArgs,
    listen: SocketAddr,
    extra: Vec<ProjectionGroup>,
) -> anyhow::Result<Running> {
    let platform = build(config, extra).await?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let addr = listener.local_addr()?;
    let shutdown = platform.shutdown.clone();
    let stop = shutdown.clone();
    let bus = Arc::clone(&platform.bus);
    let store = Arc::clone(&platform.database.store);
    let server = tokio::spawn(http_kernel::server::serve(
        listener,
        platform.router,
        config.http.server(),
        stop,
    ));
    Ok(Running {
        addr,
        shutdown,
        server,
        bus,
        store,
    })
}

/// `agora serve`: runs until SIGINT or SIGTERM, then drains requests (live streams end at
/// once, other requests get `--shutdown-drain-ms` to finish) and stops.
///
/// # Errors
/// Start-up failed, or the server stopped with an error.
pub async fn serve(config: &ServeArgs) -> anyhow::Result<()> {
    let running = start(config, config.http.listen).await?;
    warn_if_commands_cannot_leave(config);
    tracing::info!(
        addr = %running.addr,
        database = %infrastructure::database::redact(&config.storage.url()),
        "agora listening"
    );
    stop_signal().await;
    let drain = config.http.shutdown_drain();
    tracing::info!(drain = ?drain, "shutting down");
    running.shutdown.cancel();
    match tokio::time::timeout(drain, running.server).await {
        Ok(joined) => joined
            .context("server task failed")?
            .context("server failed")?,
        // Requests still open: they are cut, as a load balancer would after its own timeout.
        Err(_) => tracing::warn!(
            drain = ?drain,
            "requests still open after the drain time; stopping anyway"
        ),
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM: what stops `serve` and long CLI work (`events
/// export`).
pub async fn stop_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// A process running some contexts but not all, without a broker, cannot deliver commands to
/// the others: a saga of ordering reserving stock would retry for ever. Said once at start, so
/// an operator does not learn it from an order cancelled by its payment timeout.
fn warn_if_commands_cannot_leave(config: &ServeArgs) {
    if config.contexts.is_empty() || config.messaging.amqp_url.is_some() {
        return;
    }
    let elsewhere: Vec<&str> = crate::contexts::names()
        .into_iter()
        .filter(|c| !config.runs(c))
        .collect();
    tracing::warn!(
        contexts = %config.contexts_key(),
        not_here = %elsewhere.join(","),
        "this process runs only some contexts and has no command broker (--amqp-url): commands \
         to the other contexts cannot be delivered, so work that crosses contexts (an order's \
         payment and stock) will not complete; run every context in one process or give every \
         process the same --amqp-url"
    );
}
