//! Ports: the traits adapters in `infrastructure` implement. Application code depends on these
//! and never on an adapter, so the embedded default and production share one code path.

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::clock::Timestamp;
use crate::command::{CommandEnvelope, CommandReply};
use crate::event::{Appended, Cursor, ExpectedVersion, NewEvent, Recorded, Snapshot, StreamId};
use crate::filter::EventFilter;

type Source = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stream is not at the expected version: reload, decide again, retry.
    #[error("concurrency conflict on {stream}: expected {expected}, stream is at {actual}")]
    Conflict {
        stream: StreamId,
        expected: ExpectedVersion,
        actual: u64,
    },
    /// An event id in the batch is already stored as part of a different append.
    #[error("event {0} is already stored in another stream or at another version")]
    DuplicateEvent(uuid::Uuid),
    #[error("an append needs at least one event")]
    EmptyAppend,
    /// Stored data that this code cannot read (a bug or a foreign writer).
    #[error("corrupt stored event: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed; retrying later may succeed.
    #[error("event store unavailable: {0}")]
    Unavailable(#[source] Source),
    /// A read of the log up to a recent instant (`EventFilter::to`) could not be completed: a
    /// transaction running when the read reached its end was still running after the store's
    /// wait (`waited_ms`, milliseconds), and it may yet add an event recorded before `to`.
    /// Retrying later succeeds once it ends.
    #[error(
        "the log before {to} is not settled: a transaction that may have begun before it was \
         still running after {waited_ms} ms"
    )]
    NotSettled { to: Timestamp, waited_ms: u64 },
}

/// The event store: append-only streams plus one global, gap-free, commit-ordered log.
#[async_trait]
pub trait EventStore: Send + Sync + std::fmt::Debug {
    /// Appends `events` to `stream` atomically if the stream is at `expected`.
    ///
    /// Appending a batch whose event ids are all already stored, at the same stream positions,
    /// is a no-op that returns the original result (safe retries after a lost reply).
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the stream moved on; [`StoreError::Unavailable`] on I/O.
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError>;

    /// The events of one stream with `stream_version >= from_version`, in version order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O, [`StoreError::Corrupt`] on unreadable rows.
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<Recorded>, StoreError>;

    /// Up to `limit` events after `after` in global commit order. Never returns an event while
    /// an earlier-ordered one could still commit: a reader that resumes from the last cursor it
    /// saw misses nothing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O, [`StoreError::Corrupt`] on unreadable rows.
    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<Recorded>, StoreError>;

    /// Up to `limit` events after `after` that `filter` selects, in global commit order, with
    /// the same guarantee as [`Self::read_all`]: resuming from the last cursor returned misses
    /// nothing. Stores serve every condition of the filter from an index; this default reads
    /// the whole log in pages and filters them (for test doubles).
    ///
    /// A range that ends at an instant already past (`filter.to`) is read **settled**: a page
    /// shorter than `limit` (the range's end, as far as the reader can tell) holds every event
    /// recorded before `to`, not only those the gap-free order lets out so far. A store whose
    /// commits can overtake each other (PostgreSQL) waits, when a short page ends such a range,
    /// until the transactions running at that moment have ended.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O, [`StoreError::Corrupt`] on unreadable rows,
    /// [`StoreError::NotSettled`] when a transaction that may still add to a past range runs
    /// longer than the store waits.
    async fn read_filtered(
        &self,
        filter: &EventFilter,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<Recorded>, StoreError> {
        let mut found = Vec::new();
        let mut cursor = after;
        if filter.matches_nothing() {
            return Ok(found);
        }
        loop {
            let page = self.read_all(cursor, 1_000).await?;
            let Some(last) = page.last().map(|e| e.cursor) else {
                return Ok(found);
            };
            cursor = last;
            for event in page {
                if filter.matches(&event) {
                    found.push(event);
                    if found.len() >= limit {
                        return Ok(found);
                    }
                }
            }
        }
    }

    /// Every event after `after`, then each new one as it commits; never ends on its own.
    /// Woken by the store's notifications rather than by polling.
    fn tail(&self, after: Cursor) -> BoxStream<'_, Result<Recorded, StoreError>>;

    /// The cursor of the newest event a reader could see now (`Cursor::START` when empty).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn head(&self) -> Result<Cursor, StoreError>;

    /// The position of the newest committed event, whether or not a reader of the global order
    /// may see it yet (on PostgreSQL an older transaction still running holds readers back; see
    /// [`Self::read_all`]); 0 when the store is empty. What "everything stored by now" means to
    /// a caller that waits for a read model to catch up. The store's head by default.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn latest_position(&self) -> Result<u64, StoreError> {
        Ok(self.head().await?.position)
    }

