//! The SQLite event store. All appends go through one writer connection, so SQLite's own
//! locking never answers "busy" to an append and position order is commit order.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use futures::stream::BoxStream;
use shared_kernel::{
    AggregateCache, Appended, Cursor, EventFilter, EventMetadata, EventStore, ExpectedVersion,
    NewEvent, Recorded, Snapshot, StoreError, StreamId,
};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::watch;

use super::filtered::{
    Bounds, FIRST_POSITION_FROM, LAST_POSITION_BEFORE, TYPES_UNDER_PREFIX, bound_instants,
    page_query,
};
use crate::filtered::{Arms, arms, split_conditions};
use crate::sql_error::{command_row, idempotent_result};
use crate::sql_error::{to_i64, to_u64, unavailable, unique_violation};
use crate::tail::{self, TailSource};

/// Options for every connection to the embedded database: WAL (readers never block the writer),
/// foreign keys on, and a busy timeout so a second writer waits instead of failing.
///
/// # Errors
/// The URL is not a SQLite URL.
pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

#[derive(sqlx::FromRow)]
struct EventRow {
    position: i64,
    event_id: String,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    schema_version: i64,
    data: String,
    metadata: String,
    recorded_at: String,
}

impl TryFrom<EventRow> for Recorded {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        let corrupt =
            |what: &str, e: &dyn std::fmt::Display| StoreError::Corrupt(format!("{what}: {e}"));
        let position = to_u64(r.position, "position")?;
        Ok(Self {
            event_id: r.event_id.parse().map_err(|e| corrupt("event id", &e))?,
            stream_id: StreamId::parse(&r.stream_id).map_err(|e| corrupt("stream id", &e))?,
            stream_version: to_u64(r.stream_version, "stream version")?,
            position,
            cursor: Cursor::new(0, position),
            event_type: r.event_type,
            schema_version: u32::try_from(r.schema_version)
                .map_err(|e| corrupt("schema version", &e))?,
            data: serde_json::from_str(&r.data).map_err(|e| corrupt("data", &e))?,
            metadata: serde_json::from_str::<EventMetadata>(&r.metadata)
                .map_err(|e| corrupt("metadata", &e))?,
            recorded_at: DateTime::parse_from_rfc3339(&r.recorded_at)
                .map_err(|e| corrupt("recorded_at", &e))?
                .with_timezone(&Utc),
        })
    }
}

const COLUMNS: &str = "position, event_id, stream_id, stream_version, event_type, schema_version, \
                       data, metadata, recorded_at";

/// The embedded event store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SqliteEventStore {
    writer: SqlitePool,
    reader: SqlitePool,
    wake: Arc<watch::Sender<u64>>,
    aggregates: Arc<AggregateCache>,
}

impl SqliteEventStore {
    /// Opens (creating if needed) the database at `url` and applies the migrations.
    ///
    /// # Errors
    /// The file cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = connect_options(url).map_err(unavailable)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        super::migrate(&writer)
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(unavailable)?;
        let (wake, _) = watch::channel(0);
        Ok(Self {
            writer,
            reader,
            wake: Arc::new(wake),
            aggregates: Arc::default(),
        })
    }

    #[must_use]
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn insert(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<Result<Appended, u64>, sqlx::Error> {
        // IMMEDIATE takes the write lock before the head is read: a deferred transaction could
        // read, lose the lock to a read-model writer, and then fail to upgrade.
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let head: i64 = sqlx::query_scalar(
            "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1",
        )
        .bind(stream.as_str())
        .fetch_one(&mut *tx)
        .await?;
        let head_u = u64::try_from(head).unwrap_or(0);
        if expected.required().is_some_and(|v| v != head_u) {
            return Ok(Err(head_u));
        }
        let now = Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut last = Appended {
            stream_version: head_u,
            position: 0,
            replayed: false,
        };
        for (n, e) in events.iter().enumerate() {
            let version = head + 1 + i64::try_from(n).unwrap_or(i64::MAX);
            let metadata = serde_json::to_string(&e.metadata).unwrap_or_else(|_| "{}".into());
            let position: i64 = sqlx::query_scalar(
                "INSERT INTO events (event_id, stream_id, stream_version, event_type, \
                 schema_version, data, metadata, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING position",
            )
            .bind(e.event_id.to_string())
            .bind(stream.as_str())
            .bind(version)
            .bind(&e.event_type)
            .bind(i64::from(e.schema_version))
            .bind(e.data.to_string())
            .bind(metadata)
            .bind(&now)
            .fetch_one(&mut *tx)
            .await?;
            last = Appended {
                stream_version: u64::try_from(version).unwrap_or(0),
                position: u64::try_from(position).unwrap_or(0),
                replayed: false,
            };
        }
        tx.commit().await?;
        Ok(Ok(last))
    }

    /// The positions a time range lies strictly between (see `filtered::TIME_SLACK`).
    async fn time_bounds(&self, filter: &EventFilter) -> Result<Bounds, sqlx::Error> {
        let (before_from, after_to) = bound_instants(filter);
        let mut bounds = Bounds::default();
        if let Some(at) = before_from {
            bounds.after_position = sqlx::query_scalar(LAST_POSITION_BEFORE)
                .bind(at)
                .fetch_optional(&self.reader)
                .await?;
        }
        if let Some(at) = after_to {
            bounds.before_position = sqlx::query_scalar(FIRST_POSITION_FROM)
                .bind(at)
                .fetch_optional(&self.reader)
                .await?;
        }
        Ok(bounds)
    }

    /// A filtered page, its prefixes expanded in the same read transaction (snapshot).
    async fn filtered_page(
        &self,
        filter: &EventFilter,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<EventRow>, sqlx::Error> {
        let bounds = self.time_bounds(filter).await?;
        let (exact, prefixes) = split_conditions(filter);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut tx = self.reader.begin().await?;
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
            page_query(COLUMNS, filter, &arms, after, &bounds, limit)
                .build_query_as::<EventRow>()
                .fetch_all(&mut *tx)
                .await?
        };
        tx.commit().await?;
        Ok(rows)
    }

    async fn already_appended(
        &self,
        stream: &StreamId,
        events: &[NewEvent],
    ) -> Result<Option<Appended>, StoreError> {
        let mut rows = Vec::with_capacity(events.len());
        for e in events {
            let row: Option<(String, i64, i64)> = sqlx::query_as(
                "SELECT stream_id, stream_version, position FROM events WHERE event_id = $1",
            )
            .bind(e.event_id.to_string())
            .fetch_optional(&self.writer)
            .await
            .map_err(unavailable)?;
            rows.extend(row);
        }
        rows.sort_by_key(|r| r.1);
        idempotent_result(stream, events, &rows)
    }
}

