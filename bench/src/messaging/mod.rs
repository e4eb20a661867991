//! `agora bench-messaging`: command round trips through RabbitMQ and in-process, relay
//! throughput into Kafka, and projection lag at a steady rate; each beside the raw append rate
//! of the same store measured in the same run. A benchmark: it prints figures, asserts nothing.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use async_trait::async_trait;
use clap::Args;
use hdrhistogram::Histogram;
use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::{InProcessCommandBus, StoreFeed};
use infrastructure::kafka::{KafkaConfig, KafkaRelay, RELAY_CHECKPOINT};
use infrastructure::rabbitmq::{RabbitCommandBus, RabbitCommandWorker, RabbitConfig};
use projections::{Interest, Progress, Projection, ProjectionError, Projector};
use shared_kernel::application::event_id_for;
use shared_kernel::{
    CheckpointStore, CommandBus, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply,
    EventMetadata, EventStore, ExpectedVersion, NewEvent, Recorded, StoreError, StreamId,
};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[derive(Debug, Clone, Args)]
pub struct BenchMessagingArgs {
    /// PostgreSQL admin URL; a scratch database is created on its server and dropped after.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    #[arg(
        long,
        env = "AGORA_BENCH_AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    #[arg(
        long,
        env = "AGORA_BENCH_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka_brokers: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent senders / writers.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Events appended for the relay measurement.
    #[arg(long, default_value_t = 20_000)]
    pub relay_events: usize,
}

pub(crate) struct Sample {
    pub(crate) per_sec: f64,
    pub(crate) latency: Option<Histogram<u64>>,
}

impl Sample {
    pub(crate) fn ms(&self, q: f64) -> String {
        self.latency.as_ref().map_or_else(
            || "-".into(),
            |h| format!("{:.2}", h.value_at_quantile(q) as f64 / 1000.0),
        )
    }
}

pub(crate) fn histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000, 3).context("histogram")
}

pub(crate) fn event(n: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "agora.bench.happened".into(),
        schema_version: 1,
        data: serde_json::json!({ "n": n, "padding": "a realistic small payload of some tens of bytes" }),
        metadata: EventMetadata::default(),
    }
}

/// Appends one event per command, idempotently by command id (as real handlers do).
#[derive(Debug)]
struct AppendHandler {
    store: Arc<dyn EventStore>,
}

#[async_trait]
impl CommandHandler for AppendHandler {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        if let Some((stream, appended)) = self.store.command_result(command.command_id).await? {
            return Ok(accepted(
                command.command_id,
                &stream,
                appended.stream_version,
                appended.position,
            ));
        }
        let stream = StreamId::of("benchcmd", command.command_id);
        let mut e = event(0);
        e.event_id = event_id_for(command.command_id, 0);
        e.metadata.command_id = Some(command.command_id);
        let appended = self
            .store
            .append(&stream, ExpectedVersion::NoStream, vec![e])
            .await?;
        Ok(accepted(
            command.command_id,
            &stream,
            appended.stream_version,
            appended.position,
        ))
    }
}

fn accepted(id: Uuid, stream: &StreamId, version: u64, position: u64) -> CommandReply {
    CommandReply {
        command_id: id,
        outcome: CommandOutcome::Accepted {
            stream_id: stream.to_string(),
            stream_version: version,
            position,
            body: serde_json::Value::Null,
        },
    }
}

/// Runs `op` from `concurrency` tasks for `secs`, timing each call.
async fn measure<F, Fut>(concurrency: usize, secs: u64, op: F) -> anyhow::Result<Sample>
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    let all = Arc::new(Mutex::new(histogram()?));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let op = op.clone();
        let all = Arc::clone(&all);
        tasks.push(tokio::spawn(async move {
            let mut local = histogram()?;
            let mut n = 0_usize;
            while Instant::now() < deadline {
                let t = Instant::now();
                op(worker * 1_000_000 + n).await?;
                local.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX))?;
                n += 1;
            }
            all.lock().await.add(&local)?;
            anyhow::Ok(n)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let latency = Arc::try_unwrap(all).map(Mutex::into_inner).ok();
    Ok(Sample {
        per_sec: total as f64 / elapsed,
        latency,
    })
}

/// The baseline: `concurrency` writers appending one event each to a fresh stream, for `secs`.
pub(crate) async fn append_rate(
    store: Arc<dyn EventStore>,
    concurrency: usize,
    secs: u64,
) -> anyhow::Result<Sample> {
    measure(concurrency, secs, move |n| {
        let s = Arc::clone(&store);
        async move {
            s.append(
                &StreamId::of("benchraw", Uuid::now_v7()),
                ExpectedVersion::NoStream,
                vec![event(n)],
            )
            .await?;
            Ok(())
        }
    })
    .await
}

