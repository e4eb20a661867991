//! Running one projection against the event feed.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use infrastructure::checkpoints;
use shared_kernel::{Cursor, EventFeed, EventStore, Recorded};
use sqlx::AnyPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{Progress, Projection, ProjectionError};

/// Events applied per transaction at most; a batch closes early when the feed has nothing
/// more ready, so a quiet system is projected with no added latency.
const BATCH: usize = 256;
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Events per transaction while rebuilding.
const REBUILD_PAGE: usize = 1000;
/// How often at most the checkpoint of batches that held nothing for the projection (see
/// `Projection::handles`) is written down: bounds what a restart reads again.
const SKIPPED_CHECKPOINT_EVERY: Duration = Duration::from_secs(60);

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
        crate::create_schema(&*self.projection, &self.pool).await?;
        Ok(())
    }

    /// Empties the read model and its checkpoint, so the next run replays from the start.
    ///
    /// # Errors
    /// The read-model database refused a statement.
    pub async fn reset(&self) -> Result<(), ProjectionError> {
        let mut tx = self.pool.begin().await?;
        // Take the checkpoint's lock first: a live projector's batch in flight then commits
        // before the tables are emptied, instead of landing after the DELETE and surviving it.
        checkpoints::lock(&mut tx, self.projection.name()).await?;
        for table in self.projection.tables() {
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *tx)
                .await?;
        }
        // Back to the start rather than deleted: a live projector sees the checkpoint move
        // back under its lock and replays from there too.
        checkpoints::save(&mut *tx, self.projection.name(), Cursor::START).await?;
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
        // The checkpoint as last written down (or seen written) by this projector; `progress`
        // may be ahead of it by batches that held nothing for the projection.
        let mut persisted = *progress.borrow();
        let mut saved_at = tokio::time::Instant::now();
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
                let outcome = match events {
                    Ok(events) => {
                        self.projection.observe(&events);
                        let due = saved_at.elapsed() >= SKIPPED_CHECKPOINT_EVERY;
                        self.apply_batch(&events, persisted, due).await
                    }
                    Err(e) => Err(ProjectionError::Store(
                        shared_kernel::StoreError::Unavailable(Box::new(e)),
                    )),
                };
                match outcome {
                    Ok(Batch::Applied(cursor)) => {
                        persisted = cursor;
                        saved_at = tokio::time::Instant::now();
                        progress.send_replace(cursor);
                        metrics::gauge!("agora_projection_position", "projection" => name)
                            .set(cursor.position as f64);
                    }
                    Ok(Batch::Skipped(cursor)) => {
                        progress.send_replace(cursor);
                    }
                    Ok(Batch::NothingNew) => {}
                    Ok(Batch::Reset(stored)) => {
                        tracing::info!(projection = name, %stored, "checkpoint moved back (rebuild); replaying");
                        persisted = stored;
                        progress.send_replace(stored);
                        break;
                    }
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

    /// Applies the events after the stored checkpoint and moves it, in one transaction that
    /// holds the checkpoint's lock. `applied` is the checkpoint this projector last wrote or
    /// saw; a stored checkpoint behind it means the read model was reset under it. A batch
    /// with nothing the projection handles is only `Skipped`, without a transaction, unless
    /// the checkpoint is `due` to be written down.
    async fn apply_batch(
        &self,
        events: &[Recorded],
        applied: Cursor,
        due: bool,
    ) -> Result<Batch, ProjectionError> {
        if !due && !events.iter().any(|e| self.projection.handles(e)) {
            return Ok(match events.last() {
                Some(last) if last.cursor > applied => Batch::Skipped(last.cursor),
                _ => Batch::NothingNew,
            });
        }
        let name = self.projection.name();
        let mut tx = self.pool.begin().await?;
        let stored = checkpoints::lock(&mut tx, name).await?;
        if stored < applied {
            return Ok(Batch::Reset(stored));
        }
        let fresh: Vec<&Recorded> = events.iter().filter(|e| e.cursor > stored).collect();
        let Some(newest) = fresh.last() else {
            return Ok(if stored > applied {
                Batch::Applied(stored)
            } else {
                Batch::NothingNew
            });
        };
        let last = newest.cursor;
        let behind = (chrono::Utc::now() - newest.recorded_at)
            .num_milliseconds()
            .max(0);
        for event in &fresh {
            self.projection.apply(&mut tx, event).await?;
        }
        checkpoints::save(&mut *tx, name, last).await?;
        tx.commit().await?;
        metrics::counter!("agora_projected_events_total", "projection" => name)
            .increment(fresh.len() as u64);
        // How old the newest applied event was when its batch committed: the read model's lag.
        metrics::gauge!("agora_projection_lag_seconds", "projection" => name)
            .set(behind as f64 / 1000.0);
        Ok(Batch::Applied(last))
    }

    /// Rebuilds the read model: empties it, replays the whole store in order, and returns once
    /// caught up with the store's head (events appended meanwhile included). A live projector
    /// of the same read model keeps running: both take the checkpoint's lock per batch, so each
    /// event is applied once. `progress` is called after every batch with the events so far.
    ///
    /// # Errors
    /// The read-model database or the store failed.
    pub async fn rebuild(
        &self,
        store: &dyn EventStore,
        mut progress: impl FnMut(u64, Cursor),
    ) -> Result<u64, ProjectionError> {
        self.prepare().await?;
        self.reset().await?;
        let mut cursor = Cursor::START;
        let mut replayed = 0_u64;
        loop {
            let page = store.read_all(cursor, REBUILD_PAGE).await?;
            let Some(last) = page.last().map(|e| e.cursor) else {
                // Caught up with what is readable; done once nothing is pending either.
                if store.head().await? <= cursor {
                    return Ok(replayed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            };
            match self.apply_batch(&page, cursor, true).await? {
                Batch::Applied(_) | Batch::Skipped(_) | Batch::NothingNew => {}
                // Someone else reset it again: start over from where it is now.
                Batch::Reset(stored) => {
                    cursor = stored;
                    continue;
                }
            }
            replayed += page.len() as u64;
            cursor = last;
            progress(replayed, cursor);
        }
    }
}

/// What a batch did.
#[derive(Debug)]
enum Batch {
    Applied(Cursor),
    /// Nothing in it for the projection: progress moves, the stored checkpoint stays.
    Skipped(Cursor),
    NothingNew,
    /// The stored checkpoint is behind this projector: the read model was reset.
    Reset(Cursor),
}
