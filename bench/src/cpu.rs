//! CPU time used by this process and by the scratch database's server backends. On a small
//! machine where client and server share the cores, throughput follows CPU per operation, so
//! this tells where a gap between store and baseline comes from. Linux only, and the server
//! side only when PostgreSQL runs on this machine; elsewhere the figures are simply absent.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgConnection;

/// `/proc` reports CPU time in clock ticks, which are 1/100 s on every Linux configuration the
/// benchmark is meant for (reading USER_HZ would take a libc dependency).
const TICK_MS: u64 = 10;

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct CpuUse {
    pub client: Option<Duration>,
    pub server: Option<Duration>,
}

impl CpuUse {
    pub fn add(&mut self, other: Self) {
        self.client = sum(self.client, other.client);
        self.server = sum(self.server, other.server);
    }
}

fn sum(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) | (None, a) => a,
    }
}

#[derive(Debug)]
pub(super) struct Snapshot {
    client: Option<Duration>,
    backends: Option<HashMap<i32, Duration>>,
}

impl Snapshot {
    /// Reads the CPU time of this process and of every other client backend connected to the
    /// control connection's database: the measured pool's connections. Autovacuum workers are
    /// left out: they run whenever they like, so they would land on either side at random.
    pub async fn take(control: &mut PgConnection) -> Self {
        let client = process_cpu("self");
        let pids: Option<Vec<i32>> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() \
               AND backend_type = 'client backend'",
        )
        .fetch_all(&mut *control)
        .await
        .ok();
        let backends = pids.and_then(|pids| {
            pids.into_iter()
                .filter(|pid| is_postgres(*pid))
                .map(|pid| process_cpu(&pid.to_string()).map(|cpu| (pid, cpu)))
                .collect::<Option<HashMap<_, _>>>()
        });
        Self { client, backends }
    }

    /// CPU used between `before` and this snapshot. A backend that connected in between counts
    /// in full; one that disconnected is lost (pools keep their connections, so this is rare).
    pub fn since(&self, before: &Self) -> CpuUse {
        let client = match (self.client, before.client) {
            (Some(after), Some(before)) => Some(after.saturating_sub(before)),
            _ => None,
        };
        let server = match (&self.backends, &before.backends) {
            (Some(after), Some(before)) if !after.is_empty() => Some(
                after
                    .iter()
                    .map(|(pid, cpu)| {
                        cpu.saturating_sub(before.get(pid).copied().unwrap_or_default())
                    })
                    .sum(),
            ),
            _ => None,
        };
        CpuUse { client, server }
    }
}

/// Guards against a remote server whose backend pids happen to exist here.
fn is_postgres(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "postgres")
}

/// User plus system time of `/proc/<pid>` (all its threads).
fn process_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name in parentheses may contain spaces; the numeric fields follow its end.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // Fields 14 and 15 of proc(5), counted from the state (field 3) here.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis(
        utime.saturating_add(stime).saturating_mul(TICK_MS),
    ))
}

#[cfg(test)]
mod tests {
    use super::process_cpu;

    #[test]
    fn reads_own_cpu_time() {
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(process_cpu("self").is_some());
        }
    }
}
