//! The PostgreSQL event store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use shared_kernel::{
    AggregateCache, Appended, Cursor, EventFilter, EventMetadata, EventStore, ExpectedVersion,
    NewEvent, Recorded, Snapshot, StoreError, StreamId,
};
use sqlx::PgPool;
use sqlx::types::Json;
use tokio::sync::watch;
use uuid::Uuid;

use super::filtered::{
    Bounds, FIRST_TRANSACTION_FROM, LAST_TRANSACTION_BEFORE, TYPES_UNDER_PREFIX, bound_instants,
    page_query,
};
use super::notify::Signals;
use super::settle;
use super::sql::{
    APPEND, APPEND_ONE, COMMAND_RESULT, CURSOR_OF, EventRow, HEAD, PAGE, PageRow, STREAM_VERSION,
    read_stream_sql,
};
use crate::filtered::{Arms, arms, split_conditions};
use crate::sql_error::{
    UniqueViolation, command_row, idempotent_result, to_i64, to_u64, unavailable, unique_violation,
};
use crate::tail::{self, TailSource};

/// How often an `ExpectedVersion::Any` append retries after losing a race for a version number.
const ANY_RETRIES: usize = 10;

/// The production event store. Cheap to clone (a pool and a shared signal hub).
#[derive(Debug, Clone)]
pub struct PgEventStore {
    pool: PgPool,
    signals: Arc<Signals>,
    aggregates: Arc<AggregateCache>,
    /// How long a read of a recent past range waits for running transactions
    /// ([`settle::SETTLE_WAIT`] unless set).
    settle_wait: Duration,
}

impl PgEventStore {
    /// Wraps a pool whose database has been migrated, and starts the LISTEN/NOTIFY tasks.
    #[must_use]
    pub fn new(pool: PgPool) -> Self {
        let signals = Arc::new(Signals::start(pool.clone()));
        Self {
            pool,
            signals,
            aggregates: Arc::default(),
            settle_wait: settle::SETTLE_WAIT,
        }
    }

    /// The same store, whose reads of a recent past range (a filter whose `to` passed less
    /// than `TIME_SLACK`, 10 minutes, ago) wait at most `wait` when a page ends short for the
    /// transactions running then, before they fail with `StoreError::NotSettled` (see
    /// [`EventStore::read_filtered`]).
    #[must_use]
    pub fn with_settle_wait(mut self, wait: Duration) -> Self {
        self.settle_wait = wait;
        self
    }

    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn try_append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<Vec<(i64, i64)>, sqlx::Error> {
        append_rows(&self.pool, stream, expected, events).await
    }

    /// Tells tailers (here and in other processes) that events were committed by a caller of
    /// [`append_in`], which cannot know when its transaction commits.
    pub fn notify_committed(&self) {
        self.signals.committed();
    }

    /// After a failed append: were these exact events stored already (a retried append)?
    async fn already_appended(
        &self,
        stream: &StreamId,
        events: &[NewEvent],
    ) -> Result<Option<Appended>, StoreError> {
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT stream_id, stream_version, position FROM events WHERE event_id = ANY($1) \
             ORDER BY stream_version",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        idempotent_result(stream, events, &rows)
    }

    /// The transactions a time range lies strictly between (see `filtered::TIME_SLACK`).
    async fn time_bounds(&self, filter: &EventFilter) -> Result<Bounds, StoreError> {
        let (before_from, after_to) = bound_instants(filter);
        let mut bounds = Bounds::default();
        if let Some(at) = before_from {
            bounds.after_transaction = sqlx::query_scalar(LAST_TRANSACTION_BEFORE)
                .bind(at)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        }
        if let Some(at) = after_to {
            bounds.before_transaction = sqlx::query_scalar(FIRST_TRANSACTION_FROM)
                .bind(at)
                .fetch_optional(&self.pool)
                .await
                .map_err(unavailable)?;
        }
        Ok(bounds)
    }

