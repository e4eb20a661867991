//! `agora bench-export`: how fast `agora events export` writes the log, beside a raw
//! `COPY (SELECT ...) TO STDOUT` of the same rows in the same order, in the same run and
//! database (the floor: PostgreSQL's own serialisation with nothing decoded or re-encoded).
//!
//! The log is written in bulk by SQL: `--events` events of a mix of real types (orders,
//! products, votes, comments), about 300 bytes of data each. Goals (issue 22): export
//! >= 100,000 events/s and >= 0.5x the raw COPY.

use std::sync::Arc;
use std::time::Instant;

use analytics::cloudevents::Withheld;
use analytics::export::{self, ExportRange, Format};
use anyhow::Context as _;
use clap::Args;
use futures::StreamExt as _;
use infrastructure::database::{Database, PoolSizes};
use shared_kernel::{Cursor, EventFilter};
use sqlx::Executor;

use crate::scratch::ScratchDb;

#[derive(Debug, Clone, Args)]
pub struct BenchExportArgs {
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
}

/// Rows per generating statement (one transaction each).
const CHUNK: u64 = 20_000;

/// The rows and order of an export, as PostgreSQL itself writes them.
const RAW_COPY: &str = "COPY (SELECT position, transaction_id, event_id, stream_id, \
     stream_version, event_type, schema_version, data, metadata, recorded_at FROM events \
     WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot()) \
     ORDER BY transaction_id, position) TO STDOUT";

/// # Errors
/// The scratch database cannot be created or filled, or an export fails.
pub async fn run(args: BenchExportArgs) -> anyhow::Result<()> {
    let scratch = ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, &scratch).await;
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

struct Row {
    what: String,
    rows: u64,
    secs: f64,
    bytes: Option<u64>,
}

async fn run_in(args: &BenchExportArgs, scratch: &ScratchDb) -> anyhow::Result<()> {
    let database = Database::open(scratch.url(), PoolSizes { store: 4, read: 4 })
        .await
        .context("opening the scratch database")?;
    eprintln!("[1/5] writing {} events", args.events);
    let mut conn = scratch.connect().await?;
    let mut written = 0;
    while written < args.events {
        let n = CHUNK.min(args.events - written);
        conn.execute(generate(written, n).as_str()).await?;
        written += n;
    }
    conn.execute("VACUUM ANALYZE events").await?;
    let mut rows = Vec::new();

    eprintln!("[2/5] raw COPY (SELECT ...) TO STDOUT of the same rows, in the same order");
    // Twice: the first warms the cache for every measurement after it.
    for _ in 0..2 {
        let started = Instant::now();
        let mut copy = conn.copy_out_raw(RAW_COPY).await?;
        let (mut lines, mut bytes) = (0_u64, 0_u64);
        while let Some(chunk) = copy.next().await {
            let chunk = chunk?;
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        drop(copy);
        rows.push(Row {
            what: "raw COPY (SELECT ...) TO STDOUT".into(),
            rows: lines,
            secs: started.elapsed().as_secs_f64(),
            bytes: Some(bytes),
        });
    }
    rows.remove(0);

    eprintln!("[3/5] the store's filtered pages alone (what an export reads, nothing written)");
    let started = Instant::now();
    let read = export::export(
        Arc::clone(&database.store),
        ExportRange {
            filter: EventFilter::all(),
            after: Cursor::START,
            until: None,
        },
        Vec::new(),
        |_, _| {},
    )
    .await?;
    rows.push(Row {
        what: "the store's pages alone (read_filtered, nothing written)".into(),
        rows: read.events,
        secs: started.elapsed().as_secs_f64(),
        bytes: None,
    });

    let dir = std::env::temp_dir().join(format!("agora-bench-export-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    for (step, format, file) in [
        ("[4/5]", Format::Parquet, "events.parquet"),
        ("[5/5]", Format::JsonLines, "events.jsonl"),
    ] {
        eprintln!("{step} agora events export to {file}");
        let path = dir.join(file);
        let out = Box::new(std::io::BufWriter::new(std::fs::File::create(&path)?));
        let sink = export::sink(format, out, "http://127.0.0.1:8080", Withheld::default())?;
        let started = Instant::now();
        let done = export::export(
            Arc::clone(&database.store),
            ExportRange {
                filter: EventFilter::all(),
                after: Cursor::START,
                until: None,
            },
            vec![sink],
            |_, _| {},
        )
        .await?;
        rows.push(Row {
            what: format!("agora events export, {file}"),
            rows: done.events,
            secs: started.elapsed().as_secs_f64(),
            bytes: Some(std::fs::metadata(&path)?.len()),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);

    let copy_rate = rows[0].rows as f64 / rows[0].secs;
    println!();
    println!("| measurement | events | seconds | events/s | MB written | ratio to raw COPY |");
    println!("|---|---:|---:|---:|---:|---:|");
    for r in &rows {
        let rate = r.rows as f64 / r.secs;
        println!(
            "| {} | {} | {:.2} | {:.0} | {} | {:.2} |",
            r.what,
            r.rows,
            r.secs,
            rate,
            r.bytes
                .map_or("-".into(), |b| format!("{:.0}", b as f64 / 1e6)),
            rate / copy_rate
        );
    }
    Ok(())
}

/// One statement writing events `from..from + n` in streams of 10: orders paid, products
/// created, votes and comments, with data of real shapes.
fn generate(from: u64, n: u64) -> String {
    format!(
        r#"INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, data, metadata)
SELECT gen_random_uuid(),
       CASE i % 4 WHEN 0 THEN 'order-' WHEN 1 THEN 'product-' WHEN 2 THEN 'vote-' ELSE 'comment-' END
         || (i / 10),
       i % 10 + 1,
       CASE i % 4 WHEN 0 THEN 'agora.ordering.order_paid'
                  WHEN 1 THEN 'agora.merchandise.product_created'
                  WHEN 2 THEN 'agora.communities.vote_cast'
                  ELSE 'agora.communities.comment_created' END,
       CASE i % 4 WHEN 1 THEN 2 ELSE 1 END,
       CASE i % 4
         WHEN 0 THEN jsonb_build_object('order_id', u, 'payment_id', gen_random_uuid(),
                'amount', jsonb_build_object('amount_minor', 1000 + i % 5000, 'currency', 'EUR'))
         WHEN 1 THEN jsonb_build_object('product_id', u, 'seller_id', gen_random_uuid(),
                'title', 'Product ' || i, 'description', 'A product of the export benchmark',
                'category', 'bench', 'sku', 'SKU-' || i,
                'price', jsonb_build_object('amount_minor', 1000 + i % 5000, 'currency', 'EUR'),
                'attributes', '{{}}'::jsonb)
         WHEN 2 THEN jsonb_build_object('target', jsonb_build_object('post', u), 'voter_id', u,
                'community_id', gen_random_uuid(), 'value', 1, 'previous', 0)
         ELSE jsonb_build_object('comment_id', u, 'post_id', gen_random_uuid(),
                'community_id', gen_random_uuid(), 'author_id', gen_random_uuid(),
                'body', 'A comment of the export benchmark, number ' || i, 'path', u::text,
                'depth', 0) END,
       jsonb_build_object('actor', gen_random_uuid(), 'command_id', gen_random_uuid())
FROM (SELECT i, gen_random_uuid() AS u FROM generate_series({start}, {end}) AS i) AS g"#,
        start = from + 1,
        end = from + n,
    )
}
