//! Running one projection against the event feed.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use infrastructure::checkpoints;
use shared_kernel::{Cursor, EventFeed, Recorded};
use sqlx::AnyPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{Progress, Projection, ProjectionError};

/// Events applied per transaction at most; a batch closes early when the feed has nothing
/// more ready, so a quiet system is projected with no added latency.
const BATCH: usize = 256;
const RETRY_PAUSE: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct Projector {
    projection: Arc<dyn Projection>,
    pool: AnyPool,
}

/// A running projector.
#[derive(Debug)]
pub struct ProjectorHandle {
    pub name: &'static str,
    pub task: tokio::task::JoinHandle<()>,
}

impl Projector {
    #[must_use]
    pub fn new(projection: Arc<dyn Projection>, pool: AnyPool) -> Self {
        Self { projection, pool }
    }

    /// Creates the projection's tables if they do not exist.
    ///
    /// # Errors
    /// The read-model database refused a statement.
    pub async fn prepare(&self) -> Result<(), ProjectionError> {
        for ddl in self.projection.schema() {
            sqlx::query(ddl).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Empties the read model and its checkpoint, so the next run replays from the start.
    ///
    /// # Errors
    /// The read-model database refused a statement.
    pub async fn reset(&self) -> Result<(), ProjectionError> {
        let mut tx = self.pool.begin().await?;
        for table in self.projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM checkpoints WHERE name = $1")
            .bind(self.projection.name())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Starts projecting in the background until `shutdown` is cancelled.
    ///
    /// # Errors
    /// The tables cannot be created or the checkpoint read.
    pub async fn spawn(
        self,
        feed: Arc<dyn EventFeed>,
        progress: &Progress,
        shutdown: CancellationToken,
    ) -> Result<ProjectorHandle, ProjectionError> {
        self.prepare().await?;
        let start = checkpoints::load(&self.pool, self.projection.name())
            .await?
            .unwrap_or_default();
        let (tx, rx) = watch::channel(start);
        let name = self.projection.name();
        progress.register(name, rx);
        let task = tokio::spawn(async move {
            tokio::select! {
                () = self.run(feed, tx) => {}
                () = shutdown.cancelled() => {}
            }
        });
        Ok(ProjectorHandle { name, task })
    }

    async fn run(self, feed: Arc<dyn EventFeed>, progress: watch::Sender<Cursor>) {
        let name = self.projection.name();
        loop {
            // (Re)start from the last committed checkpoint: whatever a failed batch did was
            // rolled back with it.
            let from = *progress.borrow();
            let mut batches = match feed.subscribe(name, from).await {
                Ok(stream) => stream.ready_chunks(BATCH),
                Err(e) => {
                    tracing::warn!(projection = name, error = %e, "cannot subscribe; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            while let Some(batch) = batches.next().await {
                let events: Result<Vec<Recorded>, _> = batch.into_iter().collect();
                let applied = *progress.borrow();
                let outcome = match events {
                    Ok(events) => self.apply_batch(&events, applied).await,
                    Err(e) => Err(ProjectionError::Store(
                        shared_kernel::StoreError::Unavailable(Box::new(e)),
                    )),
                };
                match outcome {
                    Ok(Some(cursor)) => {
                        progress.send_replace(cursor);
                        metrics::gauge!("agora_projection_position", "projection" => name)
                            .set(cursor.position as f64);
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!(projection = name, error = %e, "batch failed; retrying from checkpoint");
                        metrics::counter!("agora_projection_failures_total", "projection" => name)
                            .increment(1);
                        tokio::time::sleep(RETRY_PAUSE).await;
                        break;
                    }
                }
            }
        }
    }

    /// Applies the events after `applied` and moves the checkpoint, in one transaction.
    /// Returns the new checkpoint, or `None` if every event was already applied.
    async fn apply_batch(
        &self,
        events: &[Recorded],
        applied: Cursor,
    ) -> Result<Option<Cursor>, ProjectionError> {
        let fresh: Vec<&Recorded> = events.iter().filter(|e| e.cursor > applied).collect();
        let Some(newest) = fresh.last() else {
            return Ok(None);
        };
        let last = newest.cursor;
        let behind = (chrono::Utc::now() - newest.recorded_at)
            .num_milliseconds()
            .max(0);
        let mut tx = self.pool.begin().await?;
        for event in &fresh {
            self.projection.apply(&mut tx, event).await?;
        }
        checkpoints::save(&mut *tx, self.projection.name(), last).await?;
        tx.commit().await?;
        let name = self.projection.name();
        metrics::counter!("agora_projected_events_total", "projection" => name)
            .increment(fresh.len() as u64);
        // How old the newest applied event was when its batch committed: the read model's lag.
        metrics::gauge!("agora_projection_lag_seconds", "projection" => name)
            .set(behind as f64 / 1000.0);
        Ok(Some(last))
    }
}
