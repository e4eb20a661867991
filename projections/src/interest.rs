//! What a consumer of the event log is built from, declared next to its `apply` or `react`.

use shared_kernel::Recorded;

/// The events a projection or process manager handles. The runtime hands it only these, and a
/// page with none of them costs that consumer no transaction (DESIGN.md, hard problem 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Every event (an archive, an audit log, a test ledger).
    Everything,
    /// Every event of these contexts (types `agora.<context>.*`).
    Contexts(&'static [&'static str]),
    /// Events of exactly these types (`agora.<context>.<event_name>`, without the version).
    Types(&'static [&'static str]),
}

impl Interest {
    /// Whether `event` is one of these.
    #[must_use]
    pub fn matches(&self, event: &Recorded) -> bool {
        match self {
            Self::Everything => true,
            Self::Contexts(contexts) => contexts.contains(&event.context()),
            Self::Types(types) => types.contains(&event.event_type.as_str()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use shared_kernel::{Cursor, EventMetadata, StreamId};

    fn event(event_type: &str) -> Recorded {
        Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: StreamId::parse("order-1").unwrap(),
            stream_version: 1,
            position: 1,
            cursor: Cursor::new(0, 1),
            event_type: event_type.into(),
            schema_version: 1,
            data: serde_json::Value::Null,
            metadata: EventMetadata::default(),
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn contexts_and_types_select_events() {
        let placed = event("agora.ordering.order_placed");
        assert!(Interest::Contexts(&["ordering"]).matches(&placed));
        assert!(!Interest::Contexts(&["payments", "order"]).matches(&placed));
        assert!(Interest::Types(&["agora.ordering.order_placed"]).matches(&placed));
        assert!(!Interest::Types(&["agora.ordering.order_paid"]).matches(&placed));
        assert!(Interest::Everything.matches(&placed));
    }
}