    /// A filtered page; prefixes are expanded in the page's own snapshot (a type first
    /// written after the expansion and before the page could otherwise be skipped).
    async fn filtered_page(
        &self,
        filter: &EventFilter,
        after: Cursor,
        limit: usize,
        bounds: &Bounds,
    ) -> Result<Vec<EventRow>, sqlx::Error> {
        let (exact, prefixes) = split_conditions(filter);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if prefixes.is_empty() {
            let arms = arms(filter, exact, Vec::new());
            return page_query("", filter, &arms, after, bounds, limit)
                .build_query_as::<EventRow>()
                .fetch_all(&self.pool)
                .await;
        }
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        let mut expanded = Vec::new();
        for prefix in &prefixes {
            let types: Vec<String> = sqlx::query_scalar(TYPES_UNDER_PREFIX)
                .bind(prefix)
                .fetch_all(&mut *tx)
                .await?;
            expanded.extend(types);
        }
        let arms = arms(filter, exact, expanded);
        let rows = if arms == Arms::Nothing {
            Vec::new()
        } else {
            page_query("", filter, &arms, after, bounds, limit)
                .build_query_as::<EventRow>()
                .fetch_all(&mut *tx)
                .await?
        };
        tx.commit().await?;
        Ok(rows)
    }

    async fn stream_version(&self, stream: &StreamId) -> Result<u64, StoreError> {
        let v: i64 = sqlx::query_scalar(STREAM_VERSION)
            .bind(stream.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        to_u64(v, "stream version")
    }
}

/// Appends inside the caller's transaction (for writers that must store more than events
/// atomically). Returns `(position, stream_version)` per event; an empty result means the stream
/// was not at `expected`. The caller calls [`PgEventStore::notify_committed`] after commit.
///
/// # Errors
/// A unique violation (version race or duplicate event id) or an I/O failure.
pub async fn append_in<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    append_rows(executor, stream, expected, events).await
}

async fn append_rows<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Postgres>,
    stream: &StreamId,
    expected: ExpectedVersion,
    events: &[NewEvent],
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let required = expected
        .required()
        .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
    if let [event] = events {
        return sqlx::query_as::<_, (i64, i64)>(APPEND_ONE)
            .bind(stream.as_str())
            .bind(event.event_id)
            .bind(event.event_type.as_str())
            .bind(i32::try_from(event.schema_version).unwrap_or(i32::MAX))
            .bind(Json(&event.data))
            .bind(Json(&event.metadata))
            .bind(required)
            .fetch_all(executor)
            .await;
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let versions: Vec<i32> = events
        .iter()
        .map(|e| i32::try_from(e.schema_version).unwrap_or(i32::MAX))
        .collect();
    let data: Vec<Json<&serde_json::Value>> = events.iter().map(|e| Json(&e.data)).collect();
    let metadata: Vec<Json<&EventMetadata>> = events.iter().map(|e| Json(&e.metadata)).collect();
    sqlx::query_as::<_, (i64, i64)>(APPEND)
        .bind(stream.as_str())
        .bind(ids)
        .bind(types)
        .bind(versions)
        .bind(data)
        .bind(metadata)
        .bind(required)
        .fetch_all(executor)
        .await
}

