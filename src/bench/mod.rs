//! `agora bench`: PostgreSQL event-store append rates beside the rate of equivalent plain
//! INSERTs measured in the same run, in the same scratch database.
//!
//! Each store measurement is paired with a baseline of the same row shape, writers and duration
//! that runs just before it, both on freshly emptied tables after a checkpoint, so table size,
//! cache state and whatever else the machine is doing weigh on both sides alike. BENCHMARKS.md
//! explains the figures.

mod pgbench;
mod report;
mod scratch;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use sqlx::{Executor, PgConnection};

use self::pgbench::Pgbench;
use self::report::{Environment, Report, Row, Scenario};
use self::scratch::ScratchDb;
use self::workload::{Sample, Target, Timing};

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Admin database URL. The benchmark creates a scratch database on this server and drops it
    /// at the end.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,

    /// Length of each measurement, in seconds.
    #[arg(long, env = "AGORA_BENCH_SECONDS", default_value_t = 10)]
    pub seconds: u64,

    /// Untimed run before each measurement (connections, prepared statements), in seconds.
    #[arg(long, env = "AGORA_BENCH_WARMUP_SECONDS", default_value_t = 1)]
    pub warmup_seconds: u64,

    /// Concurrent writers of single-event appends, one stream each (comma-separated list).
    #[arg(
        long,
        env = "AGORA_BENCH_WRITERS",
        value_delimiter = ',',
        default_value = "1,16,64"
    )]
    pub writers: Vec<usize>,

    /// Events per batch append.
    #[arg(long, env = "AGORA_BENCH_BATCH_SIZE", default_value_t = 100)]
    pub batch_size: usize,

    /// Concurrent writers of batch appends, one stream each (comma-separated list).
    #[arg(
        long,
        env = "AGORA_BENCH_BATCH_WRITERS",
        value_delimiter = ',',
        default_value = "1,16"
    )]
    pub batch_writers: Vec<usize>,

    /// Also write the results as markdown to this file.
    #[arg(long, env = "AGORA_BENCH_MARKDOWN")]
    pub markdown: Option<PathBuf>,

    /// Skip the pgbench reference.
    #[arg(long, env = "AGORA_BENCH_NO_PGBENCH")]
    pub no_pgbench: bool,

    /// The pgbench executable.
    #[arg(long, env = "AGORA_BENCH_PGBENCH", default_value = "pgbench")]
    pub pgbench: PathBuf,
}

/// # Errors
/// The server is unreachable, the scratch database cannot be created, or a write fails.
pub async fn run(args: BenchArgs) -> Result<()> {
    validate(&args)?;
    let scratch = ScratchDb::create(&args.database_url).await?;
    eprintln!("scratch database {}", scratch.name());
    let interrupted = async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => {}
            // Without a handler Ctrl-C kills the process as usual (leaving the scratch database).
            Err(_) => std::future::pending().await,
        }
    };
    let outcome = tokio::select! {
        outcome = measure_all(&args, &scratch) => outcome,
        () = interrupted => Err(anyhow!("interrupted")),
    };
    let name = scratch.name().to_owned();
    let dropped = scratch.drop_db().await;
    let report = match (outcome, dropped) {
        (Ok(report), Ok(())) => report,
        (Ok(_), Err(e)) => return Err(e),
        (Err(e), Ok(())) => return Err(e),
        (Err(e), Err(drop_error)) => {
            eprintln!("warning: scratch database {name} was not dropped: {drop_error:#}");
            return Err(e);
        }
    };
    print!("\n{}", report.text());
    if let Some(path) = &args.markdown {
        tokio::fs::write(path, report.markdown())
            .await
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("markdown written to {}", path.display());
    }
    Ok(())
}

fn validate(args: &BenchArgs) -> Result<()> {
    if args.seconds == 0 {
        bail!("--seconds must be at least 1");
    }
    if args.batch_size == 0 {
        bail!("--batch-size must be at least 1");
    }
    if args
        .writers
        .iter()
        .chain(&args.batch_writers)
        .any(|&w| w == 0)
    {
        bail!("writer counts must be at least 1");
    }
    Ok(())
}

/// Everything measured on one side of a pair.
#[derive(Debug, Clone, Copy)]
enum Side {
    Store,
    Raw,
}

