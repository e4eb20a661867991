//! `agora events export|replay`: the log, or a range of it, to JSON Lines or Parquet files (for
//! DuckDB, pandas, Spark), and back into Kafka topics or into one read model. Both show an
//! `indicatif` progress bar (rate and ETA) on stderr and are resumable by cursor: each ends by
//! printing the cursor of its last event, and `--after` that cursor continues right after it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use analytics::cloudevents::Withheld;
use analytics::export::{self, ExportRange, Exported, Format, TypedParquet};
use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use infrastructure::database::{Database, PoolSizes};
use infrastructure::kafka::{KafkaConfig, KafkaPublisher};
use shared_kernel::{Cursor, EventFilter, EventStore, Recorded, StreamId, TypeMatch};

use crate::app::projections_for;
use crate::config::{ServeArgs, StorageArgs};

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Export a range of the log as CloudEvents: JSON Lines or Parquet, to a file or stdout.
    Export(Box<ExportArgs>),
    /// Replay a range of the log (or an export file) into Kafka topics or into one read model.
    Replay(Box<ReplayArgs>),
}

/// Which events: as `/api/v1/events` filters them.
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// Start after this event: a cursor as `/api/v1/events` and a previous run print it (or
    /// `<transaction>.<position>`). Default: the first event.
    #[arg(long)]
    pub after: Option<String>,
    /// Stop after this event (a cursor). Default: the newest event when the run starts.
    #[arg(long)]
    pub until: Option<String>,
    /// Events recorded at or after this instant (RFC 3339).
    #[arg(long)]
    pub from: Option<String>,
    /// Events recorded before this instant (RFC 3339).
    #[arg(long)]
    pub to: Option<String>,
    /// One UTC day (`YYYY-MM-DD`): `--from` its midnight, `--to` the next.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    pub day: Option<String>,
    /// Events of this context; repeat for several.
    #[arg(long)]
    pub context: Vec<String>,
    /// Events of this type, exact or a prefix ending in `*` or `.`; repeat for several.
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Events of this stream only.
    #[arg(long)]
    pub stream: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One CloudEvent per line (JSON).
    Jsonl,
    /// One row per event, a column per CloudEvents attribute, `data` as JSON text.
    Parquet,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// The file to write; `-` (the default) is stdout.
    #[arg(long, short, default_value = "-")]
    pub output: PathBuf,
    /// The format; by default from the output's extension (`.parquet`), else JSON Lines.
    #[arg(long)]
    pub format: Option<ExportFormat>,
    /// Also write one typed Parquet file per event type and version into this directory (a
    /// column per field of the event's data, typed from its JSON Schema).
    #[arg(long)]
    pub typed_dir: Option<PathBuf>,
    /// The server whose schema routes each event's `dataschema` names.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub schema_base_url: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReplayTarget {
    /// Each event to `<prefix>.<context>.events`, keyed by stream id, with the relay's
    /// CloudEvents headers (confidential data withheld).
    Kafka,
    /// Applied to one read model's tables (`--projection`); its checkpoint does not move.
    Projection,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub range: RangeArgs,
    /// Where the events go: `kafka` or `projection`.
    #[arg(long)]
    pub into: ReplayTarget,
    /// Replay this export file (JSON Lines or `.parquet`, as `events export` wrote it) instead
    /// of reading the store; the range's filters still apply.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Kafka bootstrap servers (`--into kafka`).
    #[arg(long, env = "AGORA_KAFKA_BROKERS")]
    pub kafka_brokers: Option<String>,
    /// First segment of every topic (`--into kafka`).
    #[arg(long, env = "AGORA_KAFKA_TOPIC_PREFIX", default_value = "agora")]
    pub kafka_topic_prefix: String,
    /// Partitions of each topic created (`--into kafka`).
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(i32).range(1..=10_000))]
    pub kafka_partitions: i32,
    /// The read model (`--into projection`), as `agora projections status` lists it.
    #[arg(long)]
    pub projection: Option<String>,
    /// The database whose read-model tables receive the events (`--into projection`); default
    /// the store's own. Use a scratch database: a projection `serve` runs there would see the
    /// events twice.
    #[arg(long)]
    pub read_database_url: Option<String>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

/// # Errors
/// Storage cannot be opened, a flag is unusable, or writing fails.
pub async fn run(command: EventsCommand) -> anyhow::Result<()> {
    match command {
        EventsCommand::Export(args) => export_command(args).await.map(|_| ()),
        EventsCommand::Replay(args) => replay_command(args).await.map(|_| ()),
    }
}

fn cursor_arg(text: &str) -> anyhow::Result<Cursor> {
    analytics::cursor::decode(text)
        .ok()
        .or_else(|| text.parse().ok())
        .with_context(|| format!("{text:?} is not a cursor"))
}

fn instant(name: &str, text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("--{name} must be an RFC 3339 time, got {text:?}"))
}