#[async_trait]
impl EventStore for PgEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.try_append(stream, expected, &events).await {
                Ok(rows) if !rows.is_empty() => {
                    self.signals.committed();
                    let (position, version) = rows.last().copied().unwrap_or((0, 0));
                    return Ok(Appended {
                        stream_version: to_u64(version, "stream version")?,
                        position: to_u64(position, "position")?,
                        replayed: false,
                    });
                }
                // No row inserted: the stream is not at the expected version.
                Ok(_) => {}
                Err(e) => match unique_violation(&e) {
                    Some(UniqueViolation::StreamVersion)
                        if expected == ExpectedVersion::Any && attempts < ANY_RETRIES =>
                    {
                        continue;
                    }
                    Some(_) => {}
                    None => return Err(unavailable(e)),
                },
            }
            if let Some(done) = self.already_appended(stream, &events).await? {
                return Ok(done);
            }
            let actual = self.stream_version(stream).await?;
            return Err(StoreError::Conflict {
                stream: stream.clone(),
                expected,
                actual,
            });
        }
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<Recorded>, StoreError> {
        sqlx::query_as::<_, EventRow>(&read_stream_sql())
            .bind(stream.as_str())
            .bind(to_i64(from_version, "version")?)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(Recorded::try_from)
            .collect()
    }

    async fn read_all(&self, after: Cursor, limit: usize) -> Result<Vec<Recorded>, StoreError> {
        Ok(self.read_page(after, limit).await?.0)
    }

    async fn read_filtered(
        &self,
        filter: &EventFilter,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<Recorded>, StoreError> {
        if filter.matches_nothing() || limit == 0 {
            return Ok(Vec::new());
        }
        let bounds = self.time_bounds(filter).await?;
        let mut rows = self
            .filtered_page(filter, after, limit, &bounds)
            .await
            .map_err(unavailable)?;
        if let Some(to) = filter.to
            && rows.len() < limit
        {
            // A short page ends the range for its reader: settled before it is taken as such.
            settle::settle(&self.pool, to, self.settle_wait).await?;
            rows = self
                .filtered_page(filter, after, limit, &bounds)
                .await
                .map_err(unavailable)?;
        }
        rows.into_iter().map(Recorded::try_from).collect()
    }

    fn tail(&self, after: Cursor) -> BoxStream<'_, Result<Recorded, StoreError>> {
        tail::tail(self.clone(), after)
    }

    async fn head(&self) -> Result<Cursor, StoreError> {
        let row: Option<(i64, i64)> = sqlx::query_as(HEAD)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        match row {
            Some((t, p)) => Ok(Cursor::new(
                to_u64(t, "transaction id")?,
                to_u64(p, "position")?,
            )),
            None => Ok(Cursor::START),
        }
    }

    async fn latest_position(&self) -> Result<u64, StoreError> {
        // The primary key's last entry: every committed event, readable in order yet or not.
        let p: i64 = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)?;
        to_u64(p, "position")
    }

    async fn cursor_of(&self, position: u64) -> Result<Option<Cursor>, StoreError> {
        let row: Option<i64> = sqlx::query_scalar(CURSOR_OF)
            .bind(to_i64(position, "position")?)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(|t| Ok(Cursor::new(to_u64(t, "transaction id")?, position)))
            .transpose()
    }

    async fn command_result(
        &self,
        command_id: Uuid,
    ) -> Result<Option<(StreamId, Appended)>, StoreError> {
        let row: Option<(String, i64, i64)> = sqlx::query_as(COMMAND_RESULT)
            .bind(command_id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        command_row(row)
    }

    fn aggregate_cache(&self) -> Option<&AggregateCache> {
        Some(&self.aggregates)
    }

    async fn read_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let row: Option<(i64, i64, i32, Json<serde_json::Value>)> = sqlx::query_as(
            "SELECT version, position, schema_version, state FROM snapshots WHERE stream_id = $1",
        )
        .bind(stream.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.map(|(version, position, schema, state)| {
            Ok(Snapshot {
                version: to_u64(version, "snapshot version")?,
                position: to_u64(position, "snapshot position")?,
                schema: u32::try_from(schema)
                    .map_err(|_| StoreError::Corrupt(format!("snapshot schema {schema}")))?,
                state: state.0,
            })
        })
        .transpose()
    }

    async fn write_snapshot(
        &self,
        stream: &StreamId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO snapshots (stream_id, version, position, schema_version, state) \
             VALUES ($1, $2, $5, $3, $4) ON CONFLICT (stream_id) DO UPDATE \
             SET version = excluded.version, position = excluded.position, \
                 schema_version = excluded.schema_version, \
                 state = excluded.state, taken_at = now() \
             WHERE snapshots.version < excluded.version \
                OR snapshots.schema_version <> excluded.schema_version",
        )
        .bind(stream.as_str())
        .bind(to_i64(snapshot.version, "snapshot version")?)
        .bind(i32::try_from(snapshot.schema).unwrap_or(i32::MAX))
        .bind(Json(&snapshot.state))
        .bind(to_i64(snapshot.position, "snapshot position")?)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl TailSource for PgEventStore {
    async fn read_page(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Recorded>, bool), StoreError> {
        let rows = sqlx::query_as::<_, PageRow>(PAGE)
            .bind(after.transaction_id.to_string())
            .bind(to_i64(after.position, "position")?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        let pending = rows.first().is_some_and(|r| r.pending);
        let events = rows
            .into_iter()
            .filter_map(PageRow::event)
            .map(Recorded::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((events, pending))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.signals.wake.subscribe()
    }
}
