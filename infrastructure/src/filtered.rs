//! What both stores share to serve [`shared_kernel::EventFilter`] from indexes.
//!
//! A filter's types become *arms*: one index range scan per exact type (the index on
//! `(event_type, <global order>)`), merged in global order, so a page reads about the rows it
//! returns whatever the filter. A prefix (and a context, the prefix `agora.<context>.`) is first
//! expanded into the exact types the log holds under it, by a loose index scan (one index probe
//! per distinct type). A stream is one range scan of `(stream_id, <global order>)` with the types
//! as a filter. A time range becomes bounds of the global order, found through the
//! `recorded_at` index (see [`TIME_SLACK`]), plus the exact condition on `recorded_at`.

use std::time::Duration;

use shared_kernel::{EventFilter, TypeMatch};

/// How much longer than this no transaction that appends events runs. A time range
/// `[from, to)` is turned into bounds of the global order with this margin: the transaction of
/// the last event recorded before `from - TIME_SLACK` was over before `from`, so every event of
/// the range comes after it in commit order; the first event recorded at or after
/// `to + TIME_SLACK` comes after every event of the range. (On PostgreSQL `recorded_at` is the
/// time the writing transaction began, so it is not in commit order by itself.)
pub const TIME_SLACK: Duration = Duration::from_secs(600);

/// How a filtered page selects by type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arms {
    /// No type condition: one scan of the global order.
    All,
    /// One scan per exact type, merged.
    Types(Vec<String>),
    /// Nothing can match (a prefix under which the log holds no type).
    Nothing,
}

/// The exact types and prefixes of `filter`'s type conditions, apart.
pub(crate) fn split_conditions(filter: &EventFilter) -> (Vec<String>, Vec<String>) {
    let mut exact = Vec::new();
    let mut prefixes = Vec::new();
    for c in filter.type_conditions() {
        match c {
            TypeMatch::Exact(t) => exact.push(t),
            TypeMatch::Prefix(p) => prefixes.push(p),
        }
    }
    (exact, prefixes)
}

/// The arms of `filter`, given the types the log holds under its prefixes.
pub(crate) fn arms(filter: &EventFilter, mut exact: Vec<String>, expanded: Vec<String>) -> Arms {
    if filter.type_conditions().is_empty() {
        return Arms::All;
    }
    exact.extend(expanded);
    exact.sort();
    exact.dedup();
    if exact.is_empty() {
        Arms::Nothing
    } else {
        Arms::Types(exact)
    }
}

/// The time-range bounds of a filter, as the store needs to look them up.
pub(crate) fn slack() -> chrono::Duration {
    chrono::Duration::from_std(TIME_SLACK).unwrap_or_else(|_| chrono::Duration::minutes(10))
}
