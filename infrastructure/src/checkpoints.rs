//! Named reading positions in the read-model database (same SQL on PostgreSQL and SQLite).

use async_trait::async_trait;
use shared_kernel::{CheckpointStore, Cursor, StoreError};
use sqlx::AnyPool;

use crate::sql_error::{to_i64, to_u64, unavailable};

pub(crate) const UPSERT: &str = "INSERT INTO checkpoints (name, transaction_id, position) \
     VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE \
     SET transaction_id = excluded.transaction_id, position = excluded.position, \
         updated_at = CURRENT_TIMESTAMP";

#[derive(Debug, Clone)]
pub struct SqlCheckpointStore {
    pool: AnyPool,
}

impl SqlCheckpointStore {
    #[must_use]
    pub const fn new(pool: AnyPool) -> Self {
        Self { pool }
    }
}

/// Loads a checkpoint with any executor (a pool or an open transaction).
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn load<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    name: &str,
) -> Result<Option<Cursor>, StoreError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT transaction_id, position FROM checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(executor)
            .await
            .map_err(unavailable)?;
    row.map(|(t, p)| {
        Ok(Cursor::new(
            to_u64(t, "transaction id")?,
            to_u64(p, "position")?,
        ))
    })
    .transpose()
}

/// Stores a checkpoint with any executor, typically the transaction that applied the events.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn save<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    name: &str,
    cursor: Cursor,
) -> Result<(), StoreError> {
    sqlx::query(UPSERT)
        .bind(name)
        .bind(to_i64(cursor.transaction_id, "transaction id")?)
        .bind(to_i64(cursor.position, "position")?)
        .execute(executor)
        .await
        .map_err(unavailable)?;
    Ok(())
}

/// Reads a checkpoint *and locks it* until the transaction ends, so two writers of one read
/// model (a live projector and a rebuild) take turns batch by batch. The first statements are
/// writes: on SQLite that takes the write lock up front (a deferred transaction that read first
/// could fail to upgrade), on PostgreSQL it locks the row.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn lock(conn: &mut sqlx::AnyConnection, name: &str) -> Result<Cursor, StoreError> {
    sqlx::query(
        "INSERT INTO checkpoints (name, transaction_id, position) VALUES ($1, 0, 0) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    let (t, p): (i64, i64) = sqlx::query_as(
        "UPDATE checkpoints SET name = name WHERE name = $1 RETURNING transaction_id, position",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await
    .map_err(unavailable)?;
    Ok(Cursor::new(
        to_u64(t, "transaction id")?,
        to_u64(p, "position")?,
    ))
}

/// Reads and locks the checkpoints of `names` until the transaction ends, creating missing
/// ones at the start: [`lock`] for several read models applied in one transaction, in one
/// statement. Returns each name's stored cursor, in no particular order.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn lock_many(
    conn: &mut sqlx::AnyConnection,
    names: &[&str],
) -> Result<Vec<(String, Cursor)>, StoreError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    // `DO UPDATE` (not `DO NOTHING`) so the statement locks existing rows and returns them; on
    // SQLite the first write of a transaction takes the database's write lock, as in `lock`.
    let values: Vec<String> = (1..=names.len()).map(|i| format!("(${i}, 0, 0)")).collect();
    let sql = format!(
        "INSERT INTO checkpoints (name, transaction_id, position) VALUES {} \
         ON CONFLICT (name) DO UPDATE SET name = excluded.name \
         RETURNING name, transaction_id, position",
        values.join(", ")
    );
    let mut query = sqlx::query_as::<_, (String, i64, i64)>(&sql);
    for name in names {
        query = query.bind(*name);
    }
    let rows = query.fetch_all(&mut *conn).await.map_err(unavailable)?;
    rows.into_iter()
        .map(|(name, t, p)| {
            Ok((
                name,
                Cursor::new(to_u64(t, "transaction id")?, to_u64(p, "position")?),
            ))
        })
        .collect()
}

/// Stores several checkpoints in one statement, typically inside the transaction that
/// applied their events (after [`lock_many`]).
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn save_many(
    conn: &mut sqlx::AnyConnection,
    checkpoints: &[(&str, Cursor)],
) -> Result<(), StoreError> {
    if checkpoints.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..checkpoints.len())
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    let sql = format!(
        "INSERT INTO checkpoints (name, transaction_id, position) VALUES {} \
         ON CONFLICT (name) DO UPDATE \
         SET transaction_id = excluded.transaction_id, position = excluded.position, \
             updated_at = CURRENT_TIMESTAMP",
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (name, cursor) in checkpoints {
        query = query
            .bind(*name)
            .bind(to_i64(cursor.transaction_id, "transaction id")?)
            .bind(to_i64(cursor.position, "position")?);
    }
    query.execute(&mut *conn).await.map_err(unavailable)?;
    Ok(())
}

