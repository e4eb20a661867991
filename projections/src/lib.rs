//! Projections: read models built from the event feed.
//!
//! A [`Projection`] says which events it is built from ([`Interest`]) and how one event
//! changes its tables. A [`ProjectorGroup`] runs the projections of one context from the
//! process's shared feed: it applies a page's relevant events of all of them in one
//! transaction together with their checkpoints (so a crash mid-batch leaves neither half),
//! skips pages with nothing relevant without a transaction (their checkpoints are stored
//! lazily), and publishes each projection's progress for read-your-writes waits. Every runtime
//! (the group, a rebuild, the Kafka projector) hands a projection a page of relevant events at
//! once ([`Projection::apply_page`]), so a projection may write them with set-based statements
//! ([`bulk`]).

mod board;
pub mod bulk;
mod group;
mod interest;
mod kafka_projector;
mod progress;
mod projector;
pub mod saga;

use async_trait::async_trait;
use shared_kernel::{DecodeError, Recorded};
use sqlx::{AnyConnection, AnyPool};

pub use board::CheckpointBoard;
pub use group::{LazyCheckpoints, ProjectorGroup};
pub use interest::Interest;
pub use kafka_projector::KafkaProjector;
pub use progress::{AppliedPositions, Progress, WaitError};
pub use projector::{Projector, ProjectorHandle};

#[derive(Debug, thiserror::Error)]
pub enum ProjectionError {
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Store(#[from] shared_kernel::StoreError),
}

/// One read model. SQL stays in the subset PostgreSQL and SQLite share (DESIGN.md).
#[async_trait]
pub trait Projection: Send + Sync + std::fmt::Debug {
    /// Unique and stable: the checkpoint's key.
    fn name(&self) -> &'static str;

    /// The events this read model is built from. Every other event is skipped without a
    /// transaction, so declare exactly what [`apply`](Self::apply) uses.
    fn handles(&self) -> Interest;

    /// `CREATE TABLE IF NOT EXISTS ...` statements, run at start-up.
    fn schema(&self) -> &'static [&'static str];

    /// Statements for one backend only, run after [`schema`](Self::schema): what the dialects
    /// do not share (full-text indexes). None by default.
    fn backend_schema(&self, _backend: Backend) -> &'static [&'static str] {
        &[]
    }

    /// The tables a rebuild empties before replaying.
    fn tables(&self) -> &'static [&'static str];

    /// Applies one event inside the batch's transaction. Only events [`handles`](Self::handles)
    /// names arrive here; one it has nothing to do for is ignored by returning `Ok(())`.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError>;

    /// Applies a page of events, in order, inside the batch's transaction: what applying each
    /// with [`apply`](Self::apply) in turn does, which is the default. A projection may
    /// override it with set-based statements (multi-row upserts, see [`bulk`]); it must then
    /// leave exactly the tables event-by-event application leaves, whatever the tables held
    /// before, including when several events of the page write the same row. `events` are
    /// the page's events [`handles`](Self::handles) names, in the order of the feed.
    ///
    /// # Errors
    /// As [`apply`](Self::apply): the read-model database refused a statement, or an event
    /// cannot be decoded. The caller's transaction is then rolled back, page and all.
    async fn apply_page(
        &self,
        conn: &mut AnyConnection,
        events: &[&Recorded],
    ) -> Result<(), ProjectionError> {
        for event in events {
            self.apply(conn, event).await?;
        }
        Ok(())
    }

    /// Sees the events of every page the store-fed [`ProjectorGroup`] of this process reads
    /// that [`handles`](Self::handles) names, before they are applied, whether or not this
    /// process is the one that applies them (processes sharing a read model take turns, and
    /// one may be ahead of another). For views every process keeps in memory on top of its
    /// table (which tokens are revoked): they follow the events, not the table. May see an
    /// event more than once (after a failed batch, a rebuild); must not block. The Kafka
    /// projector does not call it: a consumer group splits the partitions among processes.
    /// Nothing by default.
    fn observe(&self, _events: &[&Recorded]) {}
}

/// The database behind a read-model pool, for the few statements the dialects do not share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The backend of a connection of the `Any` driver.
    #[must_use]
    pub fn of(conn: &AnyConnection) -> Self {
        if conn.backend_name().eq_ignore_ascii_case("postgresql") {
            Self::Postgres
        } else {
            Self::Sqlite
        }
    }
}

/// The PostgreSQL advisory lock key taken while a projection's tables are created (the bytes
/// of "agoraddl"): every process creating tables takes it in turn.
const SCHEMA_LOCK: i64 = 0x6167_6f72_6164_646c;

/// Creates a projection's tables: the shared statements, then its backend's own, each under
/// the schema lock ([`create_tables`]).
///
/// # Errors
/// The read-model database refused a statement.
pub async fn create_schema(projection: &dyn Projection, pool: &AnyPool) -> Result<(), sqlx::Error> {
    let backend = Backend::of(&*pool.acquire().await?);
    let statements: Vec<&str> = projection
        .schema()
        .iter()
        .chain(projection.backend_schema(backend))
        .copied()
        .collect();
    create_tables(pool, &statements).await
}

/// Runs `statements` (idempotent DDL: `CREATE ... IF NOT EXISTS`), each in a transaction of
/// its own.
///
/// On PostgreSQL each transaction first takes an advisory lock, so processes starting at once
/// (two instances of a context, or contexts deployed apart) create tables one after another:
/// two concurrent `CREATE TABLE IF NOT EXISTS` of one table can both miss it, and the second
/// then fails on `pg_type_typname_nsp_index` (a known PostgreSQL race). One statement per
/// transaction, because a transaction holds the table locks of its statements until it ends:
/// holding an index's table while waiting for the next table, which a running projector may
/// hold while it waits for the first, is a deadlock.
///
/// # Errors
/// The database refused a statement.
pub async fn create_tables(pool: &AnyPool, statements: &[&str]) -> Result<(), sqlx::Error> {
    for ddl in statements {
        let mut tx = pool.begin().await?;
        if Backend::of(&tx) == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SCHEMA_LOCK)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(ddl).execute(&mut *tx).await?;
        tx.commit().await?;
    }
    Ok(())
}
