//! The event envelope: what the store records and what travels to consumers.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Timestamp;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream id must look like `<kind>-<id>` with a lower-case kind, got {0:?}")]
pub struct StreamIdError(pub String);

/// A stream is one aggregate instance: `<kind>-<uuid>`, e.g. `product-0190...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

impl StreamId {
    /// The stream of aggregate `id` of kind `kind`.
    #[must_use]
    pub fn of(kind: &str, id: impl fmt::Display) -> Self {
        Self(format!("{kind}-{id}"))
    }

    /// # Errors
    /// The text is not `<kind>-<something>` with a non-empty lower-case kind.
    pub fn parse(s: &str) -> Result<Self, StreamIdError> {
        match s.split_once('-') {
            Some((kind, rest))
                if !kind.is_empty()
                    && !rest.is_empty()
                    && s.len() <= 200
                    && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
            {
                Ok(Self(s.to_owned()))
            }
            _ => Err(StreamIdError(s.to_owned())),
        }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The aggregate kind: the part before the first `-`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(k, _)| k)
    }
}

impl TryFrom<String> for StreamId {
    type Error = StreamIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<StreamId> for String {
    fn from(s: StreamId) -> Self {
        s.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the writer believes the stream's current version to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpectedVersion {
    /// No check: append after whatever is there.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream's last event must have exactly this version (`Exact(0)` = no events).
    Exact(u64),
}

impl ExpectedVersion {
    /// The version the stream must have now, if any is required.
    #[must_use]
    pub const fn required(self) -> Option<u64> {
        match self {
            Self::Any => None,
            Self::NoStream => Some(0),
            Self::Exact(v) => Some(v),
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any"),
            Self::NoStream => f.write_str("no stream"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// Who and what caused an event. Travels with every event (CloudEvents extensions on Kafka).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMetadata {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub causation_id: Option<Uuid>,
    /// The user (or `system:<component>`) on whose behalf the event was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The command that produced the event: the key of idempotent command handling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<Uuid>,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Unique across the store; appending an id that is already stored is a no-op.
    pub event_id: Uuid,
    /// `agora.<context>.<event_name>`; the CloudEvents type adds `.v<schema_version>`.
    pub event_type: String,
    pub schema_version: u32,
    pub data: serde_json::Value,
    pub metadata: EventMetadata,
}

/// A position in the global log that a reader can resume after.
///
/// On PostgreSQL the global order is `(transaction_id, position)`: positions are handed out
/// before commit, so position order alone is not commit order (DESIGN.md, hard problem 1).
/// Stores whose writers are serialised (SQLite) keep `transaction_id` at zero.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Cursor {
    pub transaction_id: u64,
    pub position: u64,
}

impl Cursor {
    /// Before the first event.
    pub const START: Self = Self {
        transaction_id: 0,
        position: 0,
    };

    #[must_use]
    pub const fn new(transaction_id: u64, position: u64) -> Self {
        Self {
            transaction_id,
            position,
        }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.transaction_id, self.position)
    }
}

impl std::str::FromStr for Cursor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("cursor must be `<transaction>.<position>`, got {s:?}");
        let (t, p) = s.split_once('.').ok_or_else(bad)?;
        Ok(Self::new(
            t.parse().map_err(|_| bad())?,
            p.parse().map_err(|_| bad())?,
        ))
    }
}

/// The result of a successful append.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appended {
    /// The stream's version after the append (its last event's version).
    pub stream_version: u64,
    /// The global position of the last appended event.
    pub position: u64,
    /// The events were stored already, by an earlier append of the same event ids (a retry):
    /// this is that append's result, and nothing was appended now.
    #[serde(default)]
    pub replayed: bool,
}

/// An aggregate's state stored beside its stream: a load folds only the events after
/// `version`. See [`crate::aggregate::SnapshotPolicy`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The stream version whose state this is (the last event folded into it).
    pub version: u64,
    /// That event's global position.
    pub position: u64,
    /// The writer's [`crate::aggregate::SnapshotPolicy::schema`]; another schema is ignored.
    pub schema: u32,
    pub state: serde_json::Value,
}

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recorded {
    pub event_id: Uuid,
    pub stream_id: StreamId,
    pub stream_version: u64,
    pub position: u64,
    pub cursor: Cursor,
    pub event_type: String,
    pub schema_version: u32,
    pub data: serde_json::Value,
    pub metadata: EventMetadata,
    pub recorded_at: Timestamp,
}

impl Recorded {
    /// The owning context, from the type `agora.<context>.<name>`.
    #[must_use]
    pub fn context(&self) -> &str {
        self.event_type.split('.').nth(1).unwrap_or("unknown")
    }

    /// The CloudEvents `type`: `agora.<context>.<event_name>.v<N>`.
    #[must_use]
    pub fn cloudevents_type(&self) -> String {
        format!("{}.v{}", self.event_type, self.schema_version)
    }

    /// The CloudEvents `source`: `agora/<context>`.
    #[must_use]
    pub fn cloudevents_source(&self) -> String {
        format!("agora/{}", self.context())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_ids_have_a_kind() {
        let s = StreamId::of("product", "0190abcd");
        assert_eq!(s.kind(), "product");
        assert_eq!(s.as_str(), "product-0190abcd");
        for bad in ["", "product", "-x", "Product-1", "product-"] {
            assert!(StreamId::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn cursors_order_by_transaction_then_position() {
        assert!(Cursor::new(5, 100) < Cursor::new(6, 1));
        assert!(Cursor::new(5, 1) < Cursor::new(5, 2));
        assert_eq!("7.42".parse::<Cursor>().unwrap(), Cursor::new(7, 42));
        assert!("7".parse::<Cursor>().is_err());
    }

    #[test]
    fn expected_version_requirements() {
        assert_eq!(ExpectedVersion::Any.required(), None);
        assert_eq!(ExpectedVersion::NoStream.required(), Some(0));
        assert_eq!(ExpectedVersion::Exact(3).required(), Some(3));
    }
}
