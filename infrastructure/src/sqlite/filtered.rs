//! Filtered pages of the global log on SQLite ([`shared_kernel::EventFilter`]), every
//! condition served by an index (see [`crate::filtered`]). Writers are serialised, so position
//! order is commit order and whatever is committed is readable.

use chrono::{DateTime, SecondsFormat, Utc};
use shared_kernel::{Cursor, EventFilter};
use sqlx::{QueryBuilder, Sqlite};

use crate::filtered::{Arms, slack};

/// The event types the log holds that start with `$1`, by a loose scan of `events_type_order`.
pub(super) const TYPES_UNDER_PREFIX: &str = r"
WITH RECURSIVE t(event_type) AS (
    SELECT (SELECT event_type FROM events WHERE event_type >= $1 ORDER BY event_type LIMIT 1)
    UNION ALL
    SELECT (SELECT e.event_type FROM events e WHERE e.event_type > t.event_type
            ORDER BY e.event_type LIMIT 1)
    FROM t WHERE t.event_type IS NOT NULL AND substr(t.event_type, 1, length($1)) = $1
)
SELECT event_type FROM t WHERE event_type IS NOT NULL AND substr(event_type, 1, length($1)) = $1";

/// The position of the newest event recorded before `$1` (the `recorded_at` index).
pub(super) const LAST_POSITION_BEFORE: &str =
    "SELECT position FROM events WHERE recorded_at < $1 ORDER BY recorded_at DESC LIMIT 1";

/// The position of the oldest event recorded at or after `$1`.
pub(super) const FIRST_POSITION_FROM: &str =
    "SELECT position FROM events WHERE recorded_at >= $1 ORDER BY recorded_at LIMIT 1";

/// An instant as the store records it (RFC 3339, microseconds, `Z`), so text order is time
/// order.
pub(super) fn stored_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// The instants whose events bound a time range in position order.
pub(super) fn bound_instants(filter: &EventFilter) -> (Option<String>, Option<String>) {
    (
        filter.from.map(|f| stored_time(f - slack())),
        filter.to.map(|t| stored_time(t + slack())),
    )
}

/// Positions the page stays strictly between.
#[derive(Debug, Clone, Default)]
pub(super) struct Bounds {
    pub(super) after_position: Option<i64>,
    pub(super) before_position: Option<i64>,
}

/// The page statement: one arm per exact type (or one scan of the log, or of the stream), each
/// in position order and limited, merged and limited again.
pub(super) fn page_query<'a>(
    columns: &str,
    filter: &'a EventFilter,
    arms: &'a Arms,
    after: Cursor,
    bounds: &'a Bounds,
    limit: i64,
) -> QueryBuilder<'a, Sqlite> {
    let mut q = QueryBuilder::new(format!("SELECT {columns} FROM ("));
    match (arms, &filter.stream) {
        (Arms::Types(types), Some(_)) => {
            arm(&mut q, columns, filter, after, bounds);
            q.push(" AND event_type IN (");
            let mut list = q.separated(", ");
            for t in types {
                list.push_bind(t.as_str());
            }
            q.push(")");
            close_arm(&mut q, limit);
        }
        (Arms::Types(types), None) => {
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    q.push(" UNION ALL ");
                }
                q.push("SELECT * FROM (");
                arm(&mut q, columns, filter, after, bounds);
                q.push(" AND event_type = ");
                q.push_bind(t.as_str());
                close_arm(&mut q, limit);
                q.push(")");
            }
        }
        (Arms::All | Arms::Nothing, _) => {
            arm(&mut q, columns, filter, after, bounds);
            close_arm(&mut q, limit);
        }
    }
    q.push(") ORDER BY position LIMIT ");
    q.push_bind(limit);
    q
}

fn close_arm(q: &mut QueryBuilder<'_, Sqlite>, limit: i64) {
    q.push(" ORDER BY position LIMIT ");
    q.push_bind(limit);
}

/// One scan: every condition but the type.
fn arm<'a>(
    q: &mut QueryBuilder<'a, Sqlite>,
    columns: &str,
    filter: &'a EventFilter,
    after: Cursor,
    bounds: &'a Bounds,
) {
    q.push(format_args!(
        "SELECT {columns} FROM events WHERE position > "
    ));
    q.push_bind(i64::try_from(after.position).unwrap_or(i64::MAX));
    if let Some(stream) = &filter.stream {
        q.push(" AND stream_id = ");
        q.push_bind(stream.as_str());
    }
    if let Some(p) = bounds.after_position {
        q.push(" AND position > ");
        q.push_bind(p);
    }
    if let Some(p) = bounds.before_position {
        q.push(" AND position < ");
        q.push_bind(p);
    }
    if let Some(from) = filter.from {
        q.push(" AND recorded_at >= ");
        q.push_bind(stored_time(from));
    }
    if let Some(to) = filter.to {
        q.push(" AND recorded_at < ");
        q.push_bind(stored_time(to));
    }
}
