//! Filtered pages of the global log on PostgreSQL ([`shared_kernel::EventFilter`]), every
//! condition served by an index (see [`crate::filtered`]; `plans.rs` checks the plans). The
//! same gap-free rule as the tail's pages: only rows of transactions older than every running
//! one (`pg_snapshot_xmin`), in `(transaction_id, position)` order.

use chrono::{DateTime, Utc};
use shared_kernel::{Cursor, EventFilter};
use sqlx::{Postgres, QueryBuilder};

use crate::filtered::{Arms, slack};

/// The event types the log holds that start with `$1`, by a loose index scan of
/// `events_type_order`: one probe per distinct type, however many events each has.
pub(super) const TYPES_UNDER_PREFIX: &str = r#"
WITH RECURSIVE t(event_type) AS (
    (SELECT event_type COLLATE "C" FROM events
     WHERE event_type COLLATE "C" >= $1 ORDER BY event_type COLLATE "C" LIMIT 1)
    UNION ALL
    SELECT (SELECT e.event_type COLLATE "C" FROM events e
            WHERE e.event_type COLLATE "C" > t.event_type
            ORDER BY e.event_type COLLATE "C" LIMIT 1)
    FROM t WHERE t.event_type IS NOT NULL AND starts_with(t.event_type, $1)
)
SELECT event_type FROM t WHERE event_type IS NOT NULL AND starts_with(event_type, $1)"#;

/// The newest transaction recorded before `$1` (the `recorded_at` index, backwards).
pub(super) const LAST_TRANSACTION_BEFORE: &str = "SELECT transaction_id::text FROM events \
     WHERE recorded_at < $1 ORDER BY recorded_at DESC LIMIT 1";

/// The oldest transaction recorded at or after `$1`.
pub(super) const FIRST_TRANSACTION_FROM: &str = "SELECT transaction_id::text FROM events \
     WHERE recorded_at >= $1 ORDER BY recorded_at LIMIT 1";

/// The instants whose transactions bound a time range in the global order (see
/// [`crate::filtered::TIME_SLACK`]): the last one before `from - slack` and the first one from
/// `to + slack`.
pub(super) fn bound_instants(
    filter: &EventFilter,
) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    (
        filter.from.map(|f| f - slack()),
        filter.to.map(|t| t + slack()),
    )
}

/// Transaction ids (as text) the page stays strictly between.
#[derive(Debug, Clone, Default)]
pub(super) struct Bounds {
    pub(super) after_transaction: Option<String>,
    pub(super) before_transaction: Option<String>,
}

const ARM_COLUMNS: &str = "position, transaction_id, event_id, stream_id, stream_version, \
     event_type, schema_version, data, metadata, recorded_at";

/// The page statement: `prefix` (empty, or `EXPLAIN ...`), then one arm per exact type merged
/// in global order (or one scan of the global order, or of the stream), each with every other
/// condition, limited to `limit` rows. (A `UNION ALL` of the arms would not do: PostgreSQL
/// plans it as an append of bitmap scans and a sort of every matching row.)
pub(super) fn page_query<'a>(
    prefix: &str,
    filter: &'a EventFilter,
    arms: &'a Arms,
    after: Cursor,
    bounds: &'a Bounds,
    limit: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut q = QueryBuilder::new(prefix);
    q.push(
        "SELECT e.position, e.transaction_id::text::bigint AS transaction_id, e.event_id, \
         e.stream_id, e.stream_version, e.event_type, e.schema_version, e.data, e.metadata, \
         e.recorded_at FROM (",
    );
    match (arms, &filter.stream) {
        // A stream is short: one scan of it, the types as a filter.
        (Arms::Types(types), Some(_)) => {
            arm(&mut q, filter, after, bounds);
            q.push(r#" AND event_type COLLATE "C" = ANY("#);
            q.push_bind(types.clone());
            q.push(")");
        }
        // One index range scan per type, each already in global order and limited, then the
        // first `limit` of them: a top-N sort of at most types x limit rows, whatever the log.
        (Arms::Types(types), None) => {
            q.push("SELECT x.* FROM unnest(");
            q.push_bind(types.clone());
            q.push("::text[]) AS t(event_type) CROSS JOIN LATERAL (");
            arm(&mut q, filter, after, bounds);
            q.push(r#" AND events.event_type COLLATE "C" = t.event_type"#);
            q.push(" ORDER BY transaction_id, position LIMIT ");
            q.push_bind(limit);
            q.push(") x");
        }
        (Arms::All | Arms::Nothing, _) => arm(&mut q, filter, after, bounds),
    }
    q.push(") e ORDER BY e.transaction_id, e.position LIMIT ");
    q.push_bind(limit);
    q
}

/// One scan: every condition but the type.
fn arm<'a>(
    q: &mut QueryBuilder<'a, Postgres>,
    filter: &'a EventFilter,
    after: Cursor,
    bounds: &'a Bounds,
) {
    q.push(format_args!(
        "SELECT {ARM_COLUMNS} FROM events WHERE (transaction_id, position) > ("
    ));
    q.push_bind(after.transaction_id.to_string());
    q.push("::text::xid8, ");
    q.push_bind(i64::try_from(after.position).unwrap_or(i64::MAX));
    q.push(") AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())");
    if let Some(stream) = &filter.stream {
        q.push(" AND stream_id = ");
        q.push_bind(stream.as_str());
    }
    if let Some(t) = &bounds.after_transaction {
        q.push(" AND transaction_id > ");
        q.push_bind(t.as_str());
        q.push("::text::xid8");
    }
    if let Some(t) = &bounds.before_transaction {
        q.push(" AND transaction_id < ");
        q.push_bind(t.as_str());
        q.push("::text::xid8");
    }
    if let Some(from) = filter.from {
        q.push(" AND recorded_at >= ");
        q.push_bind(from);
    }
    if let Some(to) = filter.to {
        q.push(" AND recorded_at < ");
        q.push_bind(to);
    }
}
