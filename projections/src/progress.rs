//! How far each projection has got, for reads that must see a write (`Agora-Min-Position`).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};
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

/// How many applied positions a Kafka-fed projection remembers for read-your-writes waits.
const REMEMBERED: usize = 200_000;

/// The positions a Kafka-fed projector has applied. Kafka partitions interleave streams in no
/// global order, so "applied up to n" does not exist there; "applied n" does. The oldest
/// positions are forgotten past [`REMEMBERED`]; anything at or below the highest forgotten one
/// counts as applied (it is that many events old).
#[derive(Debug)]
pub struct AppliedPositions {
    recent: Mutex<Recent>,
    changed: watch::Sender<u64>,
}

#[derive(Debug, Default)]
struct Recent {
    set: HashSet<u64>,
    order: VecDeque<u64>,
    forgotten_up_to: u64,
    newest: u64,
}

impl AppliedPositions {
    fn new() -> Self {
        Self {
            recent: Mutex::default(),
            changed: watch::channel(0).0,
        }
    }

    /// Records positions whose effects just committed.
    pub fn applied(&self, positions: impl IntoIterator<Item = u64>) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for p in positions {
            if recent.set.insert(p) {
                recent.order.push_back(p);
                recent.newest = recent.newest.max(p);
            }
        }
        while recent.order.len() > REMEMBERED {
            if let Some(old) = recent.order.pop_front() {
                recent.set.remove(&old);
                recent.forgotten_up_to = recent.forgotten_up_to.max(old);
            }
        }
        drop(recent);
        self.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn contains(&self, position: u64) -> bool {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        position <= recent.forgotten_up_to || recent.set.contains(&position)
    }

    fn newest(&self) -> u64 {
        self.recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .newest
    }
}

#[derive(Debug, Clone)]
enum Tracker {
    /// A store-fed projector: its cursor in the global order.
    Cursor(watch::Receiver<Cursor>),
    /// A Kafka-fed projector: the positions it applied.
    Applied(Arc<AppliedPositions>),
}

/// Shared, cloneable registry of projector positions.
#[derive(Debug, Clone)]
pub struct Progress {
    store: Arc<dyn EventStore>,
    trackers: Arc<RwLock<HashMap<&'static str, Tracker>>>,
}

impl Progress {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self {
            store,
            trackers: Arc::default(),
        }
    }

    pub(crate) fn register(&self, name: &'static str, rx: watch::Receiver<Cursor>) {
        self.insert(name, Tracker::Cursor(rx));
    }

    /// Registers a Kafka-fed projection; its projector reports what it applied.
    #[must_use]
    pub fn register_applied(&self, name: &'static str) -> Arc<AppliedPositions> {
        let applied = Arc::new(AppliedPositions::new());
        self.insert(name, Tracker::Applied(Arc::clone(&applied)));
        applied
    }

    fn insert(&self, name: &'static str, tracker: Tracker) {
        self.trackers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name, tracker);
    }

    /// Where each projection is: its cursor (store feed), or its newest applied position.
    #[must_use]
    pub fn snapshot(&self) -> Vec<(&'static str, Cursor)> {
        let map = self
            .trackers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut all: Vec<_> = map
            .iter()
            .map(|(n, t)| match t {
                Tracker::Cursor(rx) => (*n, *rx.borrow()),
                Tracker::Applied(a) => (*n, Cursor::new(0, a.newest())),
            })
            .collect();
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
        // Position 0 is before the first event (what a write that changed nothing on a new
        // stream answers): every projection has reached it.
        if position == 0 {
            return Ok(());
        }
        // Beyond what a store can hold (its positions are signed 64-bit): never reached, and
        // not worth a query the store would refuse. The HTTP edge answers 400 before this.
        if i64::try_from(position).is_err() {
            return Err(WaitError::TimedOut(position));
        }
        let tracker = self
            .trackers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(projection)
            .cloned()
            .ok_or_else(|| WaitError::UnknownProjection(projection.to_owned()))?;
        let deadline = tokio::time::Instant::now() + timeout;
        match tracker {
            Tracker::Cursor(rx) => self.wait_for_cursor(rx, position, deadline).await,
            Tracker::Applied(applied) => {
                let mut changed = applied.changed.subscribe();
                loop {
                    changed.borrow_and_update();
                    if applied.contains(position) {
                        return Ok(());
                    }
                    match tokio::time::timeout_at(deadline, changed.changed()).await {
                        Ok(Ok(())) => {}
                        _ => return Err(WaitError::TimedOut(position)),
                    }
                }
            }
        }
    }

    /// Waits until `projection` has applied every event the store holds now (the newest
    /// committed one when called, readable in order yet or not), at most `timeout`; returns
    /// whether it got there. How a lookup of an id the read model does not know tells "not
    /// there" from "not there yet" without a fixed wait: an idle read model is there already,
    /// so the answer is immediate.
    ///
    /// A Kafka-fed projection only knows the positions it applied, not whether later ones
    /// concern it, so it counts as caught up at once (its readers send `Agora-Min-Position`).
    ///
    /// # Errors
    /// The store failed.
    pub async fn wait_caught_up(
        &self,
        projection: &str,
        timeout: Duration,
    ) -> Result<bool, StoreError> {
        let tracker = self
            .trackers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(projection)
            .cloned();
        let Some(Tracker::Cursor(rx)) = tracker else {
            return Ok(true);
        };
        let latest = self.store.latest_position().await?;
        if latest == 0 {
            return Ok(true);
        }
        let deadline = tokio::time::Instant::now() + timeout;
        match self.wait_for_cursor(rx, latest, deadline).await {
            Ok(()) => Ok(true),
            Err(WaitError::Store(e)) => Err(e),
            Err(_) => Ok(false),
        }
    }

    async fn wait_for_cursor(
        &self,
        mut rx: watch::Receiver<Cursor>,
        position: u64,
        deadline: tokio::time::Instant,
    ) -> Result<(), WaitError> {
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
