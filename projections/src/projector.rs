//! One projection on its own: creating its tables, running it live (a group of one), and
//! rebuilding it from the store.

use std::sync::Arc;
use std::time::Duration;

use infrastructure::checkpoints;
use shared_kernel::{Cursor, EventFeed, EventStore, Recorded};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;

use crate::{Progress, Projection, ProjectionError, ProjectorGroup};

/// Events read per page while rebuilding.
const REBUILD_PAGE: usize = 1000;
/// While rebuilding, relevant events are applied once this many have been read...
const REBUILD_APPLY_EVENTS: usize = 1000;
/// ... or once they span this many pages: one transaction (and one checkpoint) for them all.
const REBUILD_APPLY_PAGES: usize = 10;

#[derive(Debug)]
pub struct Projector {
    projection: Arc<dyn Projection>,
    pool: AnyPool,
}

/// A running group of projections (one task).
#[derive(Debug)]
pub struct ProjectorHandle {
    /// The projections it runs.
    pub names: Vec<&'static str>,
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

    /// Starts projecting in the background until `shutdown` is cancelled: a group of one.
    ///
    /// # Errors
    /// The tables cannot be created or the checkpoint read.
    pub async fn spawn(
        self,
        feed: Arc<dyn EventFeed>,
        progress: &Progress,
        shutdown: CancellationToken,
    ) -> Result<ProjectorHandle, ProjectionError> {
        let name = self.projection.name();
        ProjectorGroup::new(name, vec![self.projection], self.pool)
            .spawn(feed, progress, shutdown)
            .await
    }

    /// Applies the page's events this projection handles and has not applied yet, and moves
    /// its checkpoint to `last`, in one transaction holding the checkpoint's lock. Returns the
    /// stored checkpoint when it is behind `applied` (the read model was reset under us).
    async fn apply_page(
        &self,
        events: &[Recorded],
        applied: Cursor,
        last: Cursor,
    ) -> Result<Option<Cursor>, ProjectionError> {
        let name = self.projection.name();
        let interest = self.projection.handles();
        let mut tx = self.pool.begin().await?;
        let stored = checkpoints::lock(&mut tx, name).await?;
        if stored < applied {
            return Ok(Some(stored));
        }
        let relevant: Vec<&Recorded> = events
            .iter()
            .filter(|e| e.cursor > stored && interest.matches(e))
            .collect();
        if !relevant.is_empty() {
            self.projection.apply_page(&mut tx, &relevant).await?;
        }
        checkpoints::save(&mut *tx, name, stored.max(last)).await?;
        tx.commit().await?;
        Ok(None)
    }

    /// Rebuilds the read model: empties it, replays the whole store in order, and returns once
    /// caught up with the store's head (events appended meanwhile included). A live projector
    /// of the same read model keeps running: both take the checkpoint's lock per batch, so each
    /// event is applied once. The relevant events of up to [`REBUILD_APPLY_PAGES`] pages (at
    /// least [`REBUILD_APPLY_EVENTS`] of them, or fewer at the end) are applied in one
    /// transaction, as one page for the projection ([`Projection::apply_page`]), while the next
    /// page is read; pages with nothing this projection handles cost no transaction.
    /// `progress` is called after every page with the events read so far and the cursor.
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
        let interest = self.projection.handles();
        // `applied`: what this rebuild has stored; `cursor`: what it has read; `pending`: the
        // relevant events read and not applied yet, from `pages` pages.
        let mut applied = Cursor::START;
        let mut cursor = Cursor::START;
        let mut replayed = 0_u64;
        let mut pending: Vec<Recorded> = Vec::new();
        let mut pages = 0_usize;
        let mut page = store.read_all(cursor, REBUILD_PAGE).await?;
        loop {
            let Some(last) = page.last().map(|e| e.cursor) else {
                // Caught up with what is readable; done once nothing is pending either.
                if store.head().await? <= cursor {
                    if cursor > applied
                        && let Some(stored) = self.apply_page(&pending, applied, cursor).await?
                    {
                        (applied, cursor) = (stored, stored);
                        (pending, pages) = (Vec::new(), 0);
                        page = store.read_all(cursor, REBUILD_PAGE).await?;
                        continue;
                    }
                    return Ok(replayed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                page = store.read_all(cursor, REBUILD_PAGE).await?;
                continue;
            };
            replayed += page.len() as u64;
            pending.extend(page.into_iter().filter(|e| interest.matches(e)));
            if !pending.is_empty() {
                pages += 1;
            }
            let apply = pending.len() >= REBUILD_APPLY_EVENTS
                || (!pending.is_empty() && pages >= REBUILD_APPLY_PAGES);
            let batch = if apply {
                pages = 0;
                std::mem::take(&mut pending)
            } else {
                Vec::new()
            };
            // The next page is read while the batch is applied: the read and the writes overlap.
            let (next, reset) = tokio::join!(store.read_all(last, REBUILD_PAGE), async {
                if apply {
                    self.apply_page(&batch, applied, last).await
                } else {
                    Ok(None)
                }
            });
            // Someone else reset it again: start over from where it is now.
            if let Some(stored) = reset? {
                (applied, cursor) = (stored, stored);
                (pending, pages) = (Vec::new(), 0);
                page = store.read_all(cursor, REBUILD_PAGE).await?;
                continue;
            }
            if apply {
                applied = last;
            }
            cursor = last;
            progress(replayed, cursor);
            page = next?;
        }
    }
}