    /// The cursor of the event at global `position`, if it is stored and readable; how a
    /// read-your-writes wait turns a position into a point in the global order.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn cursor_of(&self, position: u64) -> Result<Option<Cursor>, StoreError>;

    /// The result of the command with this id, if it appended events: its stream and the
    /// version and position of its last event. Events carry their command id (metadata), so
    /// this is recorded in the same transaction as the command's effect.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn command_result(
        &self,
        command_id: uuid::Uuid,
    ) -> Result<Option<(StreamId, Appended)>, StoreError>;

    /// The snapshot stored for `stream`, if any (one indexed row).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O, [`StoreError::Corrupt`] on an unreadable row.
    async fn read_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError>;

    /// Stores `snapshot` for `stream` unless one of a later version is stored already, so
    /// racing writers keep the newest. A snapshot is an optimisation: losing one costs a
    /// longer load, never a wrong state.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn write_snapshot(
        &self,
        stream: &StreamId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError>;

    /// The aggregates this store keeps in memory between commands, if it keeps any (see
    /// [`crate::cache`]). Every appender of a stream goes through this store's optimistic
    /// concurrency check, so a stale entry costs a conflict and a reload, never a wrong
    /// decision.
    fn aggregate_cache(&self) -> Option<&crate::cache::AggregateCache> {
        None
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// No handler of this context is reachable: with the in-process bus, the context does not
    /// run in this process (only a broker carries commands between processes).
    #[error(
        "no handler for context {0}: it does not run in this process, and commands reach \
         other processes only through a broker (--amqp-url)"
    )]
    NoRoute(String),
    /// The command was sent but no reply came in time; it may still be processed.
    #[error("no reply within {0:?}")]
    Timeout(std::time::Duration),
    #[error("command bus unavailable: {0}")]
    Unavailable(#[source] Source),
}

/// Where commands are sent: in-process channels or RabbitMQ.
#[async_trait]
pub trait CommandBus: Send + Sync + std::fmt::Debug {
    /// Sends a command to its context and waits for the reply.
    ///
    /// # Errors
    /// No route, a timeout, or an unreachable broker.
    async fn send(&self, command: CommandEnvelope) -> Result<CommandReply, BusError>;
}

/// The receiving side of the bus: one per context.
#[async_trait]
pub trait CommandHandler: Send + Sync + std::fmt::Debug {
    /// Handles one command. Domain rejections are replies, not errors.
    ///
    /// # Errors
    /// Infrastructure failures (the bus may redeliver the command later).
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError>;
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("event feed unavailable: {0}")]
    Unavailable(#[source] Source),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A page of the global log. Events are shared, not copied, between the consumers that read
/// the same page.
pub type Page = Vec<std::sync::Arc<Recorded>>;

/// Where projectors and sagas read the global log from, a page at a time.
///
/// One feed serves every consumer of a process: consumers near the head share one read of the
/// store (DESIGN.md, hard problem 9), and a consumer further behind (a rebuild, a slow one)
/// reads the store on its own until it has caught up, without holding the others back.
#[async_trait]
pub trait EventFeed: Send + Sync + std::fmt::Debug {
    /// Up to `max` events after `after`, in global order; waits until there is at least one.
    /// Cancel-safe: a caller may drop the future (to flush a checkpoint, or to stop) and call
    /// again with the same cursor.
    ///
    /// # Errors
    /// The feed or the store behind it cannot be read (a retry later may succeed).
    async fn next_page(&self, after: Cursor, max: usize) -> Result<Page, FeedError>;
}

/// Durable reading positions of named consumers (relay, sagas) that keep no read model of
/// their own; projectors store theirs in the read-model transaction instead.
#[async_trait]
pub trait CheckpointStore: Send + Sync + std::fmt::Debug {
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn load(&self, name: &str) -> Result<Option<Cursor>, StoreError>;
    /// # Errors
    /// [`StoreError::Unavailable`] on I/O.
    async fn save(&self, name: &str, cursor: Cursor) -> Result<(), StoreError>;
}
