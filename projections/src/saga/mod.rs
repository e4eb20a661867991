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

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::time::Duration;

use infrastructure::DatabaseKind;
use infrastructure::checkpoints;
use shared_kernel::application::event_id_for;
use shared_kernel::{
    Clock, CommandBus, CommandEnvelope, CommandOutcome, EventFeed, Recorded, Timestamp,
};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::board::CheckpointBoard;
use crate::{Interest, LazyCheckpoints, ProjectionError};

mod position;
mod timers;

use self::position::LazyPosition;

const BATCH: usize = 64;
/// The longest the timer loop sleeps without looking (timers set by other processes).
const TIMER_RECHECK: Duration = Duration::from_secs(5);
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// How long after the saga's own last failure (any failed reaction, read of its feed or
/// firing of a timer: the bus or the database not answering) its timers wait before they fire: the steps an outage held up run first. The deadlines of a
/// saga bound how long the outside world takes (a payment provider), not how long the
/// platform itself was down: issue 23's fault suite saw an order in flight when RabbitMQ or
/// PostgreSQL stopped for 30 s cancelled by its payment deadline as the platform came back.
const CALM_BEFORE_TIMERS: Duration = Duration::from_secs(15);
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
    /// When it falls due: a fixed instant (a schedule, a reservation's expiry), or with
    /// `from_reaction` the end of a delay the reaction reckons from its event's `recorded_at`.
    pub due_at: Timestamp,
    /// Whether the delay `due_at - recorded_at` counts from when the saga reacts rather than
    /// from the event: for a deadline on the work the reaction itself starts (a payment
    /// deadline), which a saga that reads the event late (its feed was down) must not find
    /// already past. The runtime stores `due_at + (now - recorded_at)`; a fixed instant
    /// (`false`) is stored as it is.
    pub from_reaction: bool,
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
    /// When a reaction, a read of the feed or a timer last failed (Unix ms; `i64::MIN`:
    /// never): timers wait [`CALM_BEFORE_TIMERS`] after it.
    last_failure: Arc<AtomicI64>,
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

/// `timer` as set by a reaction to `event` that runs at `now`: with `from_reaction`, its delay
/// is counted from the reaction, not from the event. A saga that reads an event late (its feed was down: Kafka
/// paused 30 s, its process restarted) would otherwise set deadlines already past, and act on
/// them before the commands of the same reaction had a chance: issue 23's fault suite saw 22
/// of 162 acknowledged orders cancelled by their payment deadline after a 30 s Kafka pause,
/// before the platform had asked for their payment. Without lag (the common case, a few ms)
/// nothing moves.
fn counted_from_reaction(timer: &SetTimer, event: &Recorded, now: Timestamp) -> SetTimer {
    if !timer.from_reaction {
        return timer.clone();
    }
    let lag = (now - event.recorded_at).max(chrono::TimeDelta::zero());
    SetTimer {
        due_at: timer.due_at + lag,
        ..timer.clone()
    }
}

fn millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

fn millis_of(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
            last_failure: Arc::new(AtomicI64::new(i64::MIN)),
        }
    }

    /// Notes that the saga could not do its work just now (see [`CALM_BEFORE_TIMERS`]).
    fn failed(&self) {
        self.last_failure.fetch_max(
            millis(self.clock.now()),
            std::sync::atomic::Ordering::AcqRel,
        );
    }

    /// When timers may fire again after the saga's last failure (Unix ms).
    fn calm_from(&self) -> i64 {
        self.last_failure
            .load(std::sync::atomic::Ordering::Acquire)
            .saturating_add(millis_of(CALM_BEFORE_TIMERS))
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
    ///
    /// A page may hold one event twice (a copy the relay produced again): each event is
    /// reacted to once, and each timer key is set or cancelled once per statement, because
    /// PostgreSQL refuses an `ON CONFLICT DO UPDATE` that touches one row twice (two events of
    /// a page may also cancel the same timer: a declined payment and the rejection it causes).
    async fn react(&self, events: &[&Recorded]) -> Result<(), SagaError> {
        let reacted = self.react_once(events).await;
        if reacted.is_err() {
            self.failed();
        }
        reacted
    }

    async fn react_once(&self, events: &[&Recorded]) -> Result<(), SagaError> {
        let mut seen = HashSet::new();
        let reactions: Vec<(&Recorded, Reaction)> = events
            .iter()
            .filter(|e| seen.insert(e.event_id))
            .map(|e| (*e, self.saga.react(e)))
            .collect();
        let now = self.clock.now();
        let set: Vec<SetTimer> = reactions
            .iter()
            .flat_map(|(e, r)| {
                r.set_timers
                    .iter()
                    .map(move |t| counted_from_reaction(t, e, now))
            })
            .collect();
        self.set_timers(&set.iter().collect::<Vec<_>>()).await?;
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
                    self.failed();
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
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use shared_kernel::{Cursor, EventMetadata, Recorded, StreamId};
    use uuid::Uuid;

    use super::{SetTimer, counted_from_reaction};

    fn recorded_at(at: shared_kernel::Timestamp) -> Recorded {
        Recorded {
            event_id: Uuid::now_v7(),
            stream_id: StreamId::of("order", Uuid::now_v7()),
            stream_version: 1,
            position: 1,
            cursor: Cursor::START,
            event_type: "agora.ordering.order_placed".into(),
            schema_version: 1,
            data: serde_json::Value::Null,
            metadata: EventMetadata::default(),
            recorded_at: at,
        }
    }

    /// Found by a reviewer: shifting every timer by the saga's lag would move a fixed instant
    /// (an episode's publication, a reservation's expiry) by the age of its event, a day for a
    /// new saga reading yesterday's schedule.
    #[test]
    fn only_deadlines_on_the_reaction_move_with_its_lag() {
        let placed = chrono::Utc::now() - Duration::days(1);
        let event = recorded_at(placed);
        let now = placed + Duration::seconds(60);
        let timer = |from_reaction| SetTimer {
            key: "k".into(),
            due_at: placed + Duration::seconds(30),
            from_reaction,
            payload: serde_json::Value::Null,
        };
        assert_eq!(
            counted_from_reaction(&timer(true), &event, now).due_at,
            now + Duration::seconds(30)
        );
        assert_eq!(
            counted_from_reaction(&timer(false), &event, now).due_at,
            placed + Duration::seconds(30)
        );
        let early = recorded_at(now + Duration::seconds(5)); // a clock behind the store's
        assert_eq!(
            counted_from_reaction(&timer(true), &early, now).due_at,
            placed + Duration::seconds(30)
        );
    }
}
