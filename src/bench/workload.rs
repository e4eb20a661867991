//! The writers: concurrent tasks appending through the event store, or inserting the same rows
//! with plain INSERTs, timed per operation.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use infrastructure::postgres::PgEventStore;
use serde_json::{Value, json};
use shared_kernel::{EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamId};
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::task::JoinSet;
use uuid::Uuid;

pub(super) const EVENT_TYPE: &str = "agora.bench.item_added";

/// The row shape of the event store's append, without its version check.
const RAW_INSERT: &str = "INSERT INTO raw_events \
     (event_id, stream_id, stream_version, event_type, schema_version, data, metadata) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

/// One statement for a whole batch, as the store's append is.
const RAW_INSERT_BATCH: &str = "INSERT INTO raw_events \
     (event_id, stream_id, stream_version, event_type, schema_version, data, metadata) \
     SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::text[], $5::int[], \
     $6::jsonb[], $7::jsonb[])";

/// A typical small domain event body (~130 bytes of JSON), the same on both sides.
pub(super) fn payload() -> Value {
    json!({
        "cart_id": "0190c5d2-7a4e-7c1e-9d3b-5f2a8e6b4c10",
        "sku": "SKU-004217",
        "quantity": 3,
        "unit_price": { "amount": 1999, "currency": "EUR" }
    })
}

/// What the writers write through.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// `EventStore::append` with an exact expected version.
    Store(PgEventStore),
    /// Plain INSERTs of the same rows into `raw_events`.
    Raw(PgPool),
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    pub warmup: Duration,
    pub duration: Duration,
}

/// The outcome of one measurement.
#[derive(Debug)]
pub(super) struct Sample {
    /// Operations (appends or statements) that completed inside the timed window.
    pub ops: u64,
    pub rows_per_op: u64,
    pub seconds: f64,
    /// Per-operation latency in microseconds.
    pub latency: Histogram<u64>,
}

impl Sample {
    pub fn rows_per_second(&self) -> f64 {
        (self.ops * self.rows_per_op) as f64 / self.seconds
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }
}

fn histogram() -> Result<Histogram<u64>> {
    // 1 µs to 60 s at three significant digits: appends slower than a minute are saturated.
    Histogram::new_with_bounds(1, 60_000_000, 3).context("creating a latency histogram")
}

/// Runs `writers` concurrent writers, each on its own stream, writing `batch` events per
/// operation for the warm-up and then the timed window. Throughput counts the operations that
/// complete inside the window, which does not depend on how long the one in flight at either
/// edge takes.
pub(super) async fn measure(
    target: Target,
    writers: usize,
    batch: usize,
    timing: Timing,
) -> Result<Sample> {
    let payload = Arc::new(payload());
    let from = Instant::now() + timing.warmup;
    let until = from + timing.duration;
    // Dropping the set on an early error aborts the remaining writers.
    let mut tasks = JoinSet::new();
    for _ in 0..writers {
        let mut writer = Writer {
            target: target.clone(),
            stream: StreamId::of("bench", Uuid::now_v7()),
            version: 0,
            batch,
            payload: Arc::clone(&payload),
            metadata: Value::Object(serde_json::Map::new()),
        };
        tasks.spawn(async move { writer.run(from, until).await });
    }
    let mut latency = histogram()?;
    let mut ops = 0;
    while let Some(joined) = tasks.join_next().await {
        let (n, h) = joined.context("a writer task failed")??;
        ops += n;
        latency.add(&h).context("merging latency histograms")?;
    }
    Ok(Sample {
        ops,
        rows_per_op: batch as u64,
        seconds: timing.duration.as_secs_f64(),
        latency,
    })
}

#[derive(Debug)]
struct Writer {
    target: Target,
    stream: StreamId,
    /// The stream's version: events this writer has written so far.
    version: u64,
    batch: usize,
    payload: Arc<Value>,
    metadata: Value,
}

impl Writer {
    async fn run(&mut self, from: Instant, until: Instant) -> Result<(u64, Histogram<u64>)> {
        let mut latency = histogram()?;
        let mut ops = 0;
        loop {
            let started = Instant::now();
            if started >= until {
                break;
            }
            self.step().await?;
            let done = Instant::now();
            if done >= from && done <= until {
                ops += 1;
                let micros =
                    u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX);
                latency.saturating_record(micros.max(1));
            }
        }
        Ok((ops, latency))
    }

    async fn step(&mut self) -> Result<()> {
        let next = self.version + self.batch as u64;
        match &self.target {
            Target::Store(store) => {
                let events = (0..self.batch)
                    .map(|_| NewEvent {
                        event_id: Uuid::now_v7(),
                        event_type: EVENT_TYPE.to_owned(),
                        schema_version: 1,
                        data: (*self.payload).clone(),
                        metadata: EventMetadata::default(),
                    })
                    .collect();
                let expected = if self.version == 0 {
                    ExpectedVersion::NoStream
                } else {
                    ExpectedVersion::Exact(self.version)
                };
                let appended = store
                    .append(&self.stream, expected, events)
                    .await
                    .with_context(|| format!("appending to {}", self.stream))?;
                // Anything else would mean the conditional path we mean to measure did not run.
                if appended.stream_version != next {
                    bail!(
                        "{} is at version {} after the append, expected {next}",
                        self.stream,
                        appended.stream_version
                    );
                }
            }
            Target::Raw(pool) if self.batch == 1 => {
                sqlx::query(RAW_INSERT)
                    .bind(Uuid::now_v7())
                    .bind(self.stream.as_str())
                    .bind(i64::try_from(next).context("stream version overflow")?)
                    .bind(EVENT_TYPE)
                    .bind(1_i32)
                    .bind(Json(&*self.payload))
                    .bind(Json(&self.metadata))
                    .execute(pool)
                    .await
                    .context("raw single-row INSERT")?;
            }
            Target::Raw(pool) => {
                let first = i64::try_from(self.version).context("stream version overflow")? + 1;
                let last = i64::try_from(next).context("stream version overflow")?;
                let ids: Vec<Uuid> = (0..self.batch).map(|_| Uuid::now_v7()).collect();
                let streams = vec![self.stream.as_str(); self.batch];
                let versions: Vec<i64> = (first..=last).collect();
                let types = vec![EVENT_TYPE; self.batch];
                let schema_versions = vec![1_i32; self.batch];
                let data = vec![Json(&*self.payload); self.batch];
                let metadata = vec![Json(&self.metadata); self.batch];
                sqlx::query(RAW_INSERT_BATCH)
                    .bind(ids)
                    .bind(streams)
                    .bind(versions)
                    .bind(types)
                    .bind(schema_versions)
                    .bind(data)
                    .bind(metadata)
                    .execute(pool)
                    .await
                    .context("raw multi-row INSERT")?;
            }
        }
        self.version = next;
        Ok(())
    }
}
