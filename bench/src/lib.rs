//! The benchmarks of `agora bench*`. Each prints figures and asserts nothing; BENCHMARKS.md
//! explains and records them. They start the platform through the [`Platform`] port, which the
//! `agora` binary implements: this crate does not depend on the composition root.

mod append;
mod catalog;
mod cost;
mod cpu;
mod export;
mod feed;
mod messaging;
mod orders;
mod platform;
mod rebuild;
mod recommendations;
mod scratch;

use clap::Subcommand;

pub use self::append::BenchArgs;
pub use self::catalog::BenchCatalogArgs;
pub use self::export::BenchExportArgs;
pub use self::feed::BenchFeedArgs;
pub use self::messaging::BenchMessagingArgs;
pub use self::orders::BenchOrdersArgs;
pub use self::platform::{Platform, ProjectionGroup, Started};
pub use self::rebuild::BenchRebuildArgs;
pub use self::recommendations::BenchRecommendationsArgs;

/// The benchmark commands, flattened into the `agora` command line.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Measure event-store append rates against raw INSERTs (PostgreSQL).
    Bench(BenchArgs),
    /// Measure command round trips (RabbitMQ, in-process), relay and projection lag.
    BenchMessaging(BenchMessagingArgs),
    /// Measure community feed pages (hot, new) over HTTP at 1k and at 100k posts (PostgreSQL).
    BenchFeed(BenchFeedArgs),
    /// Measure catalog search and facets at 10k (and more) products on SQLite and PostgreSQL.
    BenchCatalog(BenchCatalogArgs),
    /// Measure orders end to end over HTTP (placed until paid) against raw appends.
    BenchOrders(BenchOrdersArgs),
    /// Measure `projections rebuild` over a long log against a raw ordered read of it.
    BenchRebuild(BenchRebuildArgs),
    /// Measure recommendation reads and per-event updates at 1k, 10k and 100k users.
    BenchRecommendations(BenchRecommendationsArgs),
    /// Measure `events export` (Parquet, JSON Lines) against a raw COPY of the same rows.
    BenchExport(BenchExportArgs),
}

/// Runs one benchmark against `platform`.
///
/// # Errors
/// The benchmark failed: a server unreachable, a scratch database not created, a request
/// refused.
pub async fn run(command: BenchCommand, platform: &dyn Platform) -> anyhow::Result<()> {
    match command {
        BenchCommand::Bench(args) => append::run(args).await,
        BenchCommand::BenchMessaging(args) => messaging::run(args).await,
        BenchCommand::BenchFeed(args) => feed::run(args, platform).await,
        BenchCommand::BenchCatalog(args) => catalog::run(args).await,
        BenchCommand::BenchOrders(args) => orders::run(args, platform).await,
        BenchCommand::BenchRebuild(args) => rebuild::run(args, platform).await,
        BenchCommand::BenchRecommendations(args) => recommendations::run(args).await,
        BenchCommand::BenchExport(args) => export::run(args).await,
    }
}
