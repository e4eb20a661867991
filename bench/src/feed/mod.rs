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

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Args;
use communities::projections::{PageCursor, SortKey, refresh_hot_ranks};
use hdrhistogram::Histogram;
use sqlx::{Executor as _, PgPool, Row as _};
use uuid::Uuid;

use super::scratch::ScratchDb;
use crate::app::{self, Settings};
use crate::cli::StorageArgs;

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

/// # Errors
/// The server is unreachable, seeding fails, or a page request fails.
pub async fn run(args: BenchFeedArgs) -> Result<()> {
    if args.posts == 0 || args.small_posts == 0 || args.requests == 0 || args.limit == 0 {
        bail!("--posts, --small-posts, --requests and --limit must be at least 1");
    }
    let scratch = ScratchDb::create(&args.database_url).await?;
    eprintln!("scratch database {}", scratch.name());
    let outcome = measure(&args, &scratch).await;
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

async fn measure(args: &BenchFeedArgs, scratch: &ScratchDb) -> Result<Report> {
    let data_dir =
        std::env::temp_dir().join(format!("agora-bench-feed-{}", Uuid::now_v7().simple()));
    let mut settings = Settings::for_storage(StorageArgs {
        database_url: Some(scratch.url().to_owned()),
        data_dir: data_dir.clone(),
        db_pool_size: 8,
    })?;
    settings.contexts = vec![communities::CONTEXT.to_owned()];
    settings.read_wait = Duration::from_secs(1);
    settings.command_timeout = Duration::from_secs(10);
    settings.max_body_bytes = 64 * 1024;
    app::migrate(&settings)
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

    let running = app::start(&settings, SocketAddr::from(([127, 0, 0, 1], 0))).await?;
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

/// The community row, its posts spread over the last 30 days, and votes skewed to few posts
/// (a cube of a uniform draw): then each post's counters from its votes.
async fn seed(pool: &PgPool, f: &Fixture) -> Result<()> {
    sqlx::query(
        "INSERT INTO communities_directory (id, name, title, description, rules, visibility, \
         owner_id, member_count, created_at, updated_at, version) \
         VALUES ($1, $2, $2, 'benchmark community', '[]', 'public', $3, 0, $4, $4, 1)",
    )
    .bind(&f.id)
    .bind(&f.name)
    .bind(Uuid::now_v7().to_string())
    .bind(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    .execute(pool)
    .await?;
    let posts = i64::try_from(f.posts)?;
    sqlx::query(
        "INSERT INTO communities_posts (id, community_id, community_name, author_id, title, body, \
         revision, published_at, updated_at, version) \
         SELECT md5($1 || ':' || g)::uuid::text, $1, $2, md5('author:' || (g % 5000))::uuid::text, \
                'Post number ' || g, 'The body of a benchmark post.', 1, t, t, 1 \
         FROM (SELECT g, to_char((now() AT TIME ZONE 'UTC') - random() * interval '30 days', \
                                 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS t \
               FROM generate_series(1, $3::bigint) g) s",
    )
    .bind(&f.id)
    .bind(&f.name)
    .bind(posts)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO communities_post_votes (post_id, voter_id, value, version) \
         SELECT md5($1 || ':' || (1 + floor($2::bigint * power(random(), 3)))::bigint)::uuid::text, \
                md5('voter:' || $1 || ':' || v)::uuid::text, \
                CASE WHEN random() < 0.75 THEN 1 ELSE -1 END, 1 \
         FROM generate_series(1, $3::bigint) v",
    )
    .bind(&f.id)
    .bind(posts)
    .bind(i64::try_from(f.votes)?)
    .execute(pool)
    .await?;
    sqlx::query(
        "UPDATE communities_posts p SET score = v.score, ups = v.ups, downs = v.downs, \
         controversy_rank = CASE WHEN v.ups > 0 AND v.downs > 0 \
             THEN power((v.ups + v.downs)::float8, LEAST(v.ups, v.downs)::float8 / GREATEST(v.ups, v.downs)) \
             ELSE 0 END \
         FROM (SELECT post_id, SUM(value) AS score, COUNT(*) FILTER (WHERE value = 1) AS ups, \
                      COUNT(*) FILTER (WHERE value = -1) AS downs \
               FROM communities_post_votes WHERE post_id IN \
                   (SELECT id FROM communities_posts WHERE community_id = $1) \
               GROUP BY post_id) v \
         WHERE p.id = v.post_id",
    )
    .bind(&f.id)
    .execute(pool)
    .await?;
    Ok(())
}

/// A cursor that starts a page 90% into the feed, and the plan of that page's query.
async fn deep_cursor(
    pool: &PgPool,
    f: &Fixture,
    sort: &'static str,
    limit: u32,
) -> Result<(String, String)> {
    let column = if sort == "hot" {
        "hot_rank"
    } else {
        "published_at"
    };
    let offset = i64::try_from(f.posts * 9 / 10)?;
    let row = sqlx::query(&format!(
        "SELECT {column}::text AS key, id FROM communities_posts \
         WHERE community_id = $1 AND removed = 0 AND deleted = 0 \
         ORDER BY {column} DESC, id DESC OFFSET $2 LIMIT 1"
    ))
    .bind(&f.id)
    .bind(offset)
    .fetch_one(pool)
    .await?;
    let key_text: String = row.try_get("key")?;
    let id: String = row.try_get("id")?;
    let key = if sort == "hot" {
        SortKey::Float(key_text.parse().context("hot rank")?)
    } else {
        SortKey::Text(key_text.clone())
    };
    let literal = if sort == "hot" {
        format!("{key_text}::float8")
    } else {
        format!("'{key_text}'")
    };
    let plan_rows = sqlx::query(&format!(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM communities_posts \
         WHERE community_id = '{}' AND removed = 0 AND deleted = 0 AND ({column}, id) < ({literal}, '{id}') \
         ORDER BY {column} DESC, id DESC LIMIT {}",
        f.id,
        limit + 1
    ))
    .fetch_all(pool)
    .await?;
    let mut plan = String::new();
    for r in plan_rows {
        let line: String = r.try_get(0)?;
        plan.push_str(&line);
        plan.push('\n');
    }
    let cursor = PageCursor {
        sort: sort.to_owned(),
        key,
        id,
    };
    Ok((cursor.encode(), plan))
}

async fn request_all(
    args: &BenchFeedArgs,
    client: &reqwest::Client,
    base: &str,
    series: &mut [Series],
) -> Result<()> {
    for i in 0..args.warmup + args.requests {
        let timed = i >= args.warmup;
        for s in series.iter_mut() {
            let page = |cursor: Option<&str>| {
                let mut url = format!(
                    "{base}/api/v1/communities/{}/posts?sort={}&limit={}",
                    s.fixture.name, s.sort, args.limit
                );
                if let Some(c) = cursor {
                    let _ = write!(url, "&cursor={c}");
                }
                url
            };
            let (url, kind) = match i % 3 {
                0 => (page(None), 0),
                1 => {
                    let cursor = match &s.walk {
                        Some((cursor, pages)) if *pages < WALK_PAGES => cursor.clone(),
                        _ => {
                            let first = get(client, &page(None), args.limit).await?.1;
                            s.walk = first.clone().map(|c| (c, 1));
                            first.context("the first page has no next cursor")?
                        }
                    };
                    (page(Some(&cursor)), 1)
                }
                _ => (page(Some(&s.deep_cursor)), 2),
            };
            let (micros, next) = get(client, &url, if kind == 2 { 1 } else { args.limit }).await?;
            if kind == 1 {
                let pages = s.walk.as_ref().map_or(1, |(_, p)| *p);
                s.walk = next.map(|c| (c, pages + 1));
            }
            if timed {
                let h = match kind {
                    0 => &mut s.first,
                    1 => &mut s.next,
                    _ => &mut s.deep,
                };
                h.record(micros)?;
                s.all.record(micros)?;
            }
        }
    }
    Ok(())
}

/// One page: the time to its last byte, in microseconds, and its next cursor. Fails on any
/// status but 200 or a page with fewer than `at_least` posts.
async fn get(client: &reqwest::Client, url: &str, at_least: u32) -> Result<(u64, Option<String>)> {
    let started = Instant::now();
    let response = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    let body = response.bytes().await?;
    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if status != reqwest::StatusCode::OK {
        bail!("GET {url}: {status}: {}", String::from_utf8_lossy(&body));
    }
    let page: serde_json::Value = serde_json::from_slice(&body).context("page is not JSON")?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    if items < at_least as usize {
        bail!("GET {url}: {items} posts, expected at least {at_least}");
    }
    Ok((micros, page["next_cursor"].as_str().map(str::to_owned)))
}

fn ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0)
}

