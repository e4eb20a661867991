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

use crate::cpu::CpuUse;

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

/// A typical small domain event body (128 bytes of JSON), the same on both sides.
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

/// The outcome of one side of a measurement, summed over its slices.
#[derive(Debug)]
pub(super) struct Sample {
    /// Operations (appends or statements) that completed inside the timed windows.
    pub ops: u64,
    /// Operations that completed at all, including those that ran past the end of a window:
    /// all of them used the CPU that was measured.
    pub ops_total: u64,
    pub rows_per_op: u64,
    pub seconds: f64,
    /// Per-operation latency in microseconds.
    pub latency: Histogram<u64>,
    pub cpu: CpuUse,
}

impl Sample {
    pub fn rows_per_second(&self) -> f64 {
        (self.ops * self.rows_per_op) as f64 / self.seconds
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    /// CPU microseconds per event of (client, server).
    pub fn cpu_per_event_us(&self) -> (Option<f64>, Option<f64>) {
        let events = (self.ops_total * self.rows_per_op) as f64;
        let per = |d: Option<Duration>| {
            d.filter(|_| events > 0.0)
                .map(|d| d.as_secs_f64() * 1e6 / events)
        };
        (per(self.cpu.client), per(self.cpu.server))
    }
}

fn histogram() -> Result<Histogram<u64>> {
    // 1 µs to 60 s at three significant digits: appends slower than a minute are saturated.
    Histogram::new_with_bounds(1, 60_000_000, 3).context("creating a latency histogram")
}

/// Concurrent writers, each on its own stream, writing `batch` events per operation. They keep
/// their streams between runs, so a measurement can be cut into slices that alternate with the
/// other side's.
#[derive(Debug)]
pub(super) struct Writers {
    idle: Vec<Writer>,
    pub sample: Sample,
}

impl Writers {
    pub fn new(target: &Target, writers: usize, batch: usize) -> Result<Self> {
        let payload = Arc::new(payload());
        let idle = (0..writers)
            .map(|_| Writer {
                target: target.clone(),
                stream: StreamId::of("bench", Uuid::now_v7()),
                version: 0,
                batch,
                payload: Arc::clone(&payload),
                metadata: Value::Object(serde_json::Map::new()),
            })
            .collect();
        Ok(Self {
            idle,
            sample: Sample {
                ops: 0,
                ops_total: 0,
                rows_per_op: batch as u64,
                seconds: 0.0,
                latency: histogram()?,
                cpu: CpuUse::default(),
            },
        })
    }

    /// Runs all writers for `duration` without recording anything: connections, prepared
    /// statements and caches are ready afterwards.
    pub async fn warm_up(&mut self, duration: Duration) -> Result<()> {
        self.run(duration, false).await.map(|_| ())
    }

    /// Runs all writers for `duration`, adds what they did to [`Self::sample`] and returns this
    /// slice's rows per second. Throughput counts the operations that complete inside the
    /// window, which does not depend on how long the one in flight at the end takes.
    pub async fn measure(&mut self, duration: Duration) -> Result<f64> {
        self.run(duration, true).await
    }

    async fn run(&mut self, duration: Duration, record: bool) -> Result<f64> {
        let until = Instant::now() + duration;
        // Dropping the set on an early error aborts the remaining writers.
        let mut tasks = JoinSet::new();
        for mut writer in self.idle.drain(..) {
            tasks.spawn(async move {
                let (ops, total, latency) = writer.run(until).await?;
                anyhow::Ok((writer, ops, total, latency))
            });
        }
        let mut ops = 0;
        while let Some(joined) = tasks.join_next().await {
            let (writer, n, total, latency) = joined.context("a writer task failed")??;
            self.idle.push(writer);
            if record {
                ops += n;
                self.sample.ops_total += total;
                self.sample
                    .latency
                    .add(&latency)
                    .context("merging latency histograms")?;
            }
        }
        if !record {
            return Ok(0.0);
        }
        self.sample.ops += ops;
        self.sample.seconds += duration.as_secs_f64();
        Ok((ops * self.sample.rows_per_op) as f64 / duration.as_secs_f64())
    }
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
    /// Returns the operations completed by `until`, all completed operations, and the
    /// latencies of the former.
    async fn run(&mut self, until: Instant) -> Result<(u64, u64, Histogram<u64>)> {
        let mut latency = histogram()?;
        let mut ops = 0;
        let mut total = 0;
        loop {
            let started = Instant::now();
            if started >= until {
                break;
            }
            self.step().await?;
            total += 1;
            let done = Instant::now();
            if done <= until {
                ops += 1;
                let micros =
                    u64::try_from(done.duration_since(started).as_micros()).unwrap_or(u64::MAX);
                latency.saturating_record(micros.max(1));
            }
        }
        Ok((ops, total, latency))
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
