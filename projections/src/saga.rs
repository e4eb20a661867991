//! Process managers (sagas): react to events by sending commands, and to durable timers.
//!
//! Exactly-once *effect* without distributed transactions: a reaction's commands get ids
//! derived from the causing event's id (or the timer's key), the checkpoint never passes a
//! command that was not answered, and command handlers are idempotent by command id. A replay
//! (crash, restart, rebuild) therefore re-sends the same commands and changes nothing, which is
//! also why a saga's checkpoint is stored lazily (at most [`LazyCheckpoints`] behind): a crash
//! repeats at most that much, to no effect.
//!
//! A saga reads the process's shared feed and declares the events it reacts to
//! ([`ProcessManager::handles`]); pages with none of them cost nothing. The timers a page's
//! reactions set are inserted in one statement, and the ones they cancel in another.
//!
//! Timers live in `saga_timers`. The timer loop sleeps until the earliest timer is due (woken
//! early when this process sets one; it looks again at least every few seconds for timers
//! other processes set). Due timers are claimed in a short transaction (with
//! `FOR UPDATE SKIP LOCKED` on PostgreSQL, so several runners share the work; under SQLite's
//! single write lock on SQLite) by taking a lease; their commands are sent outside it (a
//! transaction held across a command would deadlock SQLite's one writer); then they are marked
//! fired. A runner that dies between claim and mark leaves a lease that expires: the next one
//! sends the same command ids again, which has no second effect.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use infrastructure::DatabaseKind;
use infrastructure::checkpoints;
use shared_kernel::application::event_id_for;
use shared_kernel::{
    Clock, CommandBus, CommandEnvelope, CommandOutcome, Cursor, EventFeed, Recorded, Timestamp,
};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::board::{CheckpointBoard, Outcome};
use crate::{Interest, LazyCheckpoints, ProjectionError};

const BATCH: usize = 64;
/// The longest the timer loop sleeps without looking (timers set by other processes).
const TIMER_RECHECK: Duration = Duration::from_secs(5);
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
    /// The events [`react`](Self::react) may do something about; the runtime skips the rest.
    fn handles(&self) -> Interest;
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
    lazy: LazyCheckpoints,
    board: Option<CheckpointBoard>,
    /// Wakes the timer loop when this process sets a timer...
    timer_set: Arc<tokio::sync::Notify>,
    /// ...due at this time (Unix ms; `i64::MAX` when none was set since it last looked).
    earliest_set: Arc<AtomicI64>,
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

fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A saga's place in the log: where it has reacted up to, and what its checkpoint says.
#[derive(Debug)]
struct LazyPosition {
    applied: Cursor,
    stored: Cursor,
    unsaved: u64,
    unsaved_since: Option<tokio::time::Instant>,
}

impl LazyPosition {
    const fn at(cursor: Cursor) -> Self {
        Self {
            applied: cursor,
            stored: cursor,
            unsaved: 0,
            unsaved_since: None,
        }
    }

    fn moved(&mut self, to: Cursor, events: u64) {
        if to > self.applied {
            self.applied = to;
            self.unsaved += events;
            self.unsaved_since
                .get_or_insert_with(tokio::time::Instant::now);
        }
    }

    fn due(&self, lazy: LazyCheckpoints) -> bool {
        self.applied > self.stored
            && (self.unsaved >= lazy.max_events
                || self
                    .unsaved_since
                    .is_some_and(|t| t.elapsed() >= lazy.max_age))
    }

    fn due_at(&self, lazy: LazyCheckpoints) -> tokio::time::Instant {
        match self.unsaved_since {
            Some(t) if self.applied > self.stored => t + lazy.max_age,
            _ => tokio::time::Instant::now() + Duration::from_secs(3600),
        }
    }

