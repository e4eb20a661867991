//! One projection of a group and where it is: its cursor, its stored checkpoint, and what
//! it skipped since.

use std::sync::Arc;
use std::time::Instant;

use shared_kernel::Cursor;
use tokio::sync::watch;

use super::LazyCheckpoints;
use crate::Projection;
use crate::board::Outcome;

/// One projection of the group and where it is.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) projection: Arc<dyn Projection>,
    /// Every event up to here is reflected in the read model (applied, or irrelevant).
    pub(super) applied: Cursor,
    /// The checkpoint as this process last stored or read it.
    pub(super) stored: Cursor,
    /// Skipped events not in the stored checkpoint yet, and since when.
    pub(super) unsaved: u64,
    pub(super) unsaved_since: Option<Instant>,
    pub(super) progress: watch::Sender<Cursor>,
}

impl Member {
    pub(super) fn name(&self) -> &'static str {
        self.projection.name()
    }

    /// Moves the cursor over events it had nothing to do for.
    pub(super) fn skip_to(&mut self, cursor: Cursor, skipped: u64) {
        if cursor <= self.applied {
            return;
        }
        self.applied = cursor;
        self.unsaved += skipped;
        self.unsaved_since.get_or_insert_with(Instant::now);
        self.progress.send_replace(cursor);
    }

    /// The checkpoint was found at `stored`, written by someone else.
    pub(super) fn found(&mut self, stored: Cursor) {
        if stored < self.stored {
            tracing::info!(projection = self.name(), %stored, "checkpoint moved back (rebuild); replaying");
            self.applied = stored;
            self.unsaved = 0;
            self.unsaved_since = None;
        } else if stored > self.applied {
            self.applied = stored;
        }
        self.stored = stored;
        self.progress.send_replace(self.applied);
    }

    /// What the process's checkpoint board did with this member's post.
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
            Outcome::Found(cursor) => self.found(cursor),
        }
    }

    pub(super) fn saved(&mut self, cursor: Cursor) {
        self.applied = cursor;
        self.stored = cursor;
        self.unsaved = 0;
        self.unsaved_since = None;
        self.progress.send_replace(cursor);
    }

    pub(super) fn flush_due(&self, lazy: LazyCheckpoints, now: Instant) -> bool {
        self.applied > self.stored
            && (self.unsaved >= lazy.max_events
                || self
                    .unsaved_since
                    .is_some_and(|t| now.duration_since(t) >= lazy.max_age))
    }
}
