//! Storing the checkpoints a group's members only skipped to: lazily, on the process's
//! checkpoint board or in one transaction of the group's own.

use std::time::{Duration, Instant};

use infrastructure::checkpoints;
use shared_kernel::StoreError;

use super::Running;

impl Running {
    /// Takes in what the board did with the members' posts.
    pub(super) fn learn_from_board(&mut self) {
        let Some(board) = &self.board else { return };
        for member in &mut self.members {
            if let Some(outcome) = board.outcome(member.name()) {
                member.posted(outcome);
            }
        }
    }

    /// When the next lazy checkpoint is due (far away when none is).
    pub(super) fn next_flush(&self) -> Instant {
        self.members
            .iter()
            .filter(|m| m.applied > m.stored)
            .filter_map(|m| m.unsaved_since)
            .map(|t| t + self.lazy.max_age)
            .min()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    /// Stores the checkpoints that are due (all that lag, with `force`), in one transaction.
    pub(super) async fn flush(&mut self, force: bool) {
        let now = Instant::now();
        let due: Vec<usize> = (0..self.members.len())
            .filter(|i| {
                let m = &self.members[*i];
                m.applied > m.stored && (force || m.flush_due(self.lazy, now))
            })
            .collect();
        if due.is_empty() {
            return;
        }
        if let (Some(board), false) = (&self.board, force) {
            for &i in &due {
                let m = &mut self.members[i];
                board.post(m.name(), m.stored, m.applied);
                // Posted again only if still unsaved a whole period later.
                m.unsaved_since = Some(now);
            }
            return;
        }
        if let Err(e) = self.store_lazily(&due).await {
            tracing::warn!(group = %self.name, error = %e, "cannot store skipped checkpoints; later");
        }
    }

    pub(super) async fn store_lazily(&mut self, due: &[usize]) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        let mut outcomes = Vec::with_capacity(due.len());
        for &i in due {
            let m = &self.members[i];
            let moved = checkpoints::advance(&mut *tx, m.name(), m.stored, m.applied).await?;
            let found = if moved {
                None
            } else {
                checkpoints::load(&mut *tx, m.name()).await?
            };
            outcomes.push((i, moved, found));
        }
        tx.commit()
            .await
            .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
        for (i, moved, found) in outcomes {
            let m = &mut self.members[i];
            if moved {
                let applied = m.applied;
                m.saved(applied);
            } else {
                m.found(found.unwrap_or_default());
            }
        }
        Ok(())
    }
}