const HEADERS: [&str; 10] = [
    "series",
    "posts",
    "first p50",
    "first p99",
    "next p50",
    "next p99",
    "90% deep p50",
    "90% deep p99",
    "all p50",
    "all p99",
];

impl Report {
    fn rows(&self) -> Vec<[String; 10]> {
        self.series
            .iter()
            .map(|s| {
                [
                    format!("{} {}", s.sort, s.fixture.label),
                    s.fixture.posts.to_string(),
                    ms(&s.first, 0.5),
                    ms(&s.first, 0.99),
                    ms(&s.next, 0.5),
                    ms(&s.next, 0.99),
                    ms(&s.deep, 0.5),
                    ms(&s.deep, 0.99),
                    ms(&s.all, 0.5),
                    ms(&s.all, 0.99),
                ]
            })
            .collect()
    }

    /// Large over small, per sort, at p50 and p99 of all requests; the goal is 1.5x at most.
    fn ratios(&self) -> Vec<String> {
        let mut out = Vec::new();
        for sort in ["hot", "new"] {
            let of = |label: &str| {
                self.series
                    .iter()
                    .find(|s| s.sort == sort && s.fixture.label == label)
            };
            if let (Some(small), Some(large)) = (of("small"), of("large")) {
                let ratio = |q: f64| {
                    large.all.value_at_quantile(q) as f64
                        / small.all.value_at_quantile(q).max(1) as f64
                };
                let (p50, p99) = (ratio(0.5), ratio(0.99));
                let verdict = if p50 <= 1.5 && p99 <= 1.5 {
                    "met"
                } else {
                    "not met"
                };
                out.push(format!(
                    "{sort}: large/small = {p50:.2}x at p50, {p99:.2}x at p99 (goal: within 1.5x: {verdict})"
                ));
            }
        }
        out
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for l in &self.environment {
            let _ = writeln!(out, "{l}");
        }
        let rows = self.rows();
        let mut widths = HEADERS.map(str::len);
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.len());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
                if i == 0 {
                    let _ = write!(l, "{c:<w$}");
                } else {
                    let _ = write!(l, "  {c:>w$}");
                }
            }
            l.push('\n');
            l
        };
        out.push('\n');
        out.push_str(&line(&HEADERS.map(str::to_owned)));
        for r in &rows {
            out.push_str(&line(r));
        }
        out.push_str("\nlatency in ms, to the last byte of the response\n");
        for r in self.ratios() {
            let _ = writeln!(out, "{r}");
        }
        for (what, plan) in &self.plans {
            let _ = write!(out, "\nplan ({what}):\n{plan}");
        }
        out
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        for l in &self.environment {
            let _ = writeln!(out, "- {l}");
        }
        out.push('\n');
        let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
        let align: Vec<&str> = (0..HEADERS.len())
            .map(|i| if i == 0 { ":---" } else { "---:" })
            .collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for r in self.rows() {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        out.push_str("\nLatency in ms, to the last byte of the response.\n\n");
        for r in self.ratios() {
            let _ = writeln!(out, "- {r}");
        }
        for (what, plan) in &self.plans {
            let _ = write!(out, "\nPlan ({what}):\n\n```\n{plan}```\n");
        }
        out
    }
}
