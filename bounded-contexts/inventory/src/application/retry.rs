//! Surviving contention on a hot sku: many orders reserving one sku all append to its one
//! `stock-<sku>` stream, so optimistic-concurrency conflicts are the normal case there.
//!
//! Two layers: commands on one stream are taken one at a time within this process (a keyed
//! lock, so local contention never turns into conflicts), and conflicts with other processes
//! are retried with jittered, growing pauses well beyond `execute`'s own few immediate retries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand::Rng;
use shared_kernel::application::{ExecuteError, Executed, execute};
use shared_kernel::{Aggregate, Clock, EventMetadata, EventStore, StreamId};
use tokio::sync::OwnedMutexGuard;

/// How long to keep retrying a command that keeps losing races to other processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConflictRetry {
    /// Rounds of `execute` (each with its own immediate retries) before giving up.
    pub rounds: u32,
    pub first_pause: Duration,
    pub max_pause: Duration,
}

impl Default for ConflictRetry {
    fn default() -> Self {
        Self {
            rounds: 30,
            first_pause: Duration::from_millis(2),
            max_pause: Duration::from_millis(200),
        }
    }
}

/// One async lock per stream, created on demand and dropped when nobody holds or awaits it.
#[derive(Debug, Default)]
pub(crate) struct StreamLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

pub(crate) struct StreamGuard<'a> {
    locks: &'a StreamLocks,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl StreamLocks {
    pub(crate) async fn lock(&self, stream: &StreamId) -> StreamGuard<'_> {
        let key = stream.as_str().to_owned();
        let lock = Arc::clone(
            self.locks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        );
        StreamGuard {
            locks: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }
}

impl Drop for StreamGuard<'_> {
    fn drop(&mut self) {
        self.guard = None;
        let mut locks = self
            .locks
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the map's own reference left: nobody holds or waits for this stream.
        if locks
            .get(&self.key)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.key);
        }
    }
}

/// [`execute`], one at a time per stream in this process, retrying conflicts with backoff.
///
/// # Errors
/// As [`execute`]; `Conflict` only once every round lost.
pub(crate) async fn execute_with_retry<A: Aggregate>(
    locks: &StreamLocks,
    retry: ConflictRetry,
    store: &dyn EventStore,
    clock: &dyn Clock,
    stream: &StreamId,
    command: A::Command,
    metadata: &EventMetadata,
) -> Result<Executed<A>, ExecuteError<A::Error>> {
    let _turn = locks.lock(stream).await;
    let mut pause = retry.first_pause;
    let mut round = 1;
    loop {
        match execute::<A>(store, clock, stream, command.clone(), metadata).await {
            Err(ExecuteError::Conflict) if round < retry.rounds => {
                // Full jitter: racing writers spread out instead of colliding again in step.
                let jittered = rand::rng().random_range(pause / 2..=pause);
                tokio::time::sleep(jittered).await;
                pause = (pause * 2).min(retry.max_pause);
                round += 1;
            }
            outcome => return outcome,
        }
    }
}
