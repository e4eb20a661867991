//! Process managers (sagas): react to events by sending commands, and to durable timers.
//!
//! Exactly-once *effect* without distributed transactions: a reaction's commands get ids
//! derived from the causing event's id (or the timer's key), the checkpoint moves only after
//! they were answered, and command handlers are idempotent by command id. A replay (crash,
//! restart, rebuild) therefore re-sends the same commands and changes nothing.
//!
//! Timers live in `saga_timers`. Due timers are claimed in a short transaction (with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several runners share the work; under SQLite's
//! single write lock on SQLite) by taking a lease; their commands are sent outside it (a
//! transaction held across a command would deadlock SQLite's one writer); then they are marked
//! fired. A runner that dies between claim and mark leaves a lease that expires: the next one
//! sends the same command ids again, which has no second effect.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use infrastructure::DatabaseKind;
use infrastructure::checkpoints;
use infrastructure::kafka::{Delivery, KafkaFeed, KafkaFeedError};
use shared_kernel::application::event_id_for;
use shared_kernel::{
    Clock, CommandBus, CommandEnvelope, CommandOutcome, EventFeed, Recorded, Timestamp,
};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::ProjectionError;

const BATCH: usize = 64;
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// How long a claimed timer is reserved for the runner firing it.
const LEASE_MS: i64 = 30_000;
/// Namespace of timer-derived command ids.
const TIMER_NAMESPACE: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_7131_6e72);

/// A command a reaction sends (its id is derived by the runtime).
#[derive(Debug, Clone, PartialEq)]
pub struct Dispatch {
    pub context: String,
    pub name: String,
    pub payload: serde_json::Value,
}

/// A timer to set: fires once at `due_at` unless cancelled first.
#[derive(Debug, Clone, PartialEq)]
pub struct SetTimer {
    /// Unique within the saga, e.g. `payment-timeout:<order id>`; setting it again is a no-op.
    pub key: String,
    pub due_at: Timestamp,
    pub payload: serde_json::Value,
}

/// What a saga does about one event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reaction {
    pub send: Vec<Dispatch>,
    pub set_timers: Vec<SetTimer>,
    pub cancel_timers: Vec<String>,
}

/// A process manager: pure decisions, the runtime does the I/O.
pub trait ProcessManager: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    /// What to do about `event` (most events: nothing).
    fn react(&self, event: &Recorded) -> Reaction;
    /// What to send when timer `key` fires.
    fn on_timer(&self, key: &str, payload: &serde_json::Value) -> Vec<Dispatch>;
}

#[derive(Debug, Clone)]
pub struct SagaRunner {
    saga: Arc<dyn ProcessManager>,
    pool: AnyPool,
    kind: DatabaseKind,
    bus: Arc<dyn CommandBus>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum SagaError {
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("command {0} was not answered: {1}")]
    NotSent(Uuid, shared_kernel::BusError),
}

impl From<sqlx::Error> for SagaError {
    fn from(e: sqlx::Error) -> Self {
        Self::Projection(e.into())
    }
}

impl From<shared_kernel::StoreError> for SagaError {
    fn from(e: shared_kernel::StoreError) -> Self {
        Self::Projection(e.into())
    }
}

fn millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

