//! Surviving contention on a hot stream: many commands appending to one stream (orders
//! reserving one sku) make optimistic-concurrency conflicts the normal case there.
//!
//! Two layers: commands on one stream are taken one at a time within this process (a keyed
//! lock, so local contention never turns into conflicts), and conflicts with other processes
//! are retried with jittered, growing pauses well beyond `execute`'s own few immediate retries.

use std::time::Duration;

use rand::Rng;

use super::locks::KeyedLocks;
use super::store::{ExecuteError, Executed, execute};
use crate::aggregate::Aggregate;
use crate::clock::Clock;
use crate::event::{EventMetadata, StreamId};
use crate::ports::EventStore;

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

/// [`execute`], one at a time per stream in this process, retrying conflicts with backoff.
///
/// # Errors
/// As [`execute`]; `Conflict` only once every round lost.
pub async fn execute_with_retry<A: Aggregate>(
    locks: &KeyedLocks<StreamId>,
    retry: ConflictRetry,
    store: &dyn EventStore,
    clock: &dyn Clock,
    stream: &StreamId,
    command: A::Command,
    metadata: &EventMetadata,
) -> Result<Executed<A>, ExecuteError<A::Error>> {
    let _turn = locks.lock(stream.clone()).await;
    let mut pause = retry.first_pause;
    let mut round = 1;
    loop {
        match execute::<A>(store, clock, stream, command.clone(), metadata).await {
            Err(ExecuteError::Conflict) if round < retry.rounds => {
                // Full jitter: racing writers spread out instead of colliding again in step.
                let jittered = rand::rng().random_range(pause / 2..=pause);
                futures_timer::Delay::new(jittered).await;
                pause = (pause * 2).min(retry.max_pause);
                round += 1;
            }
            outcome => return outcome,
        }
    }
}
