//! Settling a range of the log that ends at a recent instant.
//!
//! The gap-free order lets out only the rows of transactions older than every running one
//! (`pg_snapshot_xmin`, cluster-wide). A live reader is right to stop there: it resumes
//! later. A reader of a finished range (`EventFilter::to` in the past: a post as it was at an
//! instant, an export up to a date) takes a short page for the range's end, so an event
//! committed before `to` but held back by an unrelated open transaction (another database's,
//! on a loaded server) would be missing from its answer for good. Before such a page is taken
//! for the end, the store waits until every transaction running at that moment has ended:
//! then each one that wrote before `to` is below the guard.
//!
//! What this cannot see: a transaction that began before `to` and had not written anything
//! yet (no transaction id) when the read reached its end. `recorded_at` is the time its
//! transaction began, so it may still add an event recorded before `to`; the store's
//! contract bounds how long such a transaction runs ([`crate::filtered::TIME_SLACK`]).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use shared_kernel::StoreError;
use sqlx::PgPool;

use crate::sql_error::unavailable;

/// How long a read waits for the transactions running at its end before it gives up with
/// [`StoreError::NotSettled`] (a request's budget, not a transaction's).
pub const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// The server's clock now, and the snapshot bounds: every transaction id below `xmin` is
/// over; those from `xmin` to below `xmax` may be running.
const SNAPSHOT: &str = "SELECT statement_timestamp(), pg_snapshot_xmin(s)::text, \
     pg_snapshot_xmax(s)::text FROM pg_current_snapshot() s";

/// Whether every transaction id below `$1` is over.
const PASSED: &str = "SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::text::xid8";

/// Whether a range ending at `to` may still be open to transactions running now: `to` has
/// passed on the server's clock, less than `TIME_SLACK` ago.
fn recent(to: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    to <= now && now - to < crate::filtered::slack()
}

/// Waits until no transaction that was running when this was called can still add an event
/// recorded before `to`; returns at once for a range not yet over or long settled.
///
/// # Errors
/// [`StoreError::NotSettled`] after `wait`; [`StoreError::Unavailable`] on I/O.
pub(super) async fn settle(
    pool: &PgPool,
    to: DateTime<Utc>,
    wait: Duration,
) -> Result<(), StoreError> {
    let (now, xmin, xmax): (DateTime<Utc>, String, String) = sqlx::query_as(SNAPSHOT)
        .fetch_one(pool)
        .await
        .map_err(unavailable)?;
    if !recent(to, now) || xmin == xmax {
        return Ok(());
    }
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        let passed: bool = sqlx::query_scalar(PASSED)
            .bind(&xmax)
            .fetch_one(pool)
            .await
            .map_err(unavailable)?;
        if passed {
            return Ok(());
        }
        let waited = started.elapsed();
        if waited >= wait {
            return Err(StoreError::NotSettled {
                to,
                waited_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            });
        }
        tokio::time::sleep(pause.min(wait - waited)).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::{Utc, recent};

    #[test]
    fn only_a_range_ended_within_the_slack_may_be_open() {
        let now = Utc::now();
        assert!(recent(now, now));
        assert!(recent(now - Duration::seconds(1), now));
        assert!(
            !recent(now + Duration::seconds(1), now),
            "not over yet: a live range"
        );
        assert!(
            !recent(now - Duration::hours(1), now),
            "older than the slack: settled"
        );
    }
}