impl RangeArgs {
    /// The range these flags name (`until` left to the run: the head when it starts).
    ///
    /// # Errors
    /// A flag that does not parse.
    pub fn range(&self) -> anyhow::Result<ExportRange> {
        let (mut from, mut to) = (None, None);
        if let Some(day) = &self.day {
            let d = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .with_context(|| format!("--day must be YYYY-MM-DD, got {day:?}"))?;
            let midnight = d.and_hms_opt(0, 0, 0).context("midnight")?.and_utc();
            from = Some(midnight);
            to = Some(midnight + chrono::Duration::days(1));
        }
        if let Some(f) = &self.from {
            from = Some(instant("from", f)?);
        }
        if let Some(t) = &self.to {
            to = Some(instant("to", t)?);
        }
        let stream = self
            .stream
            .as_deref()
            .map(StreamId::parse)
            .transpose()
            .context("--stream must be a stream id")?;
        Ok(ExportRange {
            filter: EventFilter {
                contexts: self.context.clone(),
                types: self.types.iter().map(|t| TypeMatch::parse(t)).collect(),
                stream,
                from,
                to,
            },
            after: self
                .after
                .as_deref()
                .map(cursor_arg)
                .transpose()?
                .unwrap_or(Cursor::START),
            until: self.until.as_deref().map(cursor_arg).transpose()?,
        })
        .and_then(|range| {
            // An inverted range is a mistake, not an empty export.
            if let Some(until) = range.until {
                anyhow::ensure!(
                    until >= range.after,
                    "--until is before --after: nothing lies between them"
                );
            }
            if let (Some(from), Some(to)) = (range.filter.from, range.filter.to) {
                anyhow::ensure!(from < to, "--from must be before --to");
            }
            Ok(range)
        })
    }
}

async fn open(storage: &StorageArgs) -> anyhow::Result<Database> {
    Database::open(&storage.existing_url()?, PoolSizes { store: 4, read: 4 })
        .await
        .context("cannot open the database")
}

/// A progress bar over the positions from `after` to the head.
fn progress_bar(quiet: bool, after: Cursor, head: Cursor, verb: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(head.position.saturating_sub(after.position));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {percent}% of the log's positions, {human_pos}/{human_len} \
             ({per_sec}, ETA {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(verb.to_owned());
    bar
}

/// Runs an export; returns what it wrote.
///
/// # Errors
/// See [`run`].
pub async fn export_command(args: Box<ExportArgs>) -> anyhow::Result<Exported> {
    let database = open(&args.storage).await?;
    let mut range = args.range.range()?;
    let head = database.store.head().await?;
    range.until = Some(range.until.unwrap_or(head));
    let format = match args.format {
        Some(ExportFormat::Parquet) => Format::Parquet,
        Some(ExportFormat::Jsonl) => Format::JsonLines,
        None if args.output.extension().is_some_and(|e| e == "parquet") => Format::Parquet,
        None => Format::JsonLines,
    };
    // Before the output file is created, so a bad directory leaves no empty file behind.
    let typed = args
        .typed_dir
        .as_deref()
        .map(|dir| TypedParquet::new(dir, Withheld::default()))
        .transpose()?;
    let out: Box<dyn Write + Send> = if args.output == Path::new("-") {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::File::create(&args.output)
                .with_context(|| format!("cannot create {}", args.output.display()))?,
        )
    };
    let mut sinks = vec![export::sink(
        format,
        out,
        &args.schema_base_url,
        Withheld::default(),
    )?];
    if let Some(typed) = typed {
        sinks.push(Box::new(typed));
    }
    let bar = progress_bar(
        args.quiet,
        range.after,
        range.until.unwrap_or(head),
        "exporting",
    );
    let start = range.after;
    let started = Instant::now();
    // Ctrl-C or SIGTERM stops after the current page with whole files and a cursor to resume
    // from, instead of killing the process mid-line (a Parquet file without its footer is
    // unreadable).
    let stop = Arc::new(AtomicBool::new(false));
    let on_signal = tokio::spawn({
        let stop = Arc::clone(&stop);
        async move {
            crate::app::stop_signal().await;
            stop.store(true, Ordering::Relaxed);
        }
    });
    let done = export::export_until_stopped(
        Arc::clone(&database.store),
        range,
        sinks,
        |_, last| {
            bar.set_position(last.position.saturating_sub(start.position));
        },
        &stop,
    )
    .await;
    on_signal.abort();
    let done = done?;
    bar.finish_and_clear();
    report("exported", &done, started);
    anyhow::ensure!(
        !stop.load(Ordering::Relaxed),
        "interrupted: the output is complete up to the cursor above; run the same command with \
         --after {} (to another file) for the rest",
        analytics::cursor::encode(done.last)
    );
    Ok(done)
}

fn report(verb: &str, done: &Exported, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{verb} {} events in {secs:.1}s ({:.0} events/s); continue with --after {}",
        done.events,
        done.events as f64 / secs.max(1e-9),
        analytics::cursor::encode(done.last)
    );
}

