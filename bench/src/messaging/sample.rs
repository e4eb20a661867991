//! Timed samples shared by the messaging and order benchmarks: rates, latency histograms, and
//! the raw append rate every figure is set beside.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use shared_kernel::{EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamId};
use tokio::sync::Mutex;
use uuid::Uuid;

/// A rate, and the latency of each operation when it was timed.
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

/// Runs `op` from `concurrency` tasks for `secs`, timing each call.
pub(super) async fn measure<F, Fut>(concurrency: usize, secs: u64, op: F) -> anyhow::Result<Sample>
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
