//! Running the read models of one context from the process's shared feed.
//!
//! The group reads a page once for all its projections. Each projection keeps its own cursor
//! and checkpoint row; the events a page holds for any of them are applied in one transaction,
//! which also locks and moves the checkpoints of those that had work (exactly-once effect).
//! A projection with nothing in a page only moves its cursor in memory: replaying events it
//! skips does nothing, so its checkpoint is stored lazily, at most [`LazyCheckpoints`] behind.
//!
//! A projection whose checkpoint moved back under it (`agora projections rebuild` in another
//! process) falls behind the others. The group then alternates between a catch-up page for
//! the one furthest behind (read from the store when it is older than the feed's window) and
//! a live page for the rest, so a rebuild slows its context's other read models down but never
//! stops them; once caught up it rides the live pages again.

use std::sync::Arc;
use std::time::{Duration, Instant};

use infrastructure::checkpoints;
use shared_kernel::{Cursor, EventFeed, FeedError, Page, Recorded, StoreError};
use sqlx::AnyPool;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::board::CheckpointBoard;
use crate::{Progress, Projection, ProjectionError, ProjectorHandle};

mod checkpointing;
mod member;

use self::member::Member;

/// Events read per page at most.
const BATCH: usize = 256;
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How far a checkpoint that only skipped events may lag behind its projection's cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LazyCheckpoints {
    /// Stored at the latest this long after the first unsaved skip.
    pub max_age: Duration,
    /// Stored at the latest after this many unsaved skipped events.
    pub max_events: u64,
}

impl Default for LazyCheckpoints {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(1),
            max_events: 2_000,
        }
    }
}

/// The read models of one context (or any set sharing a database), fed from one feed.
#[derive(Debug)]
pub struct ProjectorGroup {
    name: String,
    projections: Vec<Arc<dyn Projection>>,
    pool: AnyPool,
    lazy: LazyCheckpoints,
    board: Option<CheckpointBoard>,
}

/// A running group's state.
#[derive(Debug)]
struct Running {
    name: String,
    members: Vec<Member>,
    pool: AnyPool,
    lazy: LazyCheckpoints,
    /// Where skip-only checkpoints go (one transaction for the whole process); `None`: this
    /// group stores its own.
    board: Option<CheckpointBoard>,
    /// Whose turn it is while some member catches up.
    catch_up_turn: bool,
}

impl ProjectorGroup {
    /// A group named `name` (for logs and metrics: usually the context) over `projections`,
    /// whose tables and checkpoints live in `pool`.
    #[must_use]
    pub fn new(
        name: impl Into<String>,
        projections: Vec<Arc<dyn Projection>>,
        pool: AnyPool,
    ) -> Self {
        Self {
            name: name.into(),
            projections,
            pool,
            lazy: LazyCheckpoints::default(),
            board: None,
        }
    }

    /// Posts skip-only checkpoints on the process's `board` instead of storing them one
    /// group at a time.
    #[must_use]
    pub fn with_board(mut self, board: CheckpointBoard) -> Self {
        self.board = Some(board);
        self
    }

    /// Overrides how lazily skip-only checkpoints are stored.
    #[must_use]
    pub const fn with_lazy_checkpoints(mut self, lazy: LazyCheckpoints) -> Self {
        self.lazy = lazy;
        self
    }

    /// Creates the tables, reads the checkpoints and starts projecting in the background
    /// until `shutdown` is cancelled; each projection's progress is registered in `progress`.
    ///
    /// # Errors
    /// The tables cannot be created or a checkpoint read.
    pub async fn spawn(
        self,
        feed: Arc<dyn EventFeed>,
        progress: &Progress,
        shutdown: CancellationToken,
    ) -> Result<ProjectorHandle, ProjectionError> {
        let mut members = Vec::with_capacity(self.projections.len());
        for projection in self.projections {
            crate::create_schema(&*projection, &self.pool).await?;
            let stored = checkpoints::load(&self.pool, projection.name())
                .await?
                .unwrap_or_default();
            let (tx, rx) = watch::channel(stored);
            progress.register(projection.name(), rx);
            members.push(Member {
                projection,
                applied: stored,
                stored,
                unsaved: 0,
                unsaved_since: None,
                progress: tx,
            });
        }
        let names: Vec<&'static str> = members.iter().map(Member::name).collect();
        let running = Running {
            name: self.name,
            members,
            pool: self.pool,
            lazy: self.lazy,
            board: self.board,
            catch_up_turn: false,
        };
        Ok(ProjectorHandle {
            names,
            task: tokio::spawn(running.run(feed, shutdown)),
        })
    }
}

