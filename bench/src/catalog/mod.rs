//! `agora bench-catalog`: catalog search and facets at each `--products` size, on SQLite and
//! on PostgreSQL, with a raw indexed read of the same table as the baseline, in one run.
//!
//! Each (store, size) gets a database of its own, seeded directly (see `seed`), and the
//! queries are the read model's own functions (`list_products` and `variants_of`, as
//! `GET /products` runs them, then `facets`) on a read pool like `serve`'s: what the database
//! costs, without HTTP. Requests are interleaved over every (store, size) so all see the same
//! machine.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;
use hdrhistogram::Histogram;
use merchandise::projections::{
    CatalogProjection, ListingQuery, Sort, facets, list_products, variants_of,
};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::scratch::ScratchDb;

mod report;
mod seed;

#[derive(Debug, Clone, Args)]
pub struct BenchCatalogArgs {
    /// Admin database URL (PostgreSQL): a scratch database per size is created on its server
    /// and dropped at the end.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,

    /// Catalog sizes (products) to measure; repeat for several (`--products 10000 --products
    /// 1000000`): the first is the baseline of the ratios.
    #[arg(long, default_values_t = [10_000_u64])]
    pub products: Vec<u64>,

    /// Stores to measure: `sqlite`, `postgres` (repeat for both; default both).
    #[arg(long, default_values_t = ["sqlite".to_owned(), "postgres".to_owned()])]
    pub store: Vec<String>,

    /// Timed requests per (store, size, query).
    #[arg(long, default_value_t = 300)]
    pub requests: u64,

    /// Untimed requests per (store, size, query) first.
    #[arg(long, default_value_t = 30)]
    pub warmup: u64,

    /// Also write the results as markdown to this file.
    #[arg(long)]
    pub markdown: Option<PathBuf>,

    /// Keep the scratch databases (PostgreSQL's names and SQLite's directory are printed), to
    /// look at plans.
    #[arg(long)]
    pub keep: bool,
}

/// Makes one query of the series.
type MakeQuery = fn() -> ListingQuery;

/// The queries, named as `GET /products` query strings would say them.
const QUERIES: &[(&str, MakeQuery)] = &[
    ("browse (newest)", ListingQuery::default),
    ("category + price_asc", || ListingQuery {
        category: Some("cat7".into()),
        sort: Some(Sort::PriceAsc),
        ..ListingQuery::default()
    }),
    ("in_stock + newest", || ListingQuery {
        in_stock: true,
        ..ListingQuery::default()
    }),
    ("q=zephyr (100 matches)", || ListingQuery {
        text: Some("zephyr".into()),
        ..ListingQuery::default()
    }),
    ("q=w17 (1/97 of all)", || ListingQuery {
        text: Some("w17".into()),
        ..ListingQuery::default()
    }),
    ("price 10.00-24.99", || ListingQuery {
        min_price: Some(1_000),
        max_price: Some(2_499),
        ..ListingQuery::default()
    }),
];

/// The raw baseline: the newest page's ids straight from its index, no join, no facets.
const RAW: &str = "SELECT id FROM merchandise_catalog WHERE status = 'active' \
                   ORDER BY created_at DESC, id DESC LIMIT 21";

/// One (store, size) under test.
struct Target {
    store: String,
    products: u64,
    pool: AnyPool,
    seed_secs: f64,
    /// Per query: search, facets; then the raw baseline.
    search: Vec<Histogram<u64>>,
    facets: Vec<Histogram<u64>>,
    raw: Histogram<u64>,
}

pub(crate) struct Report {
    environment: Vec<String>,
    targets: Vec<Target>,
}

fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

/// # Errors
/// A database cannot be created or seeded, or a query fails.
pub async fn run(args: BenchCatalogArgs) -> Result<()> {
    if args.products.is_empty() || args.products.contains(&0) || args.requests == 0 {
        bail!("--products and --requests must be at least 1");
    }
    if let Some(bad) = args
        .store
        .iter()
        .find(|s| !matches!(s.as_str(), "sqlite" | "postgres"))
    {
        bail!("unknown --store {bad}: use sqlite or postgres");
    }
    sqlx::any::install_default_drivers();
    let mut scratches = Vec::new();
    let dir = std::env::temp_dir().join(format!("agora-bench-catalog-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let outcome = measure(&args, &dir, &mut scratches).await;
    for scratch in scratches {
        if args.keep {
            eprintln!("kept scratch database {}", scratch.name());
        } else {
            scratch.drop_db().await?;
        }
    }
    if args.keep {
        eprintln!("kept SQLite databases in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = outcome?;
    print!("\n{}", report.text());
    if let Some(path) = &args.markdown {
        tokio::fs::write(path, report.markdown())
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("markdown written to {}", path.display());
    }
    Ok(())
}

async fn measure(
    args: &BenchCatalogArgs,
    dir: &std::path::Path,
    scratches: &mut Vec<ScratchDb>,
) -> Result<Report> {
    let mut targets = Vec::new();
    for store in &args.store {
        for &products in &args.products {
            let url = if store == "postgres" {
                let scratch = ScratchDb::create(&args.database_url).await?;
                let url = scratch.url().to_owned();
                scratches.push(scratch);
                url
            } else {
                format!("sqlite://{}/catalog-{products}.db?mode=rwc", dir.display())
            };
            let pool = sqlx::any::AnyPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .with_context(|| format!("opening {store}"))?;
            projections::create_schema(&CatalogProjection, &pool).await?;
            eprintln!("seeding {store}: {products} products");
            let started = Instant::now();
            seed::seed(&pool, products).await?;
            let seed_secs = started.elapsed().as_secs_f64();
            eprintln!("  seeded in {seed_secs:.1} s");
            targets.push(Target {
                store: store.clone(),
                products,
                pool,
                seed_secs,
                search: QUERIES.iter().map(|_| histogram()).collect::<Result<_>>()?,
                facets: QUERIES.iter().map(|_| histogram()).collect::<Result<_>>()?,
                raw: histogram()?,
            });
        }
    }
    eprintln!(
        "timing {} requests per (store, size, query), interleaved, after {} untimed",
        args.requests, args.warmup
    );
    for round in 0..args.warmup + args.requests {
        let timed = round >= args.warmup;
        for t in &mut targets {
            for (i, (_, make)) in QUERIES.iter().enumerate() {
                let mut query = make();
                query.limit = 20;
                let started = Instant::now();
                let page = list_products(&t.pool, &query).await?;
                let ids: Vec<String> = page.items.iter().map(|p| p.id.clone()).collect();
                variants_of(&t.pool, &ids).await?;
                let searched = started.elapsed();
                let started = Instant::now();
                facets(&t.pool, &query).await?;
                let counted = started.elapsed();
                if timed {
                    t.search[i].record(micros(searched))?;
                    t.facets[i].record(micros(counted))?;
                }
            }
            let started = Instant::now();
            sqlx::query(RAW).fetch_all(&t.pool).await?;
            if timed {
                t.raw.record(micros(started.elapsed()))?;
            }
        }
    }
    let environment = vec![format!(
        "{} cores; one sequential client per query on a pool of 2; page size 20; {} timed requests per series after {} untimed",
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        args.requests,
        args.warmup,
    )];
    for t in &targets {
        t.pool.close().await;
    }
    Ok(Report {
        environment,
        targets,
    })
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}