/// Records how old each event is when the projector applies it.
#[derive(Debug)]
struct LagProbe {
    lags: Arc<std::sync::Mutex<Histogram<u64>>>,
}

#[async_trait]
impl Projection for LagProbe {
    fn name(&self) -> &'static str {
        "bench.lag"
    }
    fn handles(&self) -> Interest {
        Interest::Contexts(&["bench"])
    }
    fn schema(&self) -> &'static [&'static str] {
        &["CREATE TABLE IF NOT EXISTS bench_lag (position BIGINT PRIMARY KEY)"]
    }
    fn tables(&self) -> &'static [&'static str] {
        &["bench_lag"]
    }
    async fn apply(
        &self,
        conn: &mut sqlx::AnyConnection,
        e: &Recorded,
    ) -> Result<(), ProjectionError> {
        sqlx::query(
            "INSERT INTO bench_lag (position) VALUES ($1) ON CONFLICT (position) DO NOTHING",
        )
        .bind(i64::try_from(e.position).unwrap_or(i64::MAX))
        .execute(conn)
        .await?;
        let lag = (chrono::Utc::now() - e.recorded_at)
            .num_microseconds()
            .unwrap_or(0)
            .max(1);
        if let Ok(mut h) = self.lags.lock() {
            let _ = h.record(u64::try_from(lag).unwrap_or(1));
        }
        Ok(())
    }
}

/// # Errors
/// A service is unreachable or a measurement fails.
pub async fn run(args: BenchMessagingArgs) -> anyhow::Result<()> {
    let scratch = crate::bench::scratch::ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, scratch.url()).await;
    // Dropped also after a failure; the measurement's error wins over the drop's.
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

async fn run_in(args: &BenchMessagingArgs, url: &str) -> anyhow::Result<()> {
    let c = args.concurrency;
    let secs = args.seconds;
    let sizes = PoolSizes {
        store: u32::try_from(c).unwrap_or(16) + 8,
        read: 8,
    };
    let db = Database::open(url, sizes).await?;
    let store = Arc::clone(&db.store);

    eprintln!("[1/5] raw append rate: {c} writers, single-event conditional appends, {secs}s");
    let raw = append_rate(Arc::clone(&store), c, secs).await?;

    let handler: Arc<dyn CommandHandler> = Arc::new(AppendHandler {
        store: Arc::clone(&store),
    });
    eprintln!("[2/5] commands in-process: {c} senders, {secs}s");
    let inproc = InProcessCommandBus::new(Duration::from_secs(30));
    inproc.register("bench", Arc::clone(&handler), c);
    let bus: Arc<dyn CommandBus> = Arc::new(inproc);
    let in_process = commands(Arc::clone(&bus), c, secs).await?;

    eprintln!("[3/5] commands through RabbitMQ: {c} senders, {secs}s");
    let context = format!("bench{}", Uuid::now_v7().simple());
    let config = RabbitConfig {
        prefetch: u16::try_from(c).unwrap_or(16),
        reply_timeout: Duration::from_secs(30),
        ..RabbitConfig::new(args.amqp_url.clone())
    };
    let shutdown = CancellationToken::new();
    let worker = RabbitCommandWorker::new(config.clone(), &context, Arc::clone(&handler))
        .spawn(shutdown.clone());
    let rabbit: Arc<dyn CommandBus> = Arc::new(RoutedBus {
        inner: Arc::new(RabbitCommandBus::new(config)),
        context,
    });
    let through_rabbit = commands(rabbit, c, secs).await?;
    worker.stop().await;

    eprintln!("[4/5] relay: {} events into Kafka", args.relay_events);
    let relay = relay_rate(args, &db).await?;

    let rate = (raw.per_sec / 2.0).max(1.0);
    eprintln!("[5/5] projection lag at {rate:.0} events/s (half the raw append rate), {secs}s");
    let lag = projection_lag(&db, rate, secs).await?;

    let ratio = |x: f64| x / raw.per_sec;
    println!();
    println!("| measurement | rate | p50 ms | p99 ms | ratio to raw append |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| raw append, {c} writers (baseline) | {:.0} events/s | {} | {} | 1.00 |",
        raw.per_sec,
        raw.ms(0.5),
        raw.ms(0.99)
    );
    println!(
        "| command round trip, in-process, {c} senders | {:.0} commands/s | {} | {} | {:.2} |",
        in_process.per_sec,
        in_process.ms(0.5),
        in_process.ms(0.99),
        ratio(in_process.per_sec)
    );
    println!(
        "| command round trip, RabbitMQ, {c} senders | {:.0} commands/s | {} | {} | {:.2} |",
        through_rabbit.per_sec,
        through_rabbit.ms(0.5),
        through_rabbit.ms(0.99),
        ratio(through_rabbit.per_sec)
    );
    println!(
        "| relay into Kafka (tansu) | {:.0} events/s | - | - | {:.2} |",
        relay,
        ratio(relay)
    );
    println!(
        "| projection lag at {rate:.0} events/s | {:.0} events/s applied | {} | {} | {:.2} |",
        lag.per_sec,
        lag.ms(0.5),
        lag.ms(0.99),
        ratio(lag.per_sec)
    );
    Ok(())
}