#[async_trait]
impl EventStore for SqliteEventStore {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        if events.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        let actual = match self.insert(stream, expected, &events).await {
            Ok(Ok(appended)) => {
                self.wake.send_modify(|n| *n = n.wrapping_add(1));
                return Ok(appended);
            }
            Ok(Err(actual)) => Some(actual),
            Err(e) if unique_violation(&e).is_some() => None,
            Err(e) => return Err(unavailable(e)),
        };
        if let Some(done) = self.already_appended(stream, &events).await? {
            return Ok(done);
        }
        let actual = match actual {
            Some(a) => a,
            None => {
                let v: i64 = sqlx::query_scalar(
                    "SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1",
                )
                .bind(stream.as_str())
                .fetch_one(&self.writer)
                .await
                .map_err(unavailable)?;
                to_u64(v, "stream version")?
            }
        };
        Err(StoreError::Conflict {
            stream: stream.clone(),
            expected,
            actual,
        })
    }

    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<Recorded>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE stream_id = $1 AND stream_version >= $2 \
             ORDER BY stream_version"
        );
        sqlx::query_as::<_, EventRow>(&sql)
            .bind(stream.as_str())
            .bind(to_i64(from_version, "version")?)
            .fetch_all(&self.reader)
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
        self.filtered_page(filter, after, limit)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(Recorded::try_from)
            .collect()
    }

    fn tail(&self, after: Cursor) -> BoxStream<'_, Result<Recorded, StoreError>> {
        tail::tail(self.clone(), after)
    }

    async fn head(&self) -> Result<Cursor, StoreError> {
        let p: i64 = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
            .fetch_one(&self.reader)
            .await
            .map_err(unavailable)?;
        Ok(Cursor::new(0, to_u64(p, "position")?))
    }

    async fn cursor_of(&self, position: u64) -> Result<Option<Cursor>, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT position FROM events WHERE position = $1")
                .bind(to_i64(position, "position")?)
                .fetch_optional(&self.reader)
                .await
                .map_err(unavailable)?;
        Ok(found.map(|_| Cursor::new(0, position)))
    }

    async fn command_result(
        &self,
        command_id: uuid::Uuid,
    ) -> Result<Option<(StreamId, Appended)>, StoreError> {
        let row: Option<(String, i64, i64)> = sqlx::query_as(
            "SELECT stream_id, stream_version, position FROM events \
             WHERE json_extract(metadata, '$.command_id') = $1 ORDER BY position DESC LIMIT 1",
        )
        .bind(command_id.to_string())
        .fetch_optional(&self.writer)
        .await
        .map_err(unavailable)?;
        command_row(row)
    }

    fn aggregate_cache(&self) -> Option<&AggregateCache> {
        Some(&self.aggregates)
    }

    async fn read_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        let row: Option<(i64, i64, i64, String)> = sqlx::query_as(
            "SELECT version, position, schema_version, state FROM snapshots WHERE stream_id = $1",
        )
        .bind(stream.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(unavailable)?;
        row.map(|(version, position, schema, state)| {
            Ok(Snapshot {
                version: to_u64(version, "snapshot version")?,
                position: to_u64(position, "snapshot position")?,
                schema: u32::try_from(schema)
                    .map_err(|_| StoreError::Corrupt(format!("snapshot schema {schema}")))?,
                state: serde_json::from_str(&state)
                    .map_err(|e| StoreError::Corrupt(format!("snapshot state: {e}")))?,
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
                 state = excluded.state, taken_at = CURRENT_TIMESTAMP \
             WHERE snapshots.version < excluded.version \
                OR snapshots.schema_version <> excluded.schema_version",
        )
        .bind(stream.as_str())
        .bind(to_i64(snapshot.version, "snapshot version")?)
        .bind(i64::from(snapshot.schema))
        .bind(snapshot.state.to_string())
        .bind(to_i64(snapshot.position, "snapshot position")?)
        .execute(&self.writer)
        .await
        .map_err(unavailable)?;
        Ok(())
    }
}

#[async_trait]
impl TailSource for SqliteEventStore {
    async fn read_page(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<(Vec<Recorded>, bool), StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
        let events = sqlx::query_as::<_, EventRow>(&sql)
            .bind(to_i64(after.position, "position")?)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.reader)
            .await
            .map_err(unavailable)?
            .into_iter()
            .map(Recorded::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        // One writer at a time: whatever is committed is readable in position order, so
        // nothing is ever pending behind the page.
        Ok((events, false))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.wake.subscribe()
    }
}
