//! How far each projection has got, for reads that must see a write (`Agora-Min-Position`).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use shared_kernel::{Cursor, EventStore, StoreError};
use tokio::sync::watch;

#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("projection {0} is not running here")]
    UnknownProjection(String),
    #[error("read model has not reached position {0} yet")]
    TimedOut(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shared, cloneable registry of projector positions.
#[derive(Debug, Clone)]
pub struct Progress {
    store: Arc<dyn EventStore>,
    positions: Arc<RwLock<HashMap<&'static str, watch::Receiver<Cursor>>>>,
}

impl Progress {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            positions: Arc::default(),
        }
    }

    pub(crate) fn register(&self, name: &'static str, rx: watch::Receiver<Cursor>) {
        self.positions
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name, rx);
    }

    /// The cursor each projection has applied up to.
    #[must_use]
    pub fn snapshot(&self) -> Vec<(&'static str, Cursor)> {
        let map = self
            .positions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all: Vec<_> = map.iter().map(|(n, rx)| (*n, *rx.borrow())).collect();
        all.sort_by_key(|(n, _)| *n);
        all
    }

    /// Waits until `projection` has applied the event at global `position`, at most `timeout`.
    ///
    /// # Errors
    /// Not reached in time, the projection is not running in this process, or a store failure.
    pub async fn wait_for(
        &self,
        projection: &str,
        position: u64,
        timeout: Duration,
    ) -> Result<(), WaitError> {
        let mut rx = self
            .positions
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(projection)
            .cloned()
            .ok_or_else(|| WaitError::UnknownProjection(projection.to_owned()))?;
        let deadline = tokio::time::Instant::now() + timeout;
        // The position's place in the global order (its transaction, on PostgreSQL). It may not
        // be readable yet if its transaction has just committed behind an older open one.
        let target = loop {
            if let Some(c) = self.store.cursor_of(position).await? {
                break c;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(WaitError::TimedOut(position));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        tokio::time::timeout_at(deadline, rx.wait_for(|applied| *applied >= target))
            .await
            .map_err(|_| WaitError::TimedOut(position))?
            .map_err(|_| WaitError::TimedOut(position))?;
        Ok(())
    }
}
