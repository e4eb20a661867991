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

/// A consistency boundary. Pure: no clock, no randomness, no I/O; what it needs comes in.
pub trait Aggregate: Default + Send + Sync {
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

    /// The state after all `events`, from the initial state.
    #[must_use]
    fn replay<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self
    where
        Self::Event: 'a,
    {
        events.into_iter().fold(Self::default(), Self::evolve)
    }
}
