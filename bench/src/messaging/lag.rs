//! Relay throughput into Kafka and projection lag at a steady rate, for `agora
//! bench-messaging`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use hdrhistogram::Histogram;
use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::database::Database;
use infrastructure::inprocess::StoreFeed;
use infrastructure::kafka::{KafkaConfig, KafkaRelay, RELAY_CHECKPOINT};
use projections::{Interest, Progress, Projection, ProjectionError, Projector};
use shared_kernel::{CheckpointStore, ExpectedVersion, NewEvent, Recorded, StreamId};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::BenchMessagingArgs;
use super::sample::{Sample, event, histogram};

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

pub(super) async fn relay_rate(args: &BenchMessagingArgs, db: &Database) -> anyhow::Result<f64> {
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

pub(super) async fn projection_lag(db: &Database, rate: f64, secs: u64) -> anyhow::Result<Sample> {
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