/// Moves a checkpoint from `from` to `to` only if it is still at `from` (a missing row is
/// created): how a consumer stores, lazily and outside any batch, that it skipped events,
/// without overwriting a checkpoint that a rebuild or another process moved meanwhile.
/// Whether it moved.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn advance<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    name: &str,
    from: Cursor,
    to: Cursor,
) -> Result<bool, StoreError> {
    let moved = sqlx::query(
        "INSERT INTO checkpoints (name, transaction_id, position) VALUES ($1, $4, $5) \
         ON CONFLICT (name) DO UPDATE \
         SET transaction_id = excluded.transaction_id, position = excluded.position, \
             updated_at = CURRENT_TIMESTAMP \
         WHERE checkpoints.transaction_id = $2 AND checkpoints.position = $3",
    )
    .bind(name)
    .bind(to_i64(from.transaction_id, "transaction id")?)
    .bind(to_i64(from.position, "position")?)
    .bind(to_i64(to.transaction_id, "transaction id")?)
    .bind(to_i64(to.position, "position")?)
    .execute(executor)
    .await
    .map_err(unavailable)?
    .rows_affected();
    Ok(moved > 0)
}

/// Every checkpoint with the time it last moved.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn all(pool: &AnyPool) -> Result<Vec<(String, Cursor, String)>, StoreError> {
    let rows: Vec<(String, i64, i64, String)> = sqlx::query_as(
        "SELECT name, transaction_id, position, CAST(updated_at AS TEXT) FROM checkpoints ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .map_err(unavailable)?;
    rows.into_iter()
        .map(|(name, t, p, at)| {
            Ok((
                name,
                Cursor::new(to_u64(t, "transaction id")?, to_u64(p, "position")?),
                at,
            ))
        })
        .collect()
}

#[async_trait]
impl CheckpointStore for SqlCheckpointStore {
    async fn load(&self, name: &str) -> Result<Option<Cursor>, StoreError> {
        load(&self.pool, name).await
    }

    async fn save(&self, name: &str, cursor: Cursor) -> Result<(), StoreError> {
        save(&self.pool, name, cursor).await
    }
}

/// Reads and locks a Kafka partition's stored offset (the first not yet applied), creating it
/// at 0; see [`lock`] for why the first statements are writes.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn lock_offset(
    conn: &mut sqlx::AnyConnection,
    consumer: &str,
    topic: &str,
    partition: i32,
) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO kafka_offsets (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (consumer, topic, partition) DO NOTHING",
    )
    .bind(consumer)
    .bind(topic)
    .bind(partition)
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    sqlx::query_scalar(
        "UPDATE kafka_offsets SET next_offset = next_offset \
         WHERE consumer = $1 AND topic = $2 AND partition = $3 RETURNING next_offset",
    )
    .bind(consumer)
    .bind(topic)
    .bind(partition)
    .fetch_one(&mut *conn)
    .await
    .map_err(unavailable)
}

/// Moves a partition's stored offset, inside the batch's transaction.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn save_offset(
    conn: &mut sqlx::AnyConnection,
    consumer: &str,
    topic: &str,
    partition: i32,
    next_offset: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE kafka_offsets SET next_offset = $4 WHERE consumer = $1 AND topic = $2 AND partition = $3",
    )
    .bind(consumer)
    .bind(topic)
    .bind(partition)
    .bind(next_offset)
    .execute(&mut *conn)
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// A partition's stored next offset (0 when none), without locking: for readers whose effects
/// are idempotent and which own their partitions (sagas).
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn load_offset(
    pool: &AnyPool,
    consumer: &str,
    topic: &str,
    partition: i32,
) -> Result<i64, StoreError> {
    let stored: Option<i64> = sqlx::query_scalar(
        "SELECT next_offset FROM kafka_offsets WHERE consumer = $1 AND topic = $2 AND partition = $3",
    )
    .bind(consumer)
    .bind(topic)
    .bind(partition)
    .fetch_optional(pool)
    .await
    .map_err(unavailable)?;
    Ok(stored.unwrap_or(0))
}

/// Stores a partition's next offset outside any batch transaction.
///
/// # Errors
/// [`StoreError::Unavailable`] on I/O.
pub async fn store_offset(
    pool: &AnyPool,
    consumer: &str,
    topic: &str,
    partition: i32,
    next_offset: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO kafka_offsets (consumer, topic, partition, next_offset) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (consumer, topic, partition) DO UPDATE SET next_offset = excluded.next_offset",
    )
    .bind(consumer)
    .bind(topic)
    .bind(partition)
    .bind(next_offset)
    .execute(pool)
    .await
    .map_err(unavailable)?;
    Ok(())
}