/// Runs a replay; returns what it replayed.
///
/// # Errors
/// See [`run`].
pub async fn replay_command(args: Box<ReplayArgs>) -> anyhow::Result<Exported> {
    let mut range = args.range.range()?;
    let mut target = Target::open(&args).await?;
    let started = Instant::now();
    let mut done = Exported {
        events: 0,
        last: range.after,
    };
    if let Some(input) = &args.input {
        let events: Vec<Recorded> = export::read_file(input)?
            .into_iter()
            .map(|(_, r)| r)
            .filter(|r| {
                range.filter.matches(r)
                    && r.cursor > range.after
                    && range.until.is_none_or(|u| r.cursor <= u)
            })
            .collect();
        let bar = progress_bar(
            args.quiet,
            Cursor::START,
            Cursor::new(0, events.len() as u64),
            "replaying",
        );
        for chunk in events.chunks(export::PAGE) {
            target.apply(chunk).await?;
            done.events += chunk.len() as u64;
            done.last = chunk.last().map_or(done.last, |e| e.cursor);
            bar.set_position(done.events);
        }
        bar.finish_and_clear();
    } else {
        let database = open(&args.storage).await?;
        let head = database.store.head().await?;
        let until = range.until.unwrap_or(head);
        range.until = Some(until);
        let bar = progress_bar(args.quiet, range.after, until, "replaying");
        let mut after = range.after;
        loop {
            let page = database
                .store
                .read_filtered(&range.filter, after, export::PAGE)
                .await?;
            let page: Vec<Recorded> = page.into_iter().filter(|e| e.cursor <= until).collect();
            let Some(last) = page.last().map(|e| e.cursor) else {
                break;
            };
            target.apply(&page).await?;
            done.events += page.len() as u64;
            done.last = last;
            after = last;
            bar.set_position(last.position.saturating_sub(range.after.position));
            if last >= until {
                break;
            }
        }
        bar.finish_and_clear();
    }
    target.finish().await?;
    report("replayed", &done, started);
    Ok(done)
}

/// How long a replay waits for Kafka to answer at start (a page may take six times as long).
const KAFKA_WAIT: Duration = Duration::from_secs(10);

/// Where replayed events go.
enum Target {
    Kafka(Box<KafkaPublisher>),
    Projection {
        projection: Arc<dyn projections::Projection>,
        pool: sqlx::AnyPool,
    },
}

impl Target {
    async fn open(args: &ReplayArgs) -> anyhow::Result<Self> {
        match args.into {
            ReplayTarget::Kafka => {
                let brokers = args
                    .kafka_brokers
                    .clone()
                    .context("--into kafka needs --kafka-brokers")?;
                let config = KafkaConfig {
                    partitions: args.kafka_partitions,
                    topic_prefix: args.kafka_topic_prefix.clone(),
                    withheld: event_schemas::identity::CONFIDENTIAL
                        .iter()
                        .map(|t| (*t).to_owned())
                        .collect(),
                    ..KafkaConfig::new(brokers)
                };
                // A broker that does not answer is an error, not a wait without end.
                infrastructure::kafka::probe(&config.brokers, KAFKA_WAIT)
                    .await
                    .with_context(|| {
                        format!(
                            "no Kafka broker answered at {} within {}s",
                            config.brokers,
                            KAFKA_WAIT.as_secs()
                        )
                    })?;
                Ok(Self::Kafka(Box::new(KafkaPublisher::new(config)?)))
            }
            ReplayTarget::Projection => {
                let name = args
                    .projection
                    .clone()
                    .context("--into projection needs --projection NAME")?;
                let target_url = match &args.read_database_url {
                    Some(url) => url.clone(),
                    None => args.storage.existing_url()?,
                };
                let database = Database::open(&target_url, PoolSizes { store: 2, read: 4 })
                    .await
                    .context("cannot open the target database")?;
                let config = ServeArgs::with_storage(args.storage.clone())?;
                let all = projections_for(&config, &database)?;
                let known: Vec<&str> = all.iter().map(|p| p.name()).collect();
                let projection = all
                    .iter()
                    .find(|p| p.name() == name)
                    .cloned()
                    .with_context(|| {
                        format!("unknown projection {name:?}; known: {}", known.join(", "))
                    })?;
                projections::create_schema(&*projection, &database.read).await?;
                Ok(Self::Projection {
                    projection,
                    pool: database.read,
                })
            }
        }
    }

    async fn apply(&mut self, events: &[Recorded]) -> anyhow::Result<()> {
        match self {
            Self::Kafka(publisher) => {
                let refs: Vec<&Recorded> = events.iter().collect();
                tokio::time::timeout(KAFKA_WAIT * 6, publisher.publish(&refs))
                    .await
                    .with_context(|| {
                        format!(
                            "Kafka did not acknowledge a page within {}s (brokers gone?)",
                            (KAFKA_WAIT * 6).as_secs()
                        )
                    })??;
            }
            Self::Projection { projection, pool } => {
                let interest = projection.handles();
                let mut tx = pool.begin().await?;
                for e in events.iter().filter(|e| interest.matches(e)) {
                    projection.apply(&mut tx, e).await?;
                }
                tx.commit().await?;
            }
        }
        Ok(())
    }

    async fn finish(self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The store of a storage's database (for tests and benchmarks).
///
/// # Errors
/// The database cannot be opened.
pub async fn store_of(storage: &StorageArgs) -> anyhow::Result<Arc<dyn EventStore>> {
    Ok(open(storage).await?.store)
}
