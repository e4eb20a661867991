//! `agora bench-orders`: orders over HTTP end to end (placed until paid, through the order
//! saga, inventory and the simulated payment provider), beside the raw append rate of the same
//! PostgreSQL store measured in the same run. A benchmark: it prints figures, asserts nothing.
//!
//! Three measurements:
//! - **cost per order**: orders placed one after another, each waited until paid; per order,
//!   the database transactions, rows read and written, checkpoint writes and server CPU time
//!   (see `crate::cost`), optionally again after many more orders of the same sku;
//! - **throughput**: C buyers in a closed loop, each placing an order and polling it until it is
//!   paid, then placing the next; orders/s and the events/s the flow appended.
//! - **latency at a fixed rate**: orders placed on a fixed schedule (open loop) at a fraction of
//!   the measured throughput; placed-to-paid latency percentiles, and how long a read of the
//!   order waits (`Agora-Min-Position`) for the orders read model to show it: projection lag.

mod client;
mod measure;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use uuid::Uuid;

use self::client::Client;
use self::measure::measure;
use crate::platform::{Platform, ProjectionGroup};

#[derive(Debug, Clone, Args)]
pub struct BenchOrdersArgs {
    /// PostgreSQL admin URL; a scratch database is created on its server and dropped after.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent buyers in the throughput measurement (and writers in the baseline).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// The fixed rate of the latency measurement, as a fraction of the measured throughput.
    #[arg(long, default_value_t = 0.5)]
    pub rate_fraction: f64,
    /// Products (skus) the orders spread over; 1 makes every order contend for one stock
    /// stream.
    #[arg(long, default_value_t = 16)]
    pub products: usize,
    /// How often a buyer polls its order while waiting for `paid`, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub poll_ms: u64,
    /// Orders placed one after another for the per-order cost figures (0: skip them).
    #[arg(long, default_value_t = 100)]
    pub cost_orders: u64,
    /// How often an order of the cost measurement is polled, in milliseconds: its polls are
    /// part of its cost, so a slower machine must not poll more (`../shared/tools/order-cost`
    /// polls every 200 ms too).
    #[arg(long, default_value_t = 200)]
    pub cost_poll_ms: u64,
    /// Then this many more orders of the same sku (closed loop), and the cost measured again:
    /// does an order cost more once the log and the sku's stock stream are long?
    #[arg(long, default_value_t = 0)]
    pub long_stream_orders: u64,
    /// Read models to register beside the platform's own that handle no event of an order:
    /// what an idle projection costs every order.
    #[arg(long, default_value_t = 0)]
    pub idle_projections: usize,
    /// Skip the throughput and fixed-rate measurements (cost figures only).
    #[arg(long)]
    pub cost_only: bool,
}

/// A read model of events nobody writes: it costs an order only what the runtime spends on it.
#[derive(Debug)]
struct IdleProjection {
    name: &'static str,
}

#[async_trait::async_trait]
impl projections::Projection for IdleProjection {
    fn name(&self) -> &'static str {
        self.name
    }
    fn handles(&self) -> projections::Interest {
        projections::Interest::Contexts(&["benchidle"])
    }
    fn schema(&self) -> &'static [&'static str] {
        &[]
    }
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply(
        &self,
        _conn: &mut sqlx::AnyConnection,
        _event: &shared_kernel::Recorded,
    ) -> Result<(), projections::ProjectionError> {
        Ok(())
    }
}

/// `count` idle read models, each in a group of its own (as ten more contexts would be).
fn idle_projections(count: usize) -> Vec<ProjectionGroup> {
    (0..count)
        .map(|i| {
            let name: &'static str = Box::leak(format!("bench.idle_{i}").into_boxed_str());
            let projection: Arc<dyn projections::Projection> = Arc::new(IdleProjection { name });
            (name, vec![projection])
        })
        .collect()
}

/// # Errors
/// The scratch database cannot be created, the platform cannot start, or a request fails.
pub async fn run(args: BenchOrdersArgs, platform: &dyn Platform) -> anyhow::Result<()> {
    let scratch = crate::scratch::ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, scratch.url(), platform).await;
    // Dropped also after a failure; the measurement's error wins over the drop's.
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

/// `serve`'s own flags: the benchmark runs the platform as `serve` would.
fn serve_flags(url: &str, concurrency: usize) -> Vec<String> {
    // PostgreSQL allows 100 connections by default; the read pool and listeners need some.
    let pool = (concurrency + 8).min(48).to_string();
    [
        "--database-url",
        url,
        "--db-pool-size",
        &pool,
        "--session-cookie-secure",
        "false",
        "--writes-per-user-per-minute",
        "1000000",
        "--logins-per-ip-per-minute",
        "100000",
        "--registrations-per-ip-per-hour",
        "100000",
        "--data-dir",
        &std::env::temp_dir()
            .join(format!("agora-bench-{}", Uuid::now_v7().simple()))
            .display()
            .to_string(),
    ]
    .map(str::to_owned)
    .to_vec()
}

async fn run_in(args: &BenchOrdersArgs, url: &str, platform: &dyn Platform) -> anyhow::Result<()> {
    let flags = serve_flags(url, args.concurrency);
    let running = platform
        .start(&flags, idle_projections(args.idle_projections))
        .await
        .context("starting the platform")?;
    let client = Client::new(format!("http://{}", running.addr));
    // The platform's own store: a second one would listen for commits too, and the platform
    // would notify it of every commit as it would another process.
    let store = Arc::clone(&running.store);
    let result = measure(args, &client, store, url).await;
    // Stop the platform before the caller drops its database, also after a failure.
    running.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
    result
}
