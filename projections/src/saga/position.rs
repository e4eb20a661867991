//! A saga's place in the log, and its lazily stored checkpoint.

use std::time::Duration;

use infrastructure::checkpoints;
use shared_kernel::Cursor;
use sqlx::AnyPool;

use crate::LazyCheckpoints;
use crate::board::{CheckpointBoard, Outcome};

/// A saga's place in the log: where it has reacted up to, and what its checkpoint says.
#[derive(Debug)]
pub(super) struct LazyPosition {
    pub(super) applied: Cursor,
    pub(super) stored: Cursor,
    pub(super) unsaved: u64,
    pub(super) unsaved_since: Option<tokio::time::Instant>,
}

impl LazyPosition {
    pub(super) const fn at(cursor: Cursor) -> Self {
        Self {
            applied: cursor,
            stored: cursor,
            unsaved: 0,
            unsaved_since: None,
        }
    }

    pub(super) fn moved(&mut self, to: Cursor, events: u64) {
        if to > self.applied {
            self.applied = to;
            self.unsaved += events;
            self.unsaved_since
                .get_or_insert_with(tokio::time::Instant::now);
        }
    }

    pub(super) fn due(&self, lazy: LazyCheckpoints) -> bool {
        self.applied > self.stored
            && (self.unsaved >= lazy.max_events
                || self
                    .unsaved_since
                    .is_some_and(|t| t.elapsed() >= lazy.max_age))
    }

    pub(super) fn due_at(&self, lazy: LazyCheckpoints) -> tokio::time::Instant {
        match self.unsaved_since {
            Some(t) if self.applied > self.stored => t + lazy.max_age,
            _ => tokio::time::Instant::now() + Duration::from_secs(3600),
        }
    }

    /// Posts the checkpoint on the process's board (written with every other consumer's), or
    /// stores it itself when there is no board or the saga stops.
    pub(super) async fn store_or_post(
        &mut self,
        pool: &AnyPool,
        board: Option<&CheckpointBoard>,
        name: &str,
    ) {
        match board {
            Some(board) if self.applied > self.stored => {
                board.post(name, self.stored, self.applied);
                // Posted again only if still unsaved a whole period later.
                self.unsaved_since = Some(tokio::time::Instant::now());
            }
            Some(_) => {}
            None => self.store(pool, name).await,
        }
    }

    /// What the board did with the last post.
    pub(super) fn posted(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Moved(cursor) if cursor > self.stored => {
                self.stored = cursor;
                if self.applied <= cursor {
                    self.unsaved = 0;
                    self.unsaved_since = None;
                }
            }
            Outcome::Moved(_) => {}
            // Another runner of the saga moved it: it reacted to everything before it.
            Outcome::Found(cursor) => {
                self.stored = cursor;
                self.applied = self.applied.max(cursor);
            }
        }
    }

    /// Stores the checkpoint unless another runner of the saga moved it; then adopts the
    /// furthest (that runner reacted to everything before it).
    pub(super) async fn store(&mut self, pool: &AnyPool, name: &str) {
        if self.applied <= self.stored {
            return;
        }
        match checkpoints::advance(pool, name, self.stored, self.applied).await {
            Ok(true) => *self = Self::at(self.applied),
            Ok(false) => match checkpoints::load(pool, name).await {
                Ok(found) => {
                    self.stored = found.unwrap_or_default();
                    self.applied = self.applied.max(self.stored);
                }
                Err(e) => tracing::warn!(saga = name, error = %e, "cannot read checkpoint"),
            },
            Err(e) => tracing::warn!(saga = name, error = %e, "cannot store checkpoint; later"),
        }
    }
}
