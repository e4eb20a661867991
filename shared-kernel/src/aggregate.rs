//! The shape of a consistency boundary: pure `decide` and `evolve`.

use crate::clock::Timestamp;

/// Why a stored event could not be turned back into a domain event.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {event_type} v{schema_version}")]
    UnknownType {
        event_type: String,
        schema_version: u32,
    },
    #[error("event {event_type} v{schema_version} is newer than this code understands")]
    FromTheFuture {
        event_type: String,
        schema_version: u32,
    },
    #[error("malformed {event_type} data: {source}")]
    Malformed {
        event_type: String,
        #[source]
        source: serde_json::Error,
    },
}

/// An event of one aggregate: knows its published type name and schema version, and how to
/// turn itself into stored JSON and back (upcasting older versions on the way in).
pub trait DomainEvent: Sized + Send + Sync + std::fmt::Debug {
    /// `agora.<context>.<event_name>` (without the version).
    fn event_type(&self) -> &'static str;

    /// The current schema version of this event type.
    fn schema_version(&self) -> u32;

    /// The event's `data` as stored.
    ///
    /// # Errors
    /// Serialisation failed (not expected for plain data types).
    fn to_data(&self) -> Result<serde_json::Value, serde_json::Error>;

    /// Decodes stored data of any known version of `event_type` into the current shape.
    ///
    /// # Errors
    /// Unknown type, a version newer than this code, or data that does not match the schema.
    fn decode(
        event_type: &str,
        schema_version: u32,
        data: serde_json::Value,
    ) -> Result<Self, DecodeError>;
}

/// When an aggregate's state is stored beside its stream, so a load reads only the events after
/// it (O(events since the snapshot) instead of O(stream)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotPolicy {
    /// A new snapshot is written once the stream is this many events past the last one.
    pub every: u64,
    /// The version of the snapshot's shape *and* of `evolve`: bump it whenever either changes,
    /// and older snapshots are ignored (the stream is folded from the start, then snapshotted
    /// anew), so a changed `evolve` never starts from a state an old one built.
    pub schema: u32,
}

/// A consistency boundary. Pure: no clock, no randomness, no I/O; what it needs comes in.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    /// The stream id prefix: `"product"` gives streams `product-<uuid>`.
    const KIND: &'static str;
    type Command: Clone + Send + Sync;
    type Event: DomainEvent;
    /// Domain rule violations only; infrastructure failures are never this type.
    type Error: std::error::Error + Send + Sync + 'static;

    /// # Errors
    /// The command breaks one of the aggregate's rules in its current state.
    fn decide(
        &self,
        command: Self::Command,
        now: Timestamp,
    ) -> Result<Vec<Self::Event>, Self::Error>;

    #[must_use]
    fn evolve(self, event: &Self::Event) -> Self;

    /// Whether and how often loads of this aggregate are cut short by a snapshot: `None` (the
    /// default) folds the whole stream on every load, which is right for short streams. Long,
    /// hot streams (a popular sku's stock) set a policy and implement [`Self::to_snapshot`] and
    /// [`Self::from_snapshot`].
    const SNAPSHOTS: Option<SnapshotPolicy> = None;

    /// The state as a snapshot, or `None` when this aggregate takes none.
    #[must_use]
    fn to_snapshot(&self) -> Option<serde_json::Value> {
        None
    }

    /// The state a snapshot of [`SnapshotPolicy::schema`] holds, or `None` when it cannot be
    /// read (then the stream is folded from its first event).
    #[must_use]
    fn from_snapshot(_snapshot: serde_json::Value) -> Option<Self> {
        None
    }

    /// Whether `command` starts a stream (places an order, opens a payment): then a command
    /// handled where nothing is cached is first decided on the initial state and appended
    /// expecting no stream, which saves reading a stream that is nearly always empty. When it
    /// is not empty after all (a redelivery), the append conflicts and the command is decided
    /// again on a fresh load. `false` by default.
    #[must_use]
    fn creates(_command: &Self::Command) -> bool {
        false
    }

    /// The state after all `events`, from the initial state.
    #[must_use]
    fn replay<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(Self::default(), Self::evolve)
    }
}
