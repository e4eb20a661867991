//! What work costs the server, in counts that machine noise does not move: database
//! transactions, rows read and written, checkpoint writes (from `pg_stat_database` and
//! `pg_stat_user_tables` of the scratch database), and the server's CPU time (this process's
//! CPU minus that of the benchmark's client threads, which run on a runtime of their own).

use std::time::Duration;

use anyhow::Context as _;
use sqlx::{Connection, PgConnection};

/// The name of every thread of the benchmark's client runtime (at most 15 bytes: Linux keeps
/// that much of a thread's name).
pub(crate) const CLIENT_THREADS: &str = "bench-client";

/// `/proc` reports CPU time in clock ticks of 1/100 s on the machines this runs on.
const TICK_MS: u64 = 10;

/// Counters of the scratch database and this process at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    transactions: i64,
    rows_read: i64,
    rows_written: i64,
    checkpoint_writes: i64,
    events_seq_scans: i64,
    server_cpu: Duration,
}

/// Per-unit differences between two [`Counters`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Cost {
    pub transactions: f64,
    pub rows_read: f64,
    pub rows_written: f64,
    pub checkpoint_writes: f64,
    pub events_seq_scans: f64,
    pub server_cpu_ms: f64,
}

impl Counters {
    /// Reads the counters. Statistics reach `pg_stat_*` when each backend flushes them (at
    /// most about a second late): callers wait a moment around what they measure.
    pub async fn read(url: &str) -> anyhow::Result<Self> {
        let mut conn = PgConnection::connect(url)
            .await
            .context("statistics connection")?;
        let (transactions, rows_read, rows_written): (i64, i64, i64) = sqlx::query_as(
            "SELECT xact_commit, tup_returned + tup_fetched, \
                    tup_inserted + tup_updated + tup_deleted \
             FROM pg_stat_database WHERE datname = current_database()",
        )
        .fetch_one(&mut conn)
        .await?;
        let (checkpoint_writes, events_seq_scans): (i64, i64) = sqlx::query_as(
            "SELECT \
               coalesce((SELECT n_tup_ins + n_tup_upd FROM pg_stat_user_tables \
                         WHERE relname = 'checkpoints'), 0), \
               coalesce((SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'events'), 0)",
        )
        .fetch_one(&mut conn)
        .await?;
        conn.close().await?;
        Ok(Self {
            transactions,
            rows_read,
            rows_written,
            checkpoint_writes,
            events_seq_scans,
            server_cpu: server_cpu().unwrap_or_default(),
        })
    }

    /// What happened since `before`, per unit of `units` (orders, say).
    pub fn per(&self, before: &Self, units: u64) -> Cost {
        let n = units.max(1) as f64;
        let d = |a: i64, b: i64| (a - b) as f64 / n;
        Cost {
            transactions: d(self.transactions, before.transactions),
            rows_read: d(self.rows_read, before.rows_read),
            rows_written: d(self.rows_written, before.rows_written),
            checkpoint_writes: d(self.checkpoint_writes, before.checkpoint_writes),
            events_seq_scans: d(self.events_seq_scans, before.events_seq_scans),
            server_cpu_ms: self
                .server_cpu
                .saturating_sub(before.server_cpu)
                .as_secs_f64()
                * 1000.0
                / n,
        }
    }
}

impl Cost {
    /// One Markdown table row: `| label | tx | rows read | rows written | checkpoint writes |
    /// seq scans | CPU ms |`.
    pub fn row(&self, label: &str) -> String {
        format!(
            "| {label} | {:.1} | {:.0} | {:.1} | {:.1} | {:.2} | {:.2} |",
            self.transactions,
            self.rows_read,
            self.rows_written,
            self.checkpoint_writes,
            self.events_seq_scans,
            self.server_cpu_ms
        )
    }

    /// The header of [`Self::row`]'s table.
    pub const HEADER: &'static str = "| per order | transactions | rows read | rows written | checkpoint writes | seq scans of events | server CPU ms |\n|---|---:|---:|---:|---:|---:|---:|";
}

/// This process's CPU time except the client runtime's threads.
fn server_cpu() -> Option<Duration> {
    let total = thread_cpu("/proc/self/stat")?;
    let mut client = 0_u64;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim_end().starts_with(CLIENT_THREADS) {
            client += thread_cpu(&path.join("stat").display().to_string()).unwrap_or(0);
        }
    }
    Some(Duration::from_millis(
        total.saturating_sub(client).saturating_mul(TICK_MS),
    ))
}

/// User plus system ticks of a `/proc/.../stat` file.
fn thread_cpu(stat: &str) -> Option<u64> {
    let text = std::fs::read_to_string(stat).ok()?;
    let fields: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// A runtime for the benchmark's client, on threads named [`CLIENT_THREADS`] so their CPU
/// time is not counted as the server's.
///
/// # Errors
/// The runtime cannot be built.
pub(crate) fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(CLIENT_THREADS)
        .enable_all()
        .build()
        .context("client runtime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_per_unit() {
        let before = Counters::default();
        let after = Counters {
            transactions: 100,
            rows_read: 1000,
            rows_written: 50,
            checkpoint_writes: 10,
            events_seq_scans: 0,
            server_cpu: Duration::from_millis(200),
        };
        let cost = after.per(&before, 10);
        assert!((cost.transactions - 10.0).abs() < 1e-9);
        assert!((cost.server_cpu_ms - 20.0).abs() < 1e-9);
        assert!(cost.row("x").starts_with("| x | 10.0 | 100 | 5.0 | 1.0 |"));
    }
}
