//! `agora bench-recommendations`: "listeners of this show also subscribe to" and a user's
//! recommendations as the user count grows (1k, 10k, 100k users), on SQLite and PostgreSQL,
//! with the cost of one subscription event's incremental update and a raw index read as the
//! baseline.
//!
//! Each (store, size) gets a database of its own. Subscriptions are seeded with set-based SQL
//! (`--subscriptions-per-user` per user over `--shows` shows, skewed: show `floor(S * r^2)` for
//! a uniform `r`, so a few shows are very popular), and the co-occurrence table is then built
//! from them in one `INSERT ... SELECT ... GROUP BY`: the counts the projection keeps
//! incrementally (checked against the projection event by event at the smallest size). The
//! reads are the read model's own functions, as the routes run them:
//! - `similar (first page)`: the most popular show's 20 neighbours;
//! - `similar (page 6)`: the same after five pages of cursor;
//! - `me/recommendations`: a user's ranked list (20 recent items x 50 neighbours, merged);
//! - `raw index read`: the neighbours' ids straight from the index, no join;
//!
//! and the write:
//! - `update per event`: a subscription of a user with `k` subscriptions applied by the
//!   projection in its own transaction (2k pair rows).

use std::time::Instant;

use anyhow::{Context, Result, bail};
use chrono::{TimeZone, Utc};
use clap::Args;
use event_schemas::podcasts::{ShowId, ShowSubscribed, SubscriptionEvent};
use hdrhistogram::Histogram;
use projections::Projection;
use recommendations::projections::{
    CoPurchasesProjection, CoSubscriptionsProjection, recommendations_for, similar_shows,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Cursor, DomainEvent, EventMetadata, Recorded, StreamId};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::scratch::ScratchDb;

#[derive(Debug, Clone, Args)]
pub struct BenchRecommendationsArgs {
    /// Admin database URL (PostgreSQL): a scratch database per size, dropped at the end.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,

    /// User counts to measure (repeat for several; the first is the baseline of the ratios).
    #[arg(long, default_values_t = [1_000_u64, 10_000, 100_000])]
    pub users: Vec<u64>,

    /// Shows the users subscribe to.
    #[arg(long, default_value_t = 2_000)]
    pub shows: u64,

    /// Subscriptions per user.
    #[arg(long, default_value_t = 10)]
    pub subscriptions_per_user: u64,

    /// Stores to measure: `sqlite`, `postgres` (repeat for both; default both).
    #[arg(long, default_values_t = ["sqlite".to_owned(), "postgres".to_owned()])]
    pub store: Vec<String>,

    /// Timed requests per (store, size, series).
    #[arg(long, default_value_t = 300)]
    pub requests: u64,

    /// Untimed requests per (store, size, series) first.
    #[arg(long, default_value_t = 30)]
    pub warmup: u64,
}

const SERIES: &[&str] = &[
    "similar (first page)",
    "similar (page 6)",
    "me/recommendations",
    "raw index read",
    "update per event",
];

struct Target {
    store: String,
    users: u64,
    pool: AnyPool,
    pairs: i64,
    seed_secs: f64,
    hot_show: String,
    deep_cursor: Option<(i64, String)>,
    histograms: Vec<Histogram<u64>>,
    next_user: u64,
}

/// Show number `n`'s id (UUID-shaped, sorting with `n`).
fn show_id(n: u64) -> String {
    format!("{n:08x}-0000-7000-8000-{n:012x}")
}

fn user_id(n: u64) -> String {
    format!("{n:08x}-0000-7000-9000-{n:012x}")
}

/// A deterministic generator (xorshift64*), so every run seeds the same subscriptions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (x >> 11) as f64 / (1_u64 << 53) as f64
    }
}

