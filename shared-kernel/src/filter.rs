//! Which events of the global log a reader wants: [`EventFilter`], what
//! [`crate::EventStore::read_filtered`] takes. Every condition is optional; those given must
//! all hold (a list matches when any of its entries does).

use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::event::{Recorded, StreamId};

/// One event-type condition: the whole type, or the start of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TypeMatch {
    /// The type is exactly this, e.g. `agora.ordering.order_paid`.
    Exact(String),
    /// The type starts with this, e.g. `agora.ordering.order_` (every order event).
    Prefix(String),
}

impl TypeMatch {
    /// `text` as a condition: ending in `*` or `.` it is a prefix (the `*` dropped), otherwise
    /// the exact type. An exact type may carry the version suffix of the CloudEvents `type`
    /// readers see (`agora.identity.password_set.v1`): it is dropped, so copying an event's
    /// `type` into a filter finds it (a filter selects every version of a type).
    #[must_use]
    pub fn parse(text: &str) -> Self {
        match text.strip_suffix('*') {
            Some(prefix) => Self::Prefix(prefix.to_owned()),
            None if text.ends_with('.') => Self::Prefix(text.to_owned()),
            None => Self::Exact(without_version(text).to_owned()),
        }
    }

    /// Whether `event_type` meets the condition.
    #[must_use]
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Self::Exact(t) => event_type == t,
            Self::Prefix(p) => event_type.starts_with(p.as_str()),
        }
    }
}

/// `agora.x.y.v3` -> `agora.x.y`; anything else as it is.
fn without_version(text: &str) -> &str {
    match text.rsplit_once('.') {
        Some((head, v))
            if head.matches('.').count() >= 2
                && v.len() > 1
                && v.starts_with('v')
                && v[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            head
        }
        _ => text,
    }
}

/// A selection of the global log. The default selects every event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Events of any of these contexts (the second segment of `agora.<context>.<name>`); any
    /// context when empty.
    pub contexts: Vec<String>,
    /// Events of any of these types; any type when empty.
    pub types: Vec<TypeMatch>,
    /// Events of this stream only.
    pub stream: Option<StreamId>,
    /// Events recorded at or after this instant.
    pub from: Option<Timestamp>,
    /// Events recorded before this instant.
    pub to: Option<Timestamp>,
}

impl EventFilter {
    /// Every event.
    #[must_use]
    pub fn all() -> Self {
        Self::default()
    }

    /// Whether nothing is filtered.
    #[must_use]
    pub fn is_everything(&self) -> bool {
        *self == Self::default()
    }

    /// The type conditions of the filter's contexts and types together, as a store serves them:
    /// a context `c` is the prefix `agora.c.`; empty when neither is given (every type). When
    /// both are given, a type must be of one of the contexts as well: types of other contexts
    /// are dropped (and a filter left with none matches nothing, see [`Self::matches_nothing`]).
    #[must_use]
    pub fn type_conditions(&self) -> Vec<TypeMatch> {
        let contexts: Vec<TypeMatch> = self
            .contexts
            .iter()
            .map(|c| TypeMatch::Prefix(format!("agora.{c}.")))
            .collect();
        if self.types.is_empty() {
            return contexts;
        }
        if contexts.is_empty() {
            return self.types.clone();
        }
        self.types
            .iter()
            .filter_map(|t| narrow(t, &contexts))
            .collect()
    }

    /// Whether the conditions contradict each other (types of none of the contexts, an empty
    /// time range): a store answers such a filter with no events without reading any.
    #[must_use]
    pub fn matches_nothing(&self) -> bool {
        let empty_range = matches!((self.from, self.to), (Some(f), Some(t)) if f >= t);
        let no_type = !self.types.is_empty()
            && !self.contexts.is_empty()
            && self.type_conditions().is_empty();
        empty_range || no_type
    }

    /// Whether `event` is selected.
    #[must_use]
    pub fn matches(&self, event: &Recorded) -> bool {
        let conditions = self.type_conditions();
        (conditions.is_empty() && !self.matches_nothing()
            || conditions.iter().any(|c| c.matches(&event.event_type)))
            && self.stream.as_ref().is_none_or(|s| *s == event.stream_id)
            && self.from.is_none_or(|f| event.recorded_at >= f)
            && self.to.is_none_or(|t| event.recorded_at < t)
    }
}

