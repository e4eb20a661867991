//! Aggregates kept in memory between the commands that change them.
//!
//! Loading an aggregate (read its stream, fold it) is a round trip to the store before every
//! command. A process that handled the last command of a stream usually still knows its state,
//! so `execute` decides on the state it cached and appends with the version that state is at:
//! the store's optimistic concurrency check is also the freshness check. When another process
//! (or a writer outside `execute`) moved the stream on, the append conflicts, the entry is
//! dropped and the command is retried from a fresh load, exactly as any other conflict. A
//! command refused (or found to need no events) on a cached state appends nothing, so nothing
//! checks it: it is decided again on a fresh load before the refusal is answered. Marten
//! (an identity map for aggregates) and Axon (aggregate caching) do the same.
//!
//! An entry also remembers the last commands whose events it folded, so a repeated command is
//! answered with its first result without a load; an older repeat is caught by the store (its
//! derived event ids are stored already: the append reports a replay) and answered from a
//! fresh load.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::event::{Appended, StreamId};

/// Streams kept by default.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Commands remembered per stream.
const RECENT_COMMANDS: usize = 32;

/// An aggregate's state as cached: what a fold of its stream up to `version` gives.
#[derive(Debug)]
pub(crate) struct Cached<A> {
    pub state: Arc<A>,
    pub version: u64,
    /// The global position of the stream's last event.
    pub position: u64,
    /// The version of the snapshot the state was first folded from (0: none).
    pub snapshot_version: u64,
    /// The latest commands folded into the state, with their results, oldest first.
    pub commands: VecDeque<(Uuid, Appended)>,
    /// Whether `commands` may miss some (dropped from the window, or folded into a snapshot):
    /// then a command not among them may still have run.
    pub truncated: bool,
}

impl<A: Aggregate> Cached<A> {
    /// A stream without events.
    pub fn initial() -> Self {
        Self {
            state: Arc::new(A::default()),
            version: 0,
            position: 0,
            snapshot_version: 0,
            commands: VecDeque::new(),
            truncated: false,
        }
    }
}

impl<A> Cached<A> {
    /// The first result of `command`, if it is among the remembered ones.
    pub fn result_of(&self, command: Option<Uuid>) -> Option<Appended> {
        let command = command?;
        self.commands
            .iter()
            .rev()
            .find(|(id, _)| *id == command)
            .map(|(_, appended)| *appended)
    }

    /// Records that `command` appended `appended`.
    pub fn remember(&mut self, command: Option<Uuid>, appended: Appended) {
        if let Some(id) = command {
            self.commands.push_back((id, appended));
            while self.commands.len() > RECENT_COMMANDS {
                self.commands.pop_front();
                self.truncated = true;
            }
        }
    }
}

struct Entry {
    /// A `Cached<A>` of the stream's aggregate type.
    value: Box<dyn Any + Send>,
    version: u64,
    used: u64,
}

#[derive(Default)]
struct Entries {
    map: HashMap<StreamId, Entry>,
    clock: u64,
}

/// The aggregates of one store, by stream (bounded; the least recently used go first).
pub struct AggregateCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

impl std::fmt::Debug for AggregateCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len();
        f.debug_struct("AggregateCache")
            .field("capacity", &self.capacity)
            .field("len", &len)
            .finish()
    }
}

impl Default for AggregateCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl AggregateCache {
    /// A cache of at most `capacity` streams (0 keeps none).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::default(),
        }
    }

    /// Takes the stream's entry out (so two commands on one stream never decide on one
    /// state); the command puts it back once it is done.
    pub(crate) fn take<A: Aggregate>(&self, stream: &StreamId) -> Option<Cached<A>> {
        let entry = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .remove(stream)?;
        entry.value.downcast::<Cached<A>>().ok().map(|b| *b)
    }

    /// The stream's entry without taking it: its state, and whether `command` is known to have
    /// run (`Some(true)`), known not to have (`Some(false)`), or not known (`None`).
    pub(crate) fn peek<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: Option<Uuid>,
    ) -> Option<(Arc<A>, u64, Option<Option<Appended>>)> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let cached = entries.map.get(stream)?.value.downcast_ref::<Cached<A>>()?;
        let known = match cached.result_of(command) {
            Some(appended) => Some(Some(appended)),
            None if !cached.truncated => Some(None),
            None => None,
        };
        Some((Arc::clone(&cached.state), cached.version, known))
    }

    /// Puts an entry (back) unless a newer one is there already.
    pub(crate) fn put<A: Aggregate>(&self, stream: &StreamId, cached: Cached<A>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.clock += 1;
        let used = entries.clock;
        if entries
            .map
            .get(stream)
            .is_some_and(|e| e.version >= cached.version)
        {
            return;
        }
        let version = cached.version;
        entries.map.insert(
            stream.clone(),
            Entry {
                value: Box::new(cached),
                version,
                used,
            },
        );
        if entries.map.len() > self.capacity {
            // Evict the least recently used tenth at once: amortised, no per-access list.
            let mut ages: Vec<(u64, StreamId)> = entries
                .map
                .iter()
                .map(|(s, e)| (e.used, s.clone()))
                .collect();
            ages.sort_unstable();
            let excess = entries.map.len() - self.capacity * 9 / 10;
            for (_, stream) in ages.into_iter().take(excess) {
                entries.map.remove(&stream);
            }
        }
    }

    /// How many streams are cached now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }

    /// Whether nothing is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A cache shared by clones of a store.
pub type SharedAggregateCache = Arc<AggregateCache>;
