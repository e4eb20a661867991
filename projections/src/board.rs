//! The checkpoints a process's consumers only skipped events for, stored together.
//!
//! A consumer whose pages held nothing for it moves its cursor in memory and stores it lazily
//! (replaying skipped events does nothing). Stored one consumer at a time, that is a
//! transaction per consumer and second however idle each is, so every read model added would
//! make the process dearer. Instead consumers post their skip-only checkpoints on one board per
//! process, and one task writes whatever is posted in a single transaction every
//! [`CheckpointBoard::EVERY`]: one transaction for all of them. Each row moves only if it is
//! still where its consumer last saw it (a rebuild or another process may have moved it), and
//! the consumer learns the outcome from the board.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use infrastructure::checkpoints;
use shared_kernel::{Cursor, StoreError};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;

/// What the board did with a posted checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Stored: the checkpoint is now here.
    Moved(Cursor),
    /// Not stored: someone else had moved it; it is here.
    Found(Cursor),
}

#[derive(Debug, Default)]
struct Posts {
    /// Per consumer: from where to where its checkpoint should move.
    pending: HashMap<String, (Cursor, Cursor)>,
    outcomes: HashMap<String, Outcome>,
}

/// One per process and read-model database; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct CheckpointBoard {
    posts: Arc<Mutex<Posts>>,
}

impl CheckpointBoard {
    /// How often posted checkpoints are written.
    pub const EVERY: Duration = Duration::from_millis(500);

    /// An empty board; nothing is written until [`Self::run`] runs.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn posts(&self) -> std::sync::MutexGuard<'_, Posts> {
        self.posts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Asks for `name`'s checkpoint to move from `from` to `to` at the next write (a newer post
    /// of the same consumer replaces an older one).
    pub(crate) fn post(&self, name: &str, from: Cursor, to: Cursor) {
        self.posts().pending.insert(name.to_owned(), (from, to));
    }

    /// What the last write did with `name`'s post, once.
    pub(crate) fn outcome(&self, name: &str) -> Option<Outcome> {
        self.posts().outcomes.remove(name)
    }

    /// Writes every posted checkpoint in one transaction, each only if it is still at its
    /// `from`. Posts stay for the next write when the database fails.
    ///
    /// # Errors
    /// The read-model database failed.
    pub async fn write(&self, pool: &AnyPool) -> Result<(), StoreError> {
        let pending: Vec<(String, (Cursor, Cursor))> = self.posts().pending.drain().collect();
        if pending.is_empty() {
            return Ok(());
        }
        let written = Self::write_all(pool, &pending).await;
        let mut posts = self.posts();
        match written {
            Ok(outcomes) => {
                posts.outcomes.extend(outcomes);
                Ok(())
            }
            Err(e) => {
                for (name, post) in pending {
                    posts.pending.entry(name).or_insert(post);
                }
                Err(e)
            }
        }
    }

    async fn write_all(
        pool: &AnyPool,
        pending: &[(String, (Cursor, Cursor))],
    ) -> Result<Vec<(String, Outcome)>, StoreError> {
        let unavailable = |e: sqlx::Error| StoreError::Unavailable(Box::new(e));
        let mut tx = pool.begin().await.map_err(unavailable)?;
        let mut outcomes = Vec::with_capacity(pending.len());
        for (name, (from, to)) in pending {
            let outcome = if checkpoints::advance(&mut *tx, name, *from, *to).await? {
                Outcome::Moved(*to)
            } else {
                Outcome::Found(checkpoints::load(&mut *tx, name).await?.unwrap_or_default())
            };
            outcomes.push((name.clone(), outcome));
        }
        tx.commit().await.map_err(unavailable)?;
        metrics::counter!("agora_lazy_checkpoints_written_total").increment(outcomes.len() as u64);
        Ok(outcomes)
    }

    /// Writes what is posted every [`Self::EVERY`] until `shutdown` (consumers store their
    /// own last checkpoints as they stop).
    pub async fn run(self, pool: AnyPool, shutdown: CancellationToken) {
        let mut every = tokio::time::interval(Self::EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = every.tick() => {}
                () = shutdown.cancelled() => return,
            }
            if let Err(e) = self.write(&pool).await {
                tracing::warn!(error = %e, "cannot store skipped checkpoints; later");
            }
        }
    }
}