/// Sends every command to one context (the bench's own queue).
#[derive(Debug)]
struct RoutedBus {
    inner: Arc<RabbitCommandBus>,
    context: String,
}

#[async_trait]
impl CommandBus for RoutedBus {
    async fn send(
        &self,
        mut command: CommandEnvelope,
    ) -> Result<CommandReply, shared_kernel::BusError> {
        command.context.clone_from(&self.context);
        self.inner.send(command).await
    }
}

async fn commands(bus: Arc<dyn CommandBus>, c: usize, secs: u64) -> anyhow::Result<Sample> {
    measure(c, secs, move |_| {
        let bus = Arc::clone(&bus);
        async move {
            let reply = bus
                .send(CommandEnvelope {
                    command_id: Uuid::now_v7(),
                    context: "bench".into(),
                    name: "append".into(),
                    payload: serde_json::Value::Null,
                    actor: None,
                    correlation_id: None,
                    causation_id: None,
                })
                .await?;
            anyhow::ensure!(
                matches!(reply.outcome, CommandOutcome::Accepted { .. }),
                "rejected"
            );
            Ok(())
        }
    })
    .await
}

async fn relay_rate(args: &BenchMessagingArgs, db: &Database) -> anyhow::Result<f64> {
    // A fresh context per run, so the topic holds only this run's events.
    let context = format!("bench{}", Uuid::now_v7().simple());
    let stream = StreamId::of("benchrelay", Uuid::now_v7());
    let mut version = 0;
    for chunk in (0..args.relay_events).collect::<Vec<_>>().chunks(500) {
        let batch: Vec<NewEvent> = chunk
            .iter()
            .map(|n| NewEvent {
                event_type: format!("agora.{context}.happened"),
                ..event(*n)
            })
            .collect();
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        version = db
            .store
            .append(&stream, expected, batch)
            .await?
            .stream_version;
    }
    let head = db.store.head().await?;
    let checkpoints = Arc::new(SqlCheckpointStore::new(db.read.clone()));
    let relay = KafkaRelay::new(
        Arc::new(StoreFeed::new(Arc::clone(&db.store))),
        checkpoints.clone(),
        KafkaConfig {
            // Stored after every batch: the measurement waits for it.
            relay_checkpoint_every: Duration::ZERO,
            ..KafkaConfig::new(args.kafka_brokers.clone())
        },
    )?;
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(relay.run(shutdown.clone()));
    while checkpoints.load(RELAY_CHECKPOINT).await? < Some(head) {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "relay did not finish in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    let _ = task.await;
    // Everything stored so far went through the relay, the other measurements' events too.
    Ok(head.position as f64 / elapsed)
}

async fn projection_lag(db: &Database, rate: f64, secs: u64) -> anyhow::Result<Sample> {
    let lags = Arc::new(std::sync::Mutex::new(histogram()?));
    let probe = Arc::new(LagProbe {
        lags: Arc::clone(&lags),
    });
    let shutdown = CancellationToken::new();
    // Start from the head: only events written at the steady rate count.
    let projector = Projector::new(probe, db.read.clone());
    projector.prepare().await?;
    let head = db.store.head().await?;
    infrastructure::checkpoints::save(&db.read, "bench.lag", head).await?;
    let feed = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let _handle = projector
        .spawn(
            feed,
            &Progress::new(Arc::clone(&db.store)),
            shutdown.clone(),
        )
        .await?;

    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut writes = tokio::task::JoinSet::new();
    let mut sent = 0_usize;
    while Instant::now() < deadline {
        ticker.tick().await;
        let store = Arc::clone(&db.store);
        writes.spawn(async move {
            store
                .append(
                    &StreamId::of("benchlag", Uuid::now_v7()),
                    ExpectedVersion::NoStream,
                    vec![event(0)],
                )
                .await
        });
        sent += 1;
        while writes.len() > 256 {
            if let Some(r) = writes.join_next().await {
                r??;
            }
        }
    }
    while let Some(r) = writes.join_next().await {
        r??;
    }
    let waited = Instant::now();
    while lags.lock().map(|h| h.len()).unwrap_or(0) < sent as u64
        && waited.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    let histogram = lags.lock().map(|h| h.clone()).ok();
    Ok(Sample {
        per_sec: sent as f64 / secs as f64,
        latency: histogram,
    })
}
