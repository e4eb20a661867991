//! What the benchmarks need of the platform: a port the `agora` composition root implements.
//! The benchmarks drive the platform as its command line would (`serve` flags, `projections
//! rebuild`), so this crate depends on no part of the root, and the root depends on it.

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use projections::Projection;
use shared_kernel::EventStore;
use tokio_util::sync::CancellationToken;

/// Read models of one group, applied together (a context's, or a benchmark's idle one).
pub type ProjectionGroup = (&'static str, Vec<Arc<dyn Projection>>);

/// The platform, as the benchmarks start it.
#[async_trait]
pub trait Platform: Send + Sync + std::fmt::Debug {
    /// Starts the platform on a free port of 127.0.0.1, as `agora serve <serve_flags>` would
    /// (the environment fills what the flags leave unset), with `extra` read models beside the
    /// contexts' own.
    ///
    /// # Errors
    /// The flags are invalid, or the platform cannot start.
    async fn start(
        &self,
        serve_flags: &[String],
        extra: Vec<ProjectionGroup>,
    ) -> anyhow::Result<Started>;

    /// As `agora migrate`, with `serve`'s flags (so `--contexts` applies): the store's
    /// migrations and every selected read model's tables.
    ///
    /// # Errors
    /// The flags are invalid, or the database cannot be migrated.
    async fn migrate(&self, serve_flags: &[String]) -> anyhow::Result<()>;

    /// As `agora projections rebuild <projection> --database-url <database_url>`; the number
    /// of events replayed.
    ///
    /// # Errors
    /// Unknown projection, or a storage failure.
    async fn rebuild(&self, database_url: &str, projection: &str) -> anyhow::Result<u64>;
}

/// A platform serving in the background until [`shutdown`](Self::shutdown) is cancelled.
#[derive(Debug)]
pub struct Started {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The platform's own event store (a second one would listen for commits too, and the
    /// platform would notify it of every commit as it would another process).
    pub store: Arc<dyn EventStore>,
    /// Cancel to stop it.
    pub shutdown: CancellationToken,
}