impl Running {
    async fn run(mut self, feed: Arc<dyn EventFeed>, shutdown: CancellationToken) {
        loop {
            let leader = self.members.iter().map(|m| m.applied).max();
            let laggard = self.members.iter().map(|m| m.applied).min();
            let (Some(leader), Some(laggard)) = (leader, laggard) else {
                return;
            };
            let page = if laggard < leader {
                // Someone catches up: take turns, never waiting for news while it does.
                self.catch_up_turn = !self.catch_up_turn;
                let from = if self.catch_up_turn { laggard } else { leader };
                let page = if self.catch_up_turn {
                    Some(feed.next_page(from, BATCH).await)
                } else {
                    tokio::time::timeout(Duration::ZERO, feed.next_page(from, BATCH))
                        .await
                        .ok()
                };
                if shutdown.is_cancelled() {
                    break;
                }
                page.map(|p| (from, p))
            } else {
                let flush_at = self.next_flush();
                tokio::select! {
                    page = feed.next_page(leader, BATCH) => Some((leader, page)),
                    () = sleep_until(flush_at) => None,
                    () = shutdown.cancelled() => break,
                }
            };
            if let Some((from, page)) = page {
                let outcome = match page {
                    Ok(page) => self.step(from, &page).await,
                    Err(e) => Err(feed_error(e)),
                };
                if let Err(e) = outcome {
                    // Nothing moved in memory: the same page is read and applied again.
                    tracing::error!(group = %self.name, error = %e, "batch failed; retrying");
                    metrics::counter!("agora_projection_failures_total", "group" => self.name.clone())
                        .increment(1);
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            }
            self.learn_from_board();
            self.flush(false).await;
        }
        self.learn_from_board();
        self.flush(true).await;
    }

    /// Applies `page` (the events after `from`) to every member at or past `from`.
    async fn step(&mut self, from: Cursor, page: &Page) -> Result<(), ProjectionError> {
        let Some(last) = page.last().map(|e| e.cursor) else {
            return Ok(());
        };
        let mut work: Vec<(usize, Vec<&Recorded>)> = Vec::new();
        for (i, m) in self.members.iter().enumerate() {
            if m.applied < from {
                continue;
            }
            let interest = m.projection.handles();
            let relevant: Vec<&Recorded> = page
                .iter()
                .filter(|e| e.cursor > m.applied && interest.matches(e))
                .map(AsRef::as_ref)
                .collect();
            if !relevant.is_empty() {
                m.projection.observe(&relevant);
                work.push((i, relevant));
            }
        }
        if !work.is_empty() {
            self.apply(&work, last).await?;
        }
        for (i, m) in self.members.iter_mut().enumerate() {
            if m.applied >= from && !work.iter().any(|(w, _)| *w == i) {
                let skipped = page.iter().filter(|e| e.cursor > m.applied).count();
                m.skip_to(last, skipped as u64);
            }
        }
        Ok(())
    }

    /// One transaction: lock the working members' checkpoints, apply what each has not
    /// applied yet, move their checkpoints to `last`.
    async fn apply(
        &mut self,
        work: &[(usize, Vec<&Recorded>)],
        last: Cursor,
    ) -> Result<(), ProjectionError> {
        let names: Vec<&str> = work.iter().map(|(i, _)| self.members[*i].name()).collect();
        let mut tx = self.pool.begin().await?;
        let stored = checkpoints::lock_many(&mut tx, &names).await?;
        let stored_of = |name: &str| {
            stored
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Cursor::START, |(_, c)| *c)
        };
        let mut saves: Vec<(&str, Cursor)> = Vec::with_capacity(work.len());
        let mut moved_back: Vec<(usize, Cursor)> = Vec::new();
        let mut applied = 0_u64;
        let mut newest = None;
        for (i, events) in work {
            let member = &self.members[*i];
            let stored = stored_of(member.name());
            if stored < member.stored {
                moved_back.push((*i, stored));
                continue;
            }
            // Another writer (a rebuild, another process) may have applied further already.
            let floor = stored.max(member.applied);
            let fresh: Vec<&Recorded> = events
                .iter()
                .filter(|e| e.cursor > floor)
                .copied()
                .collect();
            if let Some(event) = fresh.last() {
                member.projection.apply_page(&mut tx, &fresh).await?;
                applied += fresh.len() as u64;
                newest = Some(event.recorded_at);
            }
            saves.push((member.name(), stored.max(last)));
        }
        checkpoints::save_many(&mut tx, &saves).await?;
        tx.commit().await?;
        for (name, cursor) in &saves {
            if let Some(m) = self.members.iter_mut().find(|m| m.name() == *name) {
                m.saved(*cursor);
            }
        }
        for (i, stored) in moved_back {
            self.members[i].found(stored);
        }
        metrics::counter!("agora_projected_events_total", "group" => self.name.clone())
            .increment(applied);
        if let Some(at) = newest {
            // How old the newest applied event was when its batch committed: the lag.
            let behind = (chrono::Utc::now() - at).num_milliseconds().max(0);
            metrics::gauge!("agora_projection_lag_seconds", "group" => self.name.clone())
                .set(behind as f64 / 1000.0);
        }
        Ok(())
    }
}

async fn sleep_until(at: Instant) {
    tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await;
}

fn feed_error(e: FeedError) -> ProjectionError {
    match e {
        FeedError::Store(e) => ProjectionError::Store(e),
        other => ProjectionError::Store(StoreError::Unavailable(Box::new(other))),
    }
}