/// `t` restricted to the `contexts` (each a prefix): `t` itself when it lies in one of them,
/// the context's prefix when `t` is a shorter prefix covering it, else nothing.
fn narrow(t: &TypeMatch, contexts: &[TypeMatch]) -> Option<TypeMatch> {
    match t {
        TypeMatch::Exact(e) => contexts.iter().any(|c| c.matches(e)).then(|| t.clone()),
        TypeMatch::Prefix(p) => contexts.iter().find_map(|c| match c {
            TypeMatch::Prefix(cp) if p.starts_with(cp.as_str()) => Some(t.clone()),
            TypeMatch::Prefix(cp) if cp.starts_with(p.as_str()) => Some(c.clone()),
            _ => None,
        }),
    }
}

/// The bounds `[lo, hi)` of the texts that start with `prefix` (for an index range scan):
/// `hi` is `prefix` with its last character raised by one; `None` when no text is above.
#[must_use]
pub fn prefix_range(prefix: &str) -> (String, Option<String>) {
    let mut hi: Vec<char> = prefix.chars().collect();
    while let Some(last) = hi.pop() {
        if let Some(next) = char::from_u32(u32::from(last) + 1) {
            hi.push(next);
            return (prefix.to_owned(), Some(hi.into_iter().collect()));
        }
    }
    (prefix.to_owned(), None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::event::{Cursor, EventMetadata};

    fn event(t: &str) -> Recorded {
        Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: StreamId::parse("order-1").unwrap(),
            stream_version: 1,
            position: 1,
            cursor: Cursor::new(0, 1),
            event_type: t.into(),
            schema_version: 1,
            data: serde_json::Value::Null,
            metadata: EventMetadata::default(),
            recorded_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn a_cloudevents_type_with_its_version_matches_its_events() {
        let t = TypeMatch::parse("agora.identity.password_set.v1");
        assert_eq!(t, TypeMatch::Exact("agora.identity.password_set".into()));
        // Not a version: kept.
        assert_eq!(
            TypeMatch::parse("agora.x.v"),
            TypeMatch::Exact("agora.x.v".into())
        );
        assert_eq!(
            TypeMatch::parse("agora.x.vip"),
            TypeMatch::Exact("agora.x.vip".into())
        );
        assert_eq!(TypeMatch::parse("x.v1"), TypeMatch::Exact("x.v1".into()));
    }

    #[test]
    fn types_parse_as_exact_or_prefix() {
        assert_eq!(
            TypeMatch::parse("agora.ordering.order_paid"),
            TypeMatch::Exact("agora.ordering.order_paid".into())
        );
        assert_eq!(
            TypeMatch::parse("agora.ordering.*"),
            TypeMatch::Prefix("agora.ordering.".into())
        );
        assert_eq!(
            TypeMatch::parse("agora.ordering."),
            TypeMatch::Prefix("agora.ordering.".into())
        );
    }

    #[test]
    fn contexts_and_types_narrow_each_other() {
        let f = EventFilter {
            contexts: vec!["ordering".into()],
            types: vec![
                TypeMatch::parse("agora.ordering.order_paid"),
                TypeMatch::parse("agora.identity.user_registered"),
                TypeMatch::parse("agora.*"),
            ],
            ..EventFilter::default()
        };
        assert_eq!(
            f.type_conditions(),
            [
                TypeMatch::Exact("agora.ordering.order_paid".into()),
                TypeMatch::Prefix("agora.ordering.".into()),
            ]
        );
        assert!(f.matches(&event("agora.ordering.order_placed")));
        assert!(!f.matches(&event("agora.identity.user_registered")));
        let none = EventFilter {
            contexts: vec!["ordering".into()],
            types: vec![TypeMatch::parse("agora.identity.user_registered")],
            ..EventFilter::default()
        };
        assert!(none.matches_nothing());
        assert!(!none.matches(&event("agora.identity.user_registered")));
        assert!(EventFilter::all().matches(&event("agora.x.y")));
    }

    #[test]
    fn a_prefix_range_covers_exactly_the_prefix() {
        let (lo, hi) = prefix_range("agora.ordering.");
        assert_eq!(lo, "agora.ordering.");
        assert_eq!(hi.as_deref(), Some("agora.ordering/"));
        assert!("agora.ordering.zzz" < "agora.ordering/");
    }
}
