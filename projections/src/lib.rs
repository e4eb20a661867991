//! Projections: read models built from the event feed.
//!
//! A [`Projection`] says how one event changes its tables; the [`Projector`] runs it: reads
//! batches from the feed, applies a batch and stores the checkpoint in one transaction (so a
//! crash mid-batch leaves neither half), and publishes its progress for read-your-writes waits.

mod kafka_projector;
mod progress;
mod projector;
pub mod saga;

use async_trait::async_trait;
use shared_kernel::{DecodeError, Recorded};
use sqlx::AnyConnection;

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

    /// `CREATE TABLE IF NOT EXISTS ...` statements, run at start-up.
    fn schema(&self) -> &'static [&'static str];

    /// The tables a rebuild empties before replaying.
    fn tables(&self) -> &'static [&'static str];

    /// Applies one event inside the batch's transaction. Events of other contexts or types
    /// are ignored by returning `Ok(())`.
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError>;
}
