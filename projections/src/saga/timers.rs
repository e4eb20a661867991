//! Durable timers of a saga: set and cancelled with its reactions, claimed under a lease when
//! due, their commands sent outside the claim's transaction, then marked fired.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use infrastructure::DatabaseKind;
use shared_kernel::application::event_id_for;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    LEASE_MS, RETRY_PAUSE, SagaError, SagaRunner, SetTimer, TIMER_NAMESPACE, TIMER_RECHECK, millis,
    millis_of,
};

impl SagaRunner {
    pub(super) async fn set_timers(&self, timers: &[&SetTimer]) -> Result<(), SagaError> {
        // One row per key in one statement (the first set wins, as `DO NOTHING` would).
        let mut keys = HashSet::new();
        let timers: Vec<&SetTimer> = timers
            .iter()
            .copied()
            .filter(|t| keys.insert(t.key.as_str()))
            .collect();
        if timers.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = (0..timers.len())
            .map(|i| format!("($1, ${}, ${}, ${})", 3 * i + 2, 3 * i + 3, 3 * i + 4))
            .collect();
        let sql = format!(
            "INSERT INTO saga_timers (saga, key, due_at, payload) VALUES {} \
             ON CONFLICT (saga, key) DO NOTHING",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(self.saga.name());
        for timer in &timers {
            query = query
                .bind(timer.key.as_str())
                .bind(millis(timer.due_at))
                .bind(timer.payload.to_string());
        }
        query.execute(&self.pool).await?;
        let earliest = timers
            .iter()
            .map(|t| millis(t.due_at))
            .min()
            .unwrap_or(i64::MAX);
        self.earliest_set.fetch_min(earliest, Ordering::AcqRel);
        self.timer_set.notify_one();
        Ok(())
    }

    /// Tombstones, even for timers not set yet: replays must not revive them.
    pub(super) async fn cancel_timers(&self, keys: &[&str]) -> Result<(), SagaError> {
        // `DO UPDATE` may touch a row only once per statement.
        let mut seen = HashSet::new();
        let keys: Vec<&str> = keys.iter().copied().filter(|k| seen.insert(*k)).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let values: Vec<String> = (0..keys.len())
            .map(|i| format!("($1, ${}, 0, 'null', $2)", i + 3))
            .collect();
        let sql = format!(
            "INSERT INTO saga_timers (saga, key, due_at, payload, cancelled_at) VALUES {} \
             ON CONFLICT (saga, key) DO UPDATE SET cancelled_at = excluded.cancelled_at \
             WHERE saga_timers.fired_at IS NULL AND saga_timers.cancelled_at IS NULL",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql)
            .bind(self.saga.name())
            .bind(millis(self.clock.now()));
        for key in keys {
            query = query.bind(key);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Fires timers as they fall due: sleeps until the earliest one (as the table says, or as
    /// a timer this process just set says), never longer than [`TIMER_RECHECK`].
    pub(super) async fn run_timers(self, shutdown: CancellationToken) {
        let mut wake_at = 0_i64;
        loop {
            let now = millis(self.clock.now());
            if now >= wake_at {
                wake_at = match self.fire_while_due(now).await {
                    Ok(next) => next.unwrap_or(i64::MAX),
                    Err(e) => {
                        self.failed();
                        tracing::warn!(saga = self.saga.name(), error = %e, "timers failed; retrying");
                        now + millis_of(RETRY_PAUSE)
                    }
                }
                .min(now + millis_of(TIMER_RECHECK));
            }
            let sleep = Duration::from_millis(u64::try_from(wake_at - now).unwrap_or(0));
            tokio::select! {
                () = tokio::time::sleep(sleep) => {}
                () = self.timer_set.notified() => {
                    wake_at = wake_at.min(self.earliest_set.swap(i64::MAX, Ordering::AcqRel));
                }
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Fires what is due at `now`; returns when the next timer falls due. Fires nothing
    /// until [`super::CALM_BEFORE_TIMERS`] after the saga's last failure.
    async fn fire_while_due(&self, now: i64) -> Result<Option<i64>, SagaError> {
        let calm_from = self.calm_from();
        if now < calm_from {
            return Ok(Some(calm_from));
        }
        loop {
            match self.next_due().await? {
                Some(at) if at <= now => {
                    if self.fire_due_timers().await? == 0 {
                        // Claimed by another runner meanwhile: look again shortly.
                        return Ok(Some(now + millis_of(Duration::from_millis(100))));
                    }
                }
                next => return Ok(next),
            }
        }
    }

    /// When the earliest pending timer can fire: its due time, or the end of the lease of the
    /// runner that claimed it. Reads the saga's pending timers only (not the fired and
    /// cancelled ones, which the partial index leaves out).
    async fn next_due(&self) -> Result<Option<i64>, SagaError> {
        let next: Option<i64> = sqlx::query_scalar(
            "SELECT min(CASE WHEN claimed_until > due_at THEN claimed_until + 1 ELSE due_at END) \
             FROM saga_timers WHERE saga = $1 AND fired_at IS NULL AND cancelled_at IS NULL",
        )
        .bind(self.saga.name())
        .fetch_one(&self.pool)
        .await?;
        Ok(next)
    }

    /// Claims due timers (a lease), sends what they cause, and marks them fired.
    /// Returns how many fired.
    ///
    /// # Errors
    /// The database failed, or a command was not answered (the timer fires again after its
    /// lease).
    pub async fn fire_due_timers(&self) -> Result<usize, SagaError> {
        let now = millis(self.clock.now());
        let due = self.claim_due_timers(now).await?;
        for (key, payload, due_at) in &due {
            let payload: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
            let timer_id = timer_command_id(self.saga.name(), key, *due_at);
            for (i, send) in self.saga.on_timer(key, &payload).iter().enumerate() {
                self.send(event_id_for(timer_id, i), None, send).await?;
            }
            sqlx::query("UPDATE saga_timers SET fired_at = $3 WHERE saga = $1 AND key = $2")
                .bind(self.saga.name())
                .bind(key)
                .bind(millis(self.clock.now()))
                .execute(&self.pool)
                .await?;
        }
        Ok(due.len())
    }

    async fn claim_due_timers(&self, now: i64) -> Result<Vec<(String, String, i64)>, SagaError> {
        let mut tx = self.pool.begin().await?;
        let claim = match self.kind {
            DatabaseKind::Postgres => {
                "SELECT key, payload, due_at FROM saga_timers \
                 WHERE saga = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2 \
                   AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY due_at LIMIT 32 FOR UPDATE SKIP LOCKED"
            }
            // SQLite has one writer: a write first takes its lock for the whole transaction.
            DatabaseKind::Sqlite => {
                sqlx::query("UPDATE saga_timers SET due_at = due_at WHERE saga = $1 AND 1 = 0")
                    .bind(self.saga.name())
                    .execute(&mut *tx)
                    .await?;
                "SELECT key, payload, due_at FROM saga_timers \
                 WHERE saga = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2 \
                   AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY due_at LIMIT 32"
            }
        };
        let due: Vec<(String, String, i64)> = sqlx::query_as(claim)
            .bind(self.saga.name())
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for (key, _, _) in &due {
            sqlx::query("UPDATE saga_timers SET claimed_until = $3 WHERE saga = $1 AND key = $2")
                .bind(self.saga.name())
                .bind(key)
                .bind(now + LEASE_MS)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(due)
    }
}

/// The id of a timer's firing, from which the ids of the commands it sends derive: the same
/// for every attempt at one firing (a runner that dies after sending is followed by another
/// sending the same ids, which the handlers' command-id check answers once), and a valid UUIDv7
/// of the instant the timer was due (it was a UUIDv5, whose hash read as a timestamp gave the
/// events it caused ids dated in the year 8509). A timer set again for another instant is
/// another firing.
fn timer_command_id(saga: &str, key: &str, due_at_ms: i64) -> Uuid {
    let mut bytes = *Uuid::new_v5(
        &TIMER_NAMESPACE,
        format!("{saga}/{key}/{due_at_ms}").as_bytes(),
    )
    .as_bytes();
    let millis = u64::try_from(due_at_ms).unwrap_or(0).to_be_bytes();
    bytes[..6].copy_from_slice(&millis[2..]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod id_tests {
    use super::*;

    /// Found by a tester: events a timer caused carried ids whose v7 timestamp read 8509.
    #[test]
    fn a_firing_id_is_a_v7_of_its_due_time_and_stable() {
        let due = 1_796_000_000_000_i64; // 2026-12-01
        let id = timer_command_id("ordering.order_saga", "order-1/payment", due);
        assert_eq!(id.get_version_num(), 7);
        let (secs, _) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(i64::try_from(secs).unwrap(), due / 1000);
        assert_eq!(
            id,
            timer_command_id("ordering.order_saga", "order-1/payment", due)
        );
        assert_ne!(
            id,
            timer_command_id("ordering.order_saga", "order-2/payment", due)
        );
        assert_ne!(
            id,
            timer_command_id("ordering.order_saga", "order-1/payment", due + 1)
        );
    }
}
