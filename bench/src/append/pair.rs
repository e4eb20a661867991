//! One scenario of `agora bench`: the baseline and the store measured in alternating slices
//! (ABBA), each slice's server CPU time read around it, from freshly emptied tables.

use std::time::Duration;

use anyhow::{Context, Result};
use infrastructure::postgres::PgEventStore;
use sqlx::{Executor, PgConnection};

use super::Timing;
use super::report::Scenario;
use super::workload::{Sample, Target, Writers};
use crate::cpu::Snapshot;
use crate::scratch::ScratchDb;

/// Measures the baseline and the store for one scenario; returns (raw, store).
pub(super) async fn measure_pair(
    scratch: &ScratchDb,
    control: &mut PgConnection,
    scenario: Scenario,
    writers: usize,
    timing: Timing,
) -> Result<(Sample, Sample)> {
    let batch = match scenario {
        Scenario::Single => 1,
        Scenario::Batch(n) => n,
    };
    reset(control).await?;
    // One pool for both sides, closed before pgbench runs: two pools of a 64-writer run plus
    // 64 pgbench clients would exceed a default max_connections of 100. The store's notifier
    // and listener take two of the spare connections.
    let size = u32::try_from(writers + 4).context("too many writers")?;
    let pool = scratch.pool(size).await?;
    let store = PgEventStore::new(pool.clone());
    let outcome = alternate(
        control,
        Target::Raw(pool.clone()),
        Target::Store(store.clone()),
        writers,
        batch,
        timing,
    )
    .await;
    drop(store);
    // Dropping the store aborts its LISTEN task, whose connection returns to the pool soon
    // after; a pool that does not close in time is left to DROP DATABASE ... WITH (FORCE).
    if tokio::time::timeout(Duration::from_secs(10), pool.close())
        .await
        .is_err()
    {
        eprintln!("    note: the pool did not close within 10 s");
    }
    let (raw, store) = outcome?;
    for (name, s) in [("raw  ", &raw), ("store", &store)] {
        let (client, server) = s.cpu_per_event_us();
        let us = |x: Option<f64>| x.map_or_else(|| "?".to_owned(), |x| format!("{x:.0}"));
        eprintln!(
            "    {name} {:.0} events/s, p50 {:.2} ms, p99 {:.2} ms; CPU per event: client {} µs, \
             server {} µs",
            s.rows_per_second(),
            s.quantile_ms(0.5),
            s.quantile_ms(0.99),
            us(client),
            us(server)
        );
    }
    Ok((raw, store))
}

async fn alternate(
    control: &mut PgConnection,
    raw: Target,
    store: Target,
    writers: usize,
    batch: usize,
    timing: Timing,
) -> Result<(Sample, Sample)> {
    let mut raw = Writers::new(&raw, writers, batch)?;
    let mut store = Writers::new(&store, writers, batch)?;
    raw.warm_up(timing.warmup)
        .await
        .context("raw INSERT warm-up")?;
    store
        .warm_up(timing.warmup)
        .await
        .context("store warm-up")?;
    let mut ratios = Vec::new();
    for slice in 0..timing.slices {
        // ABBA: a trend over the run (table growth, a checkpoint coming due) favours neither.
        let (raw_rate, store_rate) = if slice % 2 == 0 {
            let r = measure_slice(control, &mut raw, timing.slice)
                .await
                .context("raw INSERT")?;
            let s = measure_slice(control, &mut store, timing.slice)
                .await
                .context("store append")?;
            (r, s)
        } else {
            let s = measure_slice(control, &mut store, timing.slice)
                .await
                .context("store append")?;
            let r = measure_slice(control, &mut raw, timing.slice)
                .await
                .context("raw INSERT")?;
            (r, s)
        };
        ratios.push(format!("{:.2}", store_rate / raw_rate));
    }
    eprintln!("    store/raw per slice: {}", ratios.join(" "));
    Ok((raw.sample, store.sample))
}

async fn measure_slice(
    control: &mut PgConnection,
    writers: &mut Writers,
    duration: Duration,
) -> Result<f64> {
    let before = Snapshot::take(control).await;
    let rate = writers.measure(duration).await?;
    let used = Snapshot::take(control).await.since(&before);
    writers.sample.cpu.add(used);
    Ok(rate)
}

/// Empties both tables and checkpoints, so each measurement starts from the same state: no
/// rows, no dirty buffers, and no checkpoint due from the previous one's WAL.
pub(super) async fn reset(control: &mut PgConnection) -> Result<()> {
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

pub(super) async fn server_info(control: &mut PgConnection) -> Result<(String, String)> {
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
