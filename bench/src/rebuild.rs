//! `agora bench-rebuild`: how fast `agora projections rebuild` replays a long log, beside the
//! rate of a raw ordered read of the same rows (the store's own pages, nothing applied) in the
//! same run and database.
//!
//! The log is written in bulk by SQL: `--events` events, one in ten a product creation (what
//! the rebuilt `ordering.products` read model is built from), the rest events of other
//! contexts that it skips, as a read model of one context sees the log of a whole platform.

use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use infrastructure::database::{Database, PoolSizes};
use shared_kernel::Cursor;
use sqlx::Executor;

use crate::platform::Platform;
use crate::scratch::ScratchDb;

#[derive(Debug, Clone, Args)]
pub struct BenchRebuildArgs {
    /// PostgreSQL admin URL; a scratch database is created on its server and dropped after.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Events in the log.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: u64,
    /// The read model to rebuild.
    #[arg(long, default_value = "ordering.products")]
    pub projection: String,
}

/// Rows per generating statement (one transaction each).
const CHUNK: u64 = 20_000;
/// The page size of the raw read: the rebuild's own.
const PAGE: usize = 1000;

/// # Errors
/// The scratch database cannot be created or filled, or the rebuild fails.
pub async fn run(args: BenchRebuildArgs, platform: &dyn Platform) -> anyhow::Result<()> {
    let scratch = ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, &scratch, platform).await;
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

async fn run_in(
    args: &BenchRebuildArgs,
    scratch: &ScratchDb,
    platform: &dyn Platform,
) -> anyhow::Result<()> {
    let database = Database::open(scratch.url(), PoolSizes { store: 4, read: 4 })
        .await
        .context("opening the scratch database")?;
    eprintln!("[1/3] writing {} events", args.events);
    let mut conn = scratch.connect().await?;
    let mut written = 0;
    while written < args.events {
        let n = CHUNK.min(args.events - written);
        conn.execute(generate(written, n).as_str()).await?;
        written += n;
    }
    conn.execute("ANALYZE events").await?;

    eprintln!("[2/3] raw ordered read of the log, {PAGE} events a page");
    let started = Instant::now();
    let (mut cursor, mut read) = (Cursor::START, 0_u64);
    loop {
        let page = database.store.read_all(cursor, PAGE).await?;
        let Some(last) = page.last() else { break };
        cursor = last.cursor;
        read += page.len() as u64;
    }
    let raw_secs = started.elapsed().as_secs_f64();
    let raw_rate = read as f64 / raw_secs;

    eprintln!("[3/3] agora projections rebuild {}", args.projection);
    let started = Instant::now();
    let replayed = platform.rebuild(scratch.url(), &args.projection).await?;
    let rebuild_secs = started.elapsed().as_secs_f64();
    let rebuild_rate = replayed as f64 / rebuild_secs;
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM ordering_products")
        .fetch_one(&database.read)
        .await
        .unwrap_or(-1);

    println!();
    println!("| measurement | events | seconds | events/s | ratio to raw read |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| raw ordered read (store pages of {PAGE}) | {read} | {raw_secs:.1} | {raw_rate:.0} | 1.00 |"
    );
    println!(
        "| rebuild of {} ({rows} rows) | {replayed} | {rebuild_secs:.1} | {rebuild_rate:.0} | {:.2} |",
        args.projection,
        rebuild_rate / raw_rate
    );
    Ok(())
}

/// One statement writing events `from..from + n`: every tenth a product creation, the rest
/// votes of the communities context (which `ordering.products` does not handle).
fn generate(from: u64, n: u64) -> String {
    format!(
        r#"INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, data, metadata)
SELECT gen_random_uuid(),
       CASE WHEN i % 10 = 0 THEN 'product-' || u ELSE 'vote-' || u END,
       1,
       CASE WHEN i % 10 = 0 THEN 'agora.merchandise.product_created'
            ELSE 'agora.communities.vote_cast' END,
       CASE WHEN i % 10 = 0 THEN 2 ELSE 1 END,
       CASE WHEN i % 10 = 0 THEN jsonb_build_object(
                'product_id', u, 'seller_id', gen_random_uuid(),
                'title', 'Product ' || i, 'description', 'A product of the rebuild benchmark',
                'category', 'bench', 'sku', 'SKU-' || i,
                'price', jsonb_build_object('amount_minor', 1000 + i % 5000, 'currency', 'EUR'),
                'attributes', '{{}}'::jsonb)
            ELSE jsonb_build_object('target', jsonb_build_object('post', u), 'voter_id', u,
                'value', 1, 'previous', 0) END,
       '{{}}'::jsonb
FROM (SELECT i, gen_random_uuid() AS u FROM generate_series({start}, {end}) AS i) AS g"#,
        start = from + 1,
        end = from + n,
    )
}