/// The `k` distinct shows of user `u`, skewed towards the low numbers.
fn shows_of(u: u64, k: u64, shows: u64) -> Vec<u64> {
    let mut rng = Rng(u.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut picked = Vec::new();
    while (picked.len() as u64) < k.min(shows) {
        let r = rng.next();
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let show = ((shows as f64) * r * r) as u64;
        if !picked.contains(&show) {
            picked.push(show);
        }
    }
    picked
}

async fn seed(pool: &AnyPool, args: &BenchRecommendationsArgs, users: u64) -> Result<()> {
    let mut tx = pool.begin().await?;
    for chunk in (0..args.shows).collect::<Vec<_>>().chunks(500) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, 0, 1)", 2 * i + 1, 2 * i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO recommendations_shows (show_id, title, deleted, version) VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for n in chunk {
            q = q.bind(show_id(*n)).bind(format!("Show {n}"));
        }
        q.execute(&mut *tx).await?;
    }
    let mut rows: Vec<(u64, u64)> = Vec::new();
    for u in 0..users {
        for s in shows_of(u, args.subscriptions_per_user, args.shows) {
            rows.push((u, s));
        }
    }
    for chunk in rows.chunks(1_000) {
        let marks: Vec<String> = (0..chunk.len())
            .map(|i| format!("(${}, ${}, 1, ${}, 1)", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO recommendations_user_shows (user_id, show_id, subscribed, since, version) VALUES {}",
            marks.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (u, s) in chunk {
            q = q
                .bind(user_id(*u))
                .bind(show_id(*s))
                .bind(format!("2026-01-01T00:00:{:02}.000000Z", s % 60));
        }
        q.execute(&mut *tx).await?;
    }
    sqlx::query(
        "INSERT INTO recommendations_show_pairs (show_id, other_id, users) \
         SELECT a.show_id, b.show_id, count(*) FROM recommendations_user_shows a \
         JOIN recommendations_user_shows b ON a.user_id = b.user_id AND a.show_id <> b.show_id \
         WHERE a.subscribed = 1 AND b.subscribed = 1 \
         GROUP BY a.show_id, b.show_id",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // Fresh statistics, as a long-running database has them.
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

fn subscribed(show: &str, user: &str, position: u64) -> Result<Recorded> {
    let show_id: ShowId = show.parse().context("show id")?;
    let user_id: UserId = user.parse().context("user id")?;
    let event = SubscriptionEvent::Subscribed(ShowSubscribed { show_id, user_id });
    Ok(Recorded {
        event_id: Uuid::now_v7(),
        stream_id: StreamId::of("subscription", format!("{show}_{user}")),
        stream_version: 1,
        position,
        cursor: Cursor::new(0, position),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data()?,
        metadata: EventMetadata::default(),
        recorded_at: Utc
            .timestamp_opt(1_790_000_000 + i64::try_from(position).unwrap_or(0), 0)
            .single()
            .unwrap_or_default(),
    })
}

/// Applies one subscription event in its own transaction, as a projector batch of one would.
async fn apply(pool: &AnyPool, event: &Recorded) -> Result<()> {
    let mut tx = pool.begin().await?;
    CoSubscriptionsProjection.apply(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// At the smallest size: the projection, fed every seeded subscription as events, keeps the
/// same counts as the set-based build.
async fn check_incremental(
    args: &BenchRecommendationsArgs,
    dir: &std::path::Path,
    users: u64,
) -> Result<()> {
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&format!("sqlite://{}/check.db?mode=rwc", dir.display()))
        .await?;
    projections::create_schema(&CoSubscriptionsProjection, &pool).await?;
    let mut position = 0;
    for u in 0..users.min(300) {
        for s in shows_of(u, args.subscriptions_per_user, args.shows) {
            position += 1;
            apply(&pool, &subscribed(&show_id(s), &user_id(u), position)?).await?;
        }
    }
    let incremental: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT show_id, other_id, users FROM recommendations_show_pairs WHERE users > 0 ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await?;
    sqlx::query("DELETE FROM recommendations_show_pairs")
        .execute(&pool)
        .await?;
    sqlx::query(
        "INSERT INTO recommendations_show_pairs (show_id, other_id, users) \
         SELECT a.show_id, b.show_id, count(*) FROM recommendations_user_shows a \
         JOIN recommendations_user_shows b ON a.user_id = b.user_id AND a.show_id <> b.show_id \
         GROUP BY a.show_id, b.show_id",
    )
    .execute(&pool)
    .await?;
    let batch: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT show_id, other_id, users FROM recommendations_show_pairs ORDER BY 1, 2",
    )
    .fetch_all(&pool)
    .await?;
    pool.close().await;
    if incremental != batch {
        bail!("the projection's incremental counts differ from the set-based build");
    }
    eprintln!(
        "checked: {} pair rows kept incrementally equal the set-based build",
        batch.len()
    );
    Ok(())
}

fn histogram() -> Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

fn micros(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1)
}

/// # Errors
/// A database cannot be created or seeded, or a query fails.
pub async fn run(args: BenchRecommendationsArgs) -> Result<()> {
    if args.users.is_empty() || args.users.contains(&0) || args.requests == 0 || args.shows < 2 {
        bail!("--users, --requests must be at least 1 and --shows at least 2");
    }
    sqlx::any::install_default_drivers();
    let dir = std::env::temp_dir().join(format!("agora-bench-recs-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir)?;
    let mut scratches = Vec::new();
    let outcome = measure(&args, &dir, &mut scratches).await;
    for scratch in scratches {
        scratch.drop_db().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    let targets = outcome?;
    print!("\n{}", report(&args, &targets));
    Ok(())
}

async fn measure(
    args: &BenchRecommendationsArgs,
    dir: &std::path::Path,
    scratches: &mut Vec<ScratchDb>,
) -> Result<Vec<Target>> {
    check_incremental(args, dir, args.users[0]).await?;
    let mut targets = Vec::new();
    for store in &args.store {
        for &users in &args.users {
            let url = match store.as_str() {
                "postgres" => {
                    let scratch = ScratchDb::create(&args.database_url).await?;
                    let url = scratch.url().to_owned();
                    scratches.push(scratch);
                    url
                }
                "sqlite" => format!("sqlite://{}/recs-{users}.db?mode=rwc", dir.display()),
                other => bail!("unknown --store {other}: use sqlite or postgres"),
            };
            let pool = sqlx::any::AnyPoolOptions::new()
                .max_connections(2)
                .connect(&url)
                .await
                .with_context(|| format!("opening {store}"))?;
            // Both read models' tables: a user's recommendations read purchases too (none here).
            projections::create_schema(&CoSubscriptionsProjection, &pool).await?;
            projections::create_schema(&CoPurchasesProjection, &pool).await?;
            eprintln!("seeding {store}: {users} users");
            let started = Instant::now();
            seed(&pool, args, users).await?;
            let seed_secs = started.elapsed().as_secs_f64();
            let pairs: i64 = sqlx::query_scalar("SELECT count(*) FROM recommendations_show_pairs")
                .fetch_one(&pool)
                .await?;
            eprintln!("  seeded in {seed_secs:.1} s: {pairs} pair rows");
            // The most popular show (number 0 under the skew) and its sixth page's cursor.
            let hot_show = show_id(0);
            let mut cursor = None;
            for _ in 0..5 {
                let page = similar_shows(&pool, &hot_show, cursor.clone(), 20).await?;
                cursor = page.last().map(|n| (n.score, n.id.clone()));
            }
            targets.push(Target {
                store: store.clone(),
                users,
                pool,
                pairs,
                seed_secs,
                hot_show,
                deep_cursor: cursor,
                histograms: SERIES.iter().map(|_| histogram()).collect::<Result<_>>()?,
                next_user: users,
            });
        }
    }
    eprintln!(
        "timing {} requests per (store, size, series), interleaved, after {} untimed",
        args.requests, args.warmup
    );
    let mut position = 1_000_000;
    for round in 0..args.warmup + args.requests {
        let timed = round >= args.warmup;
        for t in &mut targets {
            let mut times = Vec::with_capacity(SERIES.len());
            let started = Instant::now();
            similar_shows(&t.pool, &t.hot_show, None, 21).await?;
            times.push(started.elapsed());
            let started = Instant::now();
            similar_shows(&t.pool, &t.hot_show, t.deep_cursor.clone(), 21).await?;
            times.push(started.elapsed());
            let user = user_id(round % t.users);
            let started = Instant::now();
            recommendations_for(&t.pool, &user).await?;
            times.push(started.elapsed());
            let started = Instant::now();
            sqlx::query(
                "SELECT other_id, users FROM recommendations_show_pairs WHERE show_id = $1 \
                 ORDER BY users DESC, other_id DESC LIMIT 21",
            )
            .bind(t.hot_show.clone())
            .fetch_all(&t.pool)
            .await?;
            times.push(started.elapsed());
            // A new user's k-th subscription: k-1 others, so 2(k-1) pair rows.
            let newcomer = user_id(t.next_user);
            let picks = shows_of(t.next_user, args.subscriptions_per_user, args.shows);
            t.next_user += 1;
            let (last, first) = picks.split_last().context("no shows picked")?;
            for s in first {
                position += 1;
                apply(&t.pool, &subscribed(&show_id(*s), &newcomer, position)?).await?;
            }
            position += 1;
            let event = subscribed(&show_id(*last), &newcomer, position)?;
            let started = Instant::now();
            apply(&t.pool, &event).await?;
            times.push(started.elapsed());
            if timed {
                for (h, d) in t.histograms.iter_mut().zip(times) {
                    h.record(micros(d))?;
                }
            }
        }
    }
    for t in &targets {
        t.pool.close().await;
    }
    Ok(targets)
}

fn report(args: &BenchRecommendationsArgs, targets: &[Target]) -> String {
    let mut out = format!(
        "bench-recommendations: {} shows, {} subscriptions per user (skewed), page 20, \
         {} timed requests per series after {} untimed, one sequential client on a pool of 2, \
         {} cores\n\n",
        args.shows,
        args.subscriptions_per_user,
        args.requests,
        args.warmup,
        std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
    );
    out.push_str("| store | users | pair rows | seed s | series | p50 ms | p99 ms |\n");
    out.push_str("|---|---:|---:|---:|---|---:|---:|\n");
    for t in targets {
        for (name, h) in SERIES.iter().zip(&t.histograms) {
            out.push_str(&format!(
                "| {} | {} | {} | {:.1} | {name} | {:.3} | {:.3} |\n",
                t.store,
                t.users,
                t.pairs,
                t.seed_secs,
                h.value_at_quantile(0.5) as f64 / 1000.0,
                h.value_at_quantile(0.99) as f64 / 1000.0,
            ));
        }
    }
    out
}
