//! `agora bench-feed`: community feed pages over HTTP, `hot` and `new`, on a small community
//! (the baseline, 1k posts) and a large one (100k posts, 1M votes) in the same run and the same
//! scratch database, requests interleaved so both see the same machine.
//!
//! The read models are seeded directly with bulk SQL (`generate_series`): pushing a million
//! votes through the event store would take far longer than the measurement and measure
//! something else. Hot ranks are then computed by the real refresh job (timed), and pages are
//! read from a real server: first pages, a walk through the next pages by cursor, and pages
//! that start 90% deep into the feed (a cursor made from the row there), which keyset
//! pagination must serve as cheaply as the first.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use communities::projections::refresh_hot_ranks;
use hdrhistogram::Histogram;
use sqlx::Executor as _;
use uuid::Uuid;

use self::requests::request_all;
use self::seed::{deep_cursor, seed};
use crate::platform::Platform;
use crate::scratch::ScratchDb;

#[derive(Debug, Clone, Args)]
pub struct BenchFeedArgs {
    /// Admin database URL (PostgreSQL). A scratch database is created on its server and dropped
    /// at the end.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,

    /// Posts of the large community.
    #[arg(long, default_value_t = 100_000)]
    pub posts: u64,

    /// Votes over the large community's posts (the small community gets as many per post).
    #[arg(long, default_value_t = 1_000_000)]
    pub votes: u64,

    /// Posts of the small community, the baseline.
    #[arg(long, default_value_t = 1_000)]
    pub small_posts: u64,

    /// Timed requests per community and sort (a third each: first page, next page by cursor,
    /// page 90% deep).
    #[arg(long, default_value_t = 1_500)]
    pub requests: u64,

    /// Untimed requests per community and sort first.
    #[arg(long, default_value_t = 150)]
    pub warmup: u64,

    /// Posts per page.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,

    /// Also write the results as markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,
}

/// Pages a walk follows by cursor before it starts again from the first.
const WALK_PAGES: u32 = 50;

mod report;
mod requests;
mod seed;

/// # Errors
/// The server is unreachable, seeding fails, or a page request fails.
pub async fn run(args: BenchFeedArgs, platform: &dyn Platform) -> Result<()> {
    if args.posts == 0 || args.small_posts == 0 || args.requests == 0 || args.limit == 0 {
        bail!("--posts, --small-posts, --requests and --limit must be at least 1");
    }
    let scratch = ScratchDb::create(&args.database_url).await?;
    eprintln!("scratch database {}", scratch.name());
    let outcome = measure(&args, &scratch, platform).await;
    let dropped = scratch.drop_db().await;
    let report = outcome?;
    dropped?;
    print!("\n{}", report.text());
    if let Some(path) = &args.markdown {
        tokio::fs::write(path, report.markdown())
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("markdown written to {}", path.display());
    }
    Ok(())
}

/// One community of the fixture.
#[derive(Debug, Clone)]
struct Fixture {
    label: &'static str,
    name: String,
    id: String,
    posts: u64,
    votes: u64,
}

/// One timed series: a community in one sort.
#[derive(Debug)]
struct Series {
    fixture: Fixture,
    sort: &'static str,
    deep_cursor: String,
    walk: Option<(String, u32)>,
    first: Histogram<u64>,
    next: Histogram<u64>,
    deep: Histogram<u64>,
    all: Histogram<u64>,
}

#[derive(Debug)]
struct Report {
    environment: Vec<String>,
    series: Vec<Series>,
    plans: Vec<(String, String)>,
}

fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

async fn measure(
    args: &BenchFeedArgs,
    scratch: &ScratchDb,
    platform: &dyn Platform,
) -> Result<Report> {
    let data_dir =
        std::env::temp_dir().join(format!("agora-bench-feed-{}", Uuid::now_v7().simple()));
    // The communities context alone, as `serve` would run it with these flags.
    let flags: Vec<String> = [
        "--database-url",
        scratch.url(),
        "--data-dir",
        &data_dir.display().to_string(),
        "--db-pool-size",
        "8",
        "--contexts",
        communities::CONTEXT,
        "--read-wait-ms",
        "1000",
        "--command-timeout-ms",
        "10000",
        "--max-body-bytes",
        "65536",
    ]
    .map(str::to_owned)
    .to_vec();
    platform
        .migrate(&flags)
        .await
        .context("creating the tables")?;

    let pool = scratch.pool(2).await?;
    let server: String = sqlx::query_scalar("SHOW server_version")
        .fetch_one(&pool)
        .await?;
    let small_votes = args.votes.saturating_mul(args.small_posts) / args.posts;
    let fixtures = [
        Fixture {
            label: "small",
            name: "bench_small".into(),
            id: Uuid::now_v7().to_string(),
            posts: args.small_posts,
            votes: small_votes,
        },
        Fixture {
            label: "large",
            name: "bench_large".into(),
            id: Uuid::now_v7().to_string(),
            posts: args.posts,
            votes: args.votes,
        },
    ];
    let seeding = Instant::now();
    for f in &fixtures {
        eprintln!("seeding {}: {} posts, {} votes", f.name, f.posts, f.votes);
        seed(&pool, f)
            .await
            .with_context(|| format!("seeding {}", f.name))?;
    }
    let seed_secs = seeding.elapsed().as_secs_f64();

    // Hot ranks by the job `serve` runs, timed: it is part of what a large feed costs.
    sqlx::any::install_default_drivers();
    let any = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(scratch.url())
        .await
        .context("opening the read-model pool")?;
    let refreshing = Instant::now();
    let refreshed = refresh_hot_ranks(&any, chrono::Utc::now()).await?;
    let refresh_secs = refreshing.elapsed().as_secs_f64();
    any.close().await;
    pool.execute("VACUUM ANALYZE communities_posts").await?;

    let mut series = Vec::new();
    let mut plans = Vec::new();
    for sort in ["hot", "new"] {
        for f in &fixtures {
            let (deep_cursor, plan) = deep_cursor(&pool, f, sort, args.limit).await?;
            if f.label == "large" {
                plans.push((format!("{sort}, {} posts, page 90% deep", f.posts), plan));
            }
            series.push(Series {
                fixture: f.clone(),
                sort,
                deep_cursor,
                walk: None,
                first: histogram()?,
                next: histogram()?,
                deep: histogram()?,
                all: histogram()?,
            });
        }
    }
    pool.close().await;

    let running = platform.start(&flags, Vec::new()).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::new();
    eprintln!(
        "timing {} requests per series ({} series, interleaved) after {} untimed",
        args.requests,
        series.len(),
        args.warmup
    );
    let timed = Instant::now();
    let outcome = request_all(args, &client, &base, &mut series).await;
    let timed_secs = timed.elapsed().as_secs_f64();
    running.shutdown.cancel();
    let _ = std::fs::remove_dir_all(&data_dir);
    outcome?;

    let environment = vec![
        format!(
            "PostgreSQL {server}; {} cores",
            std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
        ),
        format!(
            "fixture: small = {} posts / {} votes, large = {} posts / {} votes, seeded in {seed_secs:.1} s",
            fixtures[0].posts, fixtures[0].votes, fixtures[1].posts, fixtures[1].votes
        ),
        format!(
            "hot-rank refresh job: {} posts younger than 7 days recomputed, {} older set to 0, in {refresh_secs:.2} s",
            refreshed.recomputed, refreshed.expired
        ),
        format!(
            "{} timed GET requests per series, sequential, one client over loopback HTTP, page size {}; {timed_secs:.1} s in all",
            args.requests, args.limit
        ),
    ];
    Ok(Report {
        environment,
        series,
        plans,
    })
}
