//! `agora bench`: PostgreSQL event-store append rates beside the rate of equivalent plain
//! INSERTs measured in the same run, in the same scratch database.
//!
//! Each store measurement is paired with a baseline of the same row shape, writers and duration,
//! starting from freshly emptied tables after a checkpoint. The pair's time is cut into slices
//! that alternate baseline and store (ABBA order), so table growth, checkpoints and whatever
//! else the machine is doing weigh on both sides alike. BENCHMARKS.md explains the figures.

mod pair;
mod pgbench;
mod report;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use sqlx::Executor;

use self::pair::{measure_pair, reset, server_info};
use self::pgbench::Pgbench;
use self::report::{Environment, Report, Row, Scenario};
use crate::scratch::ScratchDb;

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

    /// Slices each measurement is cut into, alternating baseline and store.
    #[arg(long, env = "AGORA_BENCH_SLICES", default_value_t = 5)]
    pub slices: u32,

    /// Concurrent writers of single-event appends, one stream each (comma-separated list; the
    /// flag without a value skips these scenarios).
    #[arg(
        long,
        env = "AGORA_BENCH_WRITERS",
        value_delimiter = ',',
        num_args = 0..,
        default_value = "1,16,64"
    )]
    pub writers: Vec<usize>,

    /// Events per batch append.
    #[arg(long, env = "AGORA_BENCH_BATCH_SIZE", default_value_t = 100)]
    pub batch_size: usize,

    /// Concurrent writers of batch appends, one stream each (comma-separated list; the flag
    /// without a value skips these scenarios).
    #[arg(
        long,
        env = "AGORA_BENCH_BATCH_WRITERS",
        value_delimiter = ',',
        num_args = 0..,
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
    if args.slices == 0 || args.seconds * 1000 / u64::from(args.slices) < 100 {
        bail!("--slices must be at least 1, and slices at least 100 ms long");
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

/// How long each side of a pair is measured.
#[derive(Debug, Clone, Copy)]
struct Timing {
    warmup: Duration,
    slice: Duration,
    slices: u32,
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
        slice: Duration::from_secs(args.seconds) / args.slices,
        slices: args.slices,
    };
    let per_single = if pgbench.is_some() { 2 } else { 1 };
    let steps = args.writers.len() * per_single + args.batch_writers.len();
    let mut step = 0;

    let mut rows = Vec::new();
    let scenarios = args.writers.iter().map(|&w| (Scenario::Single, w)).chain(
        args.batch_writers
            .iter()
            .map(|&w| (Scenario::Batch(args.batch_size), w)),
    );
    for (scenario, writers) in scenarios {
        step += 1;
        eprintln!(
            "[{step}/{steps}] {}, {}: raw INSERT vs store append, {} s each in {} alternating \
             slices, after {} s warm-up each",
            scenario_text(scenario),
            plural(writers, "writer"),
            args.seconds,
            timing.slices,
            args.warmup_seconds
        );
        let (raw, store) = measure_pair(scratch, &mut control, scenario, writers, timing)
            .await
            .with_context(|| {
                format!("{}, {}", scenario_text(scenario), plural(writers, "writer"))
            })?;
        let pgbench_rate = match (&pgbench, scenario) {
            (Some(pgbench), Scenario::Single) => {
                step += 1;
                reset(&mut control).await?;
                eprintln!(
                    "[{step}/{steps}] pgbench single-row INSERT, {}, {} s",
                    plural(writers, "client"),
                    args.seconds
                );
                let rate = pgbench
                    .run(writers, args.seconds)
                    .await
                    .with_context(|| format!("pgbench with {}", plural(writers, "client")))?;
                eprintln!("    pgbench {rate:.0} rows/s");
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
            slices: args.slices,
            warmup_seconds: args.warmup_seconds,
            load_before,
            load_after: load_average().await,
            started,
        },
        rows,
    })
}

fn scenario_text(scenario: Scenario) -> String {
    match scenario {
        Scenario::Single => "single-event appends".to_owned(),
        Scenario::Batch(n) => format!("{n}-event batch appends"),
    }
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
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