impl SagaRunner {
    #[must_use]
    pub fn new(
        saga: Arc<dyn ProcessManager>,
        pool: AnyPool,
        kind: DatabaseKind,
        bus: Arc<dyn CommandBus>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            saga,
            pool,
            kind,
            bus,
            clock,
        }
    }

    fn checkpoint_name(&self) -> String {
        format!("saga.{}", self.saga.name())
    }

    async fn send(
        &self,
        command_id: Uuid,
        cause: Option<&Recorded>,
        send: &Dispatch,
    ) -> Result<(), SagaError> {
        let envelope = CommandEnvelope {
            command_id,
            context: send.context.clone(),
            name: send.name.clone(),
            payload: send.payload.clone(),
            actor: Some(format!("system:saga:{}", self.saga.name())),
            correlation_id: cause.and_then(|e| e.metadata.correlation_id),
            causation_id: cause.map(|e| e.event_id),
        };
        let reply = self
            .bus
            .send(envelope)
            .await
            .map_err(|e| SagaError::NotSent(command_id, e))?;
        if let CommandOutcome::Rejected { code, message, .. } = reply.outcome {
            // A business outcome, not a failure of the saga: the target context recorded
            // nothing, and its own events (if any) tell the saga what happened.
            tracing::info!(saga = self.saga.name(), %command_id, %code, %message, "command rejected");
        }
        Ok(())
    }

    /// Handles one event: records its timers, sends its commands, then cancels timers.
    async fn handle(&self, event: &Recorded) -> Result<(), SagaError> {
        let reaction = self.saga.react(event);
        // Timers first: a command may wait long for its answer (a slow payment provider), and
        // the timer that bounds that wait must exist meanwhile. Setting a timer is idempotent.
        for timer in &reaction.set_timers {
            sqlx::query(
                "INSERT INTO saga_timers (saga, key, due_at, payload) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (saga, key) DO NOTHING",
            )
            .bind(self.saga.name())
            .bind(&timer.key)
            .bind(millis(timer.due_at))
            .bind(timer.payload.to_string())
            .execute(&self.pool)
            .await?;
        }
        for (i, send) in reaction.send.iter().enumerate() {
            self.send(event_id_for(event.event_id, i), Some(event), send)
                .await?;
        }
        let now = millis(self.clock.now());
        for key in &reaction.cancel_timers {
            // A tombstone, even for a timer not set yet: replays must not revive it.
            sqlx::query(
                "INSERT INTO saga_timers (saga, key, due_at, payload, cancelled_at) \
                 VALUES ($1, $2, 0, 'null', $3) \
                 ON CONFLICT (saga, key) DO UPDATE SET cancelled_at = $3 \
                 WHERE saga_timers.fired_at IS NULL AND saga_timers.cancelled_at IS NULL",
            )
            .bind(self.saga.name())
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// Reacts to events from `feed` until `shutdown`, and fires due timers meanwhile.
    pub async fn run(self, feed: Arc<dyn EventFeed>, shutdown: CancellationToken) {
        let timers = tokio::spawn(self.clone().run_timers(shutdown.clone()));
        let name = self.checkpoint_name();
        while !shutdown.is_cancelled() {
            let from = match checkpoints::load(&self.pool, &name).await {
                Ok(c) => c.unwrap_or_default(),
                Err(e) => {
                    tracing::warn!(saga = %name, error = %e, "cannot read checkpoint");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            let mut batches = match feed.subscribe(&name, from).await {
                Ok(s) => s.ready_chunks(BATCH),
                Err(e) => {
                    tracing::warn!(saga = %name, error = %e, "cannot subscribe");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            loop {
                let batch = tokio::select! {
                    b = batches.next() => b,
                    () = shutdown.cancelled() => break,
                };
                let Some(batch) = batch else { break };
                match self.handle_batch(batch, &name).await {
                    Ok(()) => {}
                    Err(e) => {
                        // Resume from the checkpoint: what was sent is sent again, idempotently.
                        tracing::warn!(saga = %name, error = %e, "saga batch failed; retrying");
                        tokio::time::sleep(RETRY_PAUSE).await;
                        break;
                    }
                }
            }
        }
        timers.abort();
    }

    /// Handles a batch: streams react concurrently, each stream's events in order, so a
    /// reaction waiting on a slow command (a payment provider) does not hold up other orders'
    /// reactions. Callers move their checkpoint only after the whole batch.
    async fn react_by_stream<'a>(
        &self,
        events: impl Iterator<Item = &'a Recorded>,
    ) -> Result<(), SagaError> {
        let mut by_stream: Vec<(&str, Vec<&Recorded>)> = Vec::new();
        for event in events {
            match by_stream
                .iter_mut()
                .find(|(s, _)| *s == event.stream_id.as_str())
            {
                Some((_, group)) => group.push(event),
                None => by_stream.push((event.stream_id.as_str(), vec![event])),
            }
        }
        futures::future::try_join_all(by_stream.into_iter().map(|(_, group)| async move {
            for event in group {
                self.handle(event).await?;
            }
            Ok::<(), SagaError>(())
        }))
        .await?;
        Ok(())
    }

    async fn handle_batch(
        &self,
        batch: Vec<Result<Recorded, shared_kernel::FeedError>>,
        name: &str,
    ) -> Result<(), SagaError> {
        let events = batch
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| shared_kernel::StoreError::Unavailable(Box::new(e)))?;
        let last = events.last().map(|e| e.cursor);
        self.react_by_stream(events.iter()).await?;
        if let Some(cursor) = last {
            checkpoints::save(&self.pool, name, cursor).await?;
        }
        Ok(())
    }

    /// Like [`Self::run`], reading events from Kafka as consumer group `group` (its caller
    /// picks the name). Partition offsets are stored in the read-model database after each
    /// batch's reactions: a crash repeats at most one batch, whose commands and timers are
    /// idempotent (same ids, same keys). No transaction is held while commands are sent.
    pub async fn run_kafka(
        self,
        connect: impl Fn(&str) -> Result<KafkaFeed, KafkaFeedError> + Send,
        shutdown: CancellationToken,
    ) {
        let timers = tokio::spawn(self.clone().run_timers(shutdown.clone()));
        let name = self.checkpoint_name();
        let mut next: HashMap<(String, i32), i64> = HashMap::new();
        while !shutdown.is_cancelled() {
            let feed = match connect(&name) {
                Ok(feed) => feed,
                Err(e) => {
                    tracing::warn!(saga = %name, error = %e, "cannot join consumer group");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            loop {
                let batch = tokio::select! {
                    b = feed.next_batch(BATCH, Duration::from_millis(20)) => b,
                    () = shutdown.cancelled() => break,
                };
                let outcome = match batch {
                    Ok(batch) => self.handle_kafka_batch(&batch, &name, &mut next).await,
                    Err(e) => Err(SagaError::Projection(ProjectionError::Store(
                        shared_kernel::StoreError::Unavailable(Box::new(e)),
                    ))),
                };
                if let Err(e) = outcome {
                    // Forget the cached offsets: rejoin and resume from the stored ones.
                    tracing::warn!(saga = %name, error = %e, "saga batch failed; rejoining");
                    next.clear();
                    tokio::time::sleep(RETRY_PAUSE).await;
                    break;
                }
            }
        }
        timers.abort();
    }

    async fn handle_kafka_batch(
        &self,
        batch: &[Delivery],
        name: &str,
        next: &mut HashMap<(String, i32), i64>,
    ) -> Result<(), SagaError> {
        let mut moved: Vec<(String, i32)> = Vec::new();
        let mut fresh: Vec<&Recorded> = Vec::new();
        for d in batch {
            let key = (d.topic.clone(), d.partition);
            let stored = match next.get(&key) {
                Some(n) => *n,
                None => checkpoints::load_offset(&self.pool, name, &d.topic, d.partition).await?,
            };
            if d.offset < stored {
                next.insert(key, stored);
                continue;
            }
            fresh.push(&d.event);
            next.insert(key.clone(), d.offset + 1);
            if !moved.contains(&key) {
                moved.push(key);
            }
        }
        if let Err(e) = self.react_by_stream(fresh.into_iter()).await {
            // Nothing of this batch counts as done: the caller rejoins from the stored offsets.
            next.clear();
            return Err(e);
        }
        for key in moved {
            if let Some(offset) = next.get(&key) {
                checkpoints::store_offset(&self.pool, name, &key.0, key.1, *offset).await?;
            }
        }
        Ok(())
    }

    async fn run_timers(self, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            match self.fire_due_timers().await {
                Ok(0) => {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(saga = self.saga.name(), error = %e, "timers failed; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
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
        for (key, payload) in &due {
            let payload: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
            let timer_id = Uuid::new_v5(
                &TIMER_NAMESPACE,
                format!("{}/{key}", self.saga.name()).as_bytes(),
            );
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

    async fn claim_due_timers(&self, now: i64) -> Result<Vec<(String, String)>, SagaError> {
        let mut tx = self.pool.begin().await?;
        let claim = match self.kind {
            DatabaseKind::Postgres => {
                "SELECT key, payload FROM saga_timers \
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
                "SELECT key, payload FROM saga_timers \
                 WHERE saga = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND due_at <= $2 \
                   AND (claimed_until IS NULL OR claimed_until < $2) \
                 ORDER BY due_at LIMIT 32"
            }
        };
        let due: Vec<(String, String)> = sqlx::query_as(claim)
            .bind(self.saga.name())
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
        for (key, _) in &due {
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