    /// Posts the checkpoint on the process's board (written with every other consumer's), or
    /// stores it itself when there is no board or the saga stops.
    async fn store_or_post(&mut self, pool: &AnyPool, board: Option<&CheckpointBoard>, name: &str) {
        match board {
            Some(board) if self.applied > self.stored => {
                board.post(name, self.stored, self.applied);
                // Posted again only if still unsaved a whole period later.
                self.unsaved_since = Some(tokio::time::Instant::now());
            }
            Some(_) => {}
            None => self.store(pool, name).await,
        }
    }

    /// What the board did with the last post.
    fn posted(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Moved(cursor) if cursor > self.stored => {
                self.stored = cursor;
                if self.applied <= cursor {
                    self.unsaved = 0;
                    self.unsaved_since = None;
                }
            }
            Outcome::Moved(_) => {}
            // Another runner of the saga moved it: it reacted to everything before it.
            Outcome::Found(cursor) => {
                self.stored = cursor;
                self.applied = self.applied.max(cursor);
            }
        }
    }

    /// Stores the checkpoint unless another runner of the saga moved it; then adopts the
    /// furthest (that runner reacted to everything before it).
    async fn store(&mut self, pool: &AnyPool, name: &str) {
        if self.applied <= self.stored {
            return;
        }
        match checkpoints::advance(pool, name, self.stored, self.applied).await {
            Ok(true) => *self = Self::at(self.applied),
            Ok(false) => match checkpoints::load(pool, name).await {
                Ok(found) => {
                    self.stored = found.unwrap_or_default();
                    self.applied = self.applied.max(self.stored);
                }
                Err(e) => tracing::warn!(saga = name, error = %e, "cannot read checkpoint"),
            },
            Err(e) => tracing::warn!(saga = name, error = %e, "cannot store checkpoint; later"),
        }
    }
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
            lazy: LazyCheckpoints::default(),
            board: None,
            timer_set: Arc::default(),
            earliest_set: Arc::new(AtomicI64::new(i64::MAX)),
        }
    }

    /// Posts the checkpoint on the process's `board` instead of storing it alone.
    #[must_use]
    pub fn with_board(mut self, board: CheckpointBoard) -> Self {
        self.board = Some(board);
        self
    }

    /// Overrides how lazily the checkpoint is stored.
    #[must_use]
    pub const fn with_lazy_checkpoints(mut self, lazy: LazyCheckpoints) -> Self {
        self.lazy = lazy;
        self
    }

    /// The checkpoint's (and Kafka offsets') name: `saga.<name>`.
    pub(crate) fn checkpoint_name(&self) -> String {
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

    /// Reacts to `events` (in order within each stream): first every timer their reactions
    /// set, in one statement; then their commands, streams concurrently, each stream's in
    /// order, so a reaction waiting on a slow command (a payment provider) does not hold up
    /// other orders'; then every timer they cancel, in one statement. Timers go first because
    /// a command may wait long for its answer and the timer bounding that wait must exist
    /// meanwhile; both statements are idempotent, and a cancelled timer is a tombstone that a
    /// later set does not revive, so their order within the page does not matter.
    async fn react(&self, events: &[&Recorded]) -> Result<(), SagaError> {
        let reactions: Vec<(&Recorded, Reaction)> =
            events.iter().map(|e| (*e, self.saga.react(e))).collect();
        let set: Vec<&SetTimer> = reactions.iter().flat_map(|(_, r)| &r.set_timers).collect();
        self.set_timers(&set).await?;
        let mut by_stream: Vec<(&str, Vec<&(&Recorded, Reaction)>)> = Vec::new();
        for reaction in reactions.iter().filter(|(_, r)| !r.send.is_empty()) {
            let stream = reaction.0.stream_id.as_str();
            match by_stream.iter_mut().find(|(s, _)| *s == stream) {
                Some((_, group)) => group.push(reaction),
                None => by_stream.push((stream, vec![reaction])),
            }
        }
        futures::future::try_join_all(by_stream.into_iter().map(|(_, group)| async move {
            for (event, reaction) in group {
                for (i, send) in reaction.send.iter().enumerate() {
                    self.send(event_id_for(event.event_id, i), Some(event), send)
                        .await?;
                }
            }
            Ok::<(), SagaError>(())
        }))
        .await?;
        let cancel: Vec<&str> = reactions
            .iter()
            .flat_map(|(_, r)| r.cancel_timers.iter().map(String::as_str))
            .collect();
        self.cancel_timers(&cancel).await
    }

    async fn set_timers(&self, timers: &[&SetTimer]) -> Result<(), SagaError> {
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
        for timer in timers {
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
    async fn cancel_timers(&self, keys: &[&str]) -> Result<(), SagaError> {
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
            query = query.bind(*key);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// Reacts to events from `feed` until `shutdown`, and fires due timers meanwhile.
    pub async fn run(self, feed: Arc<dyn EventFeed>, shutdown: CancellationToken) {
        let timers = tokio::spawn(self.clone().run_timers(shutdown.clone()));
        let name = self.checkpoint_name();
        let interest = self.saga.handles();
        let mut position = loop {
            match checkpoints::load(&self.pool, &name).await {
                Ok(c) => break LazyPosition::at(c.unwrap_or_default()),
                Err(e) => {
                    tracing::warn!(saga = %name, error = %e, "cannot read checkpoint");
                    tokio::select! {
                        () = tokio::time::sleep(RETRY_PAUSE) => {}
                        () = shutdown.cancelled() => return,
                    }
                }
            }
        };
        loop {
            let flush_at = position.due_at(self.lazy);
            let page = tokio::select! {
                page = feed.next_page(position.applied, BATCH) => page,
                () = tokio::time::sleep_until(flush_at) => {
                    if let Some(outcome) = self.board.as_ref().and_then(|b| b.outcome(&name)) {
                        position.posted(outcome);
                    }
                    if position.due(self.lazy) {
                        position.store_or_post(&self.pool, self.board.as_ref(), &name).await;
                    }
                    continue;
                }
                () = shutdown.cancelled() => break,
            };
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(saga = %name, error = %e, "cannot read the feed; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            let Some(last) = page.last().map(|e| e.cursor) else {
                continue;
            };
            let relevant: Vec<&Recorded> = page
                .iter()
                .map(AsRef::as_ref)
                .filter(|e| interest.matches(e))
                .collect();
            if let Err(e) = self.react(&relevant).await {
                // Read the page again: what was sent is sent again, idempotently.
                tracing::warn!(saga = %name, error = %e, "saga batch failed; retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
                continue;
            }
            position.moved(last, page.len() as u64);
            if let Some(outcome) = self.board.as_ref().and_then(|b| b.outcome(&name)) {
                position.posted(outcome);
            }
            if position.due(self.lazy) {
                position
                    .store_or_post(&self.pool, self.board.as_ref(), &name)
                    .await;
            }
        }
        position.store(&self.pool, &name).await;
        timers.abort();
    }

    /// The read-model database holding the saga's timers and checkpoint.
    pub(crate) const fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// What the saga reacts to.
    pub(crate) fn handles(&self) -> Interest {
        self.saga.handles()
    }

    /// Reacts to `events` (see [`Self::react`]); for other feeds than the store's.
    pub(crate) async fn react_to(&self, events: &[&Recorded]) -> Result<(), SagaError> {
        self.react(events).await
    }

    /// Starts the timer loop until `shutdown`.
    pub(crate) fn spawn_timers(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().run_timers(shutdown))
    }

    /// Fires timers as they fall due: sleeps until the earliest one (as the table says, or as
    /// a timer this process just set says), never longer than [`TIMER_RECHECK`].
    async fn run_timers(self, shutdown: CancellationToken) {
        let mut wake_at = 0_i64;
        loop {
            let now = millis(self.clock.now());
            if now >= wake_at {
                wake_at = match self.fire_while_due(now).await {
                    Ok(next) => next.unwrap_or(i64::MAX),
                    Err(e) => {
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

    /// Fires what is due at `now`; returns when the next timer falls due.
    async fn fire_while_due(&self, now: i64) -> Result<Option<i64>, SagaError> {
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