async fn measure_all(args: &BenchArgs, scratch: &ScratchDb) -> Result<Report> {
    let started = chrono::Utc::now();
    let load_before = load_average().await;
    let mut control = scratch.connect().await?;
    let setup = scratch.pool(1).await?;
    infrastructure::postgres::migrate(&setup)
        .await
        .context("migrating the scratch database")?;
    setup.close().await;
    // LIKE ... INCLUDING ALL copies defaults, identity, constraints and indexes, so the baseline
    // maintains exactly the indexes an append does.
    control
        .execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
        .await
        .context("creating raw_events")?;
    let (server, settings) = server_info(&mut control).await?;
    eprintln!("{server}; {settings}");

    let pgbench = if args.no_pgbench {
        None
    } else {
        Pgbench::prepare(&args.pgbench, scratch.url()).await?
    };
    let timing = Timing {
        warmup: Duration::from_secs(args.warmup_seconds),
        duration: Duration::from_secs(args.seconds),
    };
    let per_single = if pgbench.is_some() { 3 } else { 2 };
    let steps = args.writers.len() * per_single + args.batch_writers.len() * 2;
    let mut progress = Progress { done: 0, steps };

    let mut rows = Vec::new();
    let scenarios = args.writers.iter().map(|&w| (Scenario::Single, w)).chain(
        args.batch_writers
            .iter()
            .map(|&w| (Scenario::Batch(args.batch_size), w)),
    );
    for (scenario, writers) in scenarios {
        let batch = match scenario {
            Scenario::Single => 1,
            Scenario::Batch(n) => n,
        };
        let raw = measure_side(
            scratch,
            &mut control,
            &mut progress,
            Side::Raw,
            scenario,
            writers,
            batch,
            timing,
        )
        .await?;
        let store = measure_side(
            scratch,
            &mut control,
            &mut progress,
            Side::Store,
            scenario,
            writers,
            batch,
            timing,
        )
        .await?;
        let pgbench_rate = match (&pgbench, scenario) {
            (Some(pgbench), Scenario::Single) => {
                reset(&mut control).await?;
                progress.start(
                    &format!("pgbench single-row INSERT, {writers} clients"),
                    timing,
                );
                let rate = pgbench
                    .run(writers, args.seconds)
                    .await
                    .with_context(|| format!("pgbench with {writers} clients"))?;
                eprintln!("    {rate:.0} rows/s");
                Some(rate)
            }
            _ => None,
        };
        rows.push(Row {
            scenario,
            writers,
            store,
            raw,
            pgbench: pgbench_rate,
        });
    }
    let _ = sqlx::Connection::close(control).await;
    Ok(Report {
        environment: Environment {
            server,
            settings,
            cores: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
            seconds: args.seconds,
            warmup_seconds: args.warmup_seconds,
            load_before,
            load_after: load_average().await,
            started,
        },
        rows,
    })
}

#[derive(Debug)]
struct Progress {
    done: usize,
    steps: usize,
}

impl Progress {
    fn start(&mut self, what: &str, timing: Timing) {
        self.done += 1;
        eprintln!(
            "[{}/{}] {what} ({} s + {} s warm-up)",
            self.done,
            self.steps,
            timing.duration.as_secs(),
            timing.warmup.as_secs()
        );
    }
}

#[allow(clippy::too_many_arguments)]
async fn measure_side(
    scratch: &ScratchDb,
    control: &mut PgConnection,
    progress: &mut Progress,
    side: Side,
    scenario: Scenario,
    writers: usize,
    batch: usize,
    timing: Timing,
) -> Result<Sample> {
    let what = match (side, scenario) {
        (Side::Store, Scenario::Single) => "store single-event appends".to_owned(),
        (Side::Raw, Scenario::Single) => "raw single-row INSERT".to_owned(),
        (Side::Store, Scenario::Batch(n)) => format!("store {n}-event batch appends"),
        (Side::Raw, Scenario::Batch(n)) => format!("raw {n}-row INSERT"),
    };
    reset(control).await?;
    progress.start(&format!("{what}, {writers} writers"), timing);
    // A pool per measurement, closed afterwards: idle connections of a 64-writer run plus 64
    // pgbench clients would exceed a default max_connections of 100.
    let size = u32::try_from(writers + 4).context("too many writers")?;
    let pool = scratch.pool(size).await?;
    let target = match side {
        Side::Store => Target::Store(infrastructure::postgres::PgEventStore::new(pool.clone())),
        Side::Raw => Target::Raw(pool.clone()),
    };
    let sample = workload::measure(target, writers, batch, timing)
        .await
        .with_context(|| format!("{what}, {writers} writers"));
    // The store's LISTEN task still holds a connection until its abort is processed; a pool
    // that does not close in time is left for DROP DATABASE ... WITH (FORCE).
    if tokio::time::timeout(Duration::from_secs(10), pool.close())
        .await
        .is_err()
    {
        eprintln!("    note: the pool did not close within 10 s");
    }
    let sample = sample?;
    eprintln!(
        "    {:.0} events/s, p50 {:.2} ms, p99 {:.2} ms",
        sample.rows_per_second(),
        sample.quantile_ms(0.5),
        sample.quantile_ms(0.99)
    );
    Ok(sample)
}

/// Empties both tables and checkpoints, so each measurement starts from the same state: no
/// rows, no dirty buffers, and no checkpoint due from the previous one's WAL.
async fn reset(control: &mut PgConnection) -> Result<()> {
    control
        .execute("TRUNCATE events, raw_events RESTART IDENTITY")
        .await
        .context("emptying the tables")?;
    if let Err(e) = control.execute("CHECKPOINT").await {
        // Needs superuser or pg_checkpoint; the figures are only somewhat noisier without it.
        eprintln!("    note: CHECKPOINT failed ({e}); continuing without");
    }
    Ok(())
}

async fn server_info(control: &mut PgConnection) -> Result<(String, String)> {
    let (version, fsync, sync_commit, wal_sync, shared_buffers): (
        String,
        String,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT current_setting('server_version'), current_setting('fsync'), \
         current_setting('synchronous_commit'), current_setting('wal_sync_method'), \
         current_setting('shared_buffers')",
    )
    .fetch_one(&mut *control)
    .await
    .context("reading server settings")?;
    Ok((
        format!("PostgreSQL {version}"),
        format!(
            "fsync={fsync}, synchronous_commit={sync_commit}, wal_sync_method={wal_sync}, \
             shared_buffers={shared_buffers}"
        ),
    ))
}

/// The 1/5/15-minute load averages (Linux), to show whether something else was running.
async fn load_average() -> Option<String> {
    let text = tokio::fs::read_to_string("/proc/loadavg").await.ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
