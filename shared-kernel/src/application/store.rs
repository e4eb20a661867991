//! Load, decide, append: the command-handling loop every context shares, with its bounded
//! retries on an optimistic-concurrency conflict.

use std::sync::Arc;

use uuid::Uuid;

use crate::aggregate::{Aggregate, DecodeError, DomainEvent};
use crate::cache::Cached;
use crate::clock::Clock;
use crate::event::{Appended, EventMetadata, ExpectedVersion, NewEvent, Snapshot, StreamId};
use crate::ports::{EventStore, StoreError};

/// How many times a command is re-decided after losing an optimistic-concurrency race before
/// the conflict is reported (HTTP 409).
pub const MAX_CONFLICT_RETRIES: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum ExecuteError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Domain(E),
    #[error("still conflicting after {MAX_CONFLICT_RETRIES} retries")]
    Conflict,
    #[error(transparent)]
    Store(StoreError),
    #[error("cannot decode stored event: {0}")]
    Decode(#[from] DecodeError),
    #[error("cannot encode event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// An aggregate loaded from its stream.
#[derive(Debug)]
pub struct Loaded<A> {
    pub state: A,
    pub version: u64,
    /// The global position of the stream's last event; 0 for a stream without events.
    pub position: u64,
}

/// Loads an aggregate: from its snapshot when it takes them (see
/// [`Aggregate::SNAPSHOTS`]), then by folding the events after it. Always reads the store (a
/// read-only load must not decide on a cached state that nothing checks).
///
/// # Errors
/// Store failures, or events this code cannot decode.
pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
) -> Result<Loaded<A>, ExecuteError<A::Error>> {
    let (folded, _) = fold::<A>(store, stream, None).await?;
    Ok(Loaded {
        state: Arc::unwrap_or_clone(folded.state),
        version: folded.version,
        position: folded.position,
    })
}

/// Folds `stream` and, on the way, finds the events of `command_id`: a command's events are
/// appended to the stream it targets, so the stream itself says whether it already ran (its
/// first result). Only a fold that started from a snapshot (whose events it did not read)
/// asks the store's command-id index.
async fn fold<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
    command_id: Option<Uuid>,
) -> Result<(Cached<A>, Option<Appended>), ExecuteError<A::Error>> {
    let (mut state, mut version, mut position) = (A::default(), 0, 0);
    if let Some(policy) = A::SNAPSHOTS {
        let snapshot = store
            .read_snapshot(stream)
            .await
            .map_err(ExecuteError::Store)?;
        if let Some(restored) = snapshot
            .filter(|s| s.schema == policy.schema)
            .and_then(|s| A::from_snapshot(s.state).map(|state| (state, s.version, s.position)))
        {
            (state, version, position) = restored;
        }
    }
    let snapshot_version = version;
    let recorded = store
        .read_stream(stream, version + 1)
        .await
        .map_err(ExecuteError::Store)?;
    let mut folded = Cached {
        state: Arc::new(A::default()),
        version,
        position,
        snapshot_version,
        commands: std::collections::VecDeque::new(),
        truncated: snapshot_version > 0,
    };
    for r in recorded {
        let appended = Appended {
            stream_version: r.stream_version,
            position: r.position,
            replayed: true,
        };
        let event = A::Event::decode(&r.event_type, r.schema_version, r.data)?;
        state = state.evolve(&event);
        folded.version = r.stream_version;
        folded.position = r.position;
        // A command's events are contiguous: its result is its last event's.
        match folded.commands.back_mut() {
            Some((id, last)) if Some(*id) == r.metadata.command_id => *last = appended,
            _ => folded.remember(r.metadata.command_id, appended),
        }
    }
    folded.state = Arc::new(state);
    let mut done = folded.result_of(command_id);
    if let (None, Some(id), true) = (done, command_id, snapshot_version > 0) {
        done = store
            .command_result(id)
            .await
            .map_err(ExecuteError::Store)?
            .filter(|(s, _)| s == stream)
            .map(|(_, appended)| appended);
    }
    Ok((folded, done))
}

/// The aggregate as [`execute`] would decide on it now, and the first result of `command_id`
/// on this stream if it already ran. For handlers that must act outside the store (ask a
/// payment provider) before they record what happened: from the store's aggregate cache when
/// it holds the stream (a cached state may be stale, so that outside action must be idempotent:
/// the record's append then detects the staleness), else from a fresh load, which is then
/// cached for the `execute` that follows.
///
/// # Errors
/// Store failures, or events this code cannot decode.
pub async fn prepare<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
    command_id: Option<Uuid>,
) -> Result<(Arc<A>, Option<Appended>), ExecuteError<A::Error>> {
    let cache = store.aggregate_cache();
    if let Some((state, _, known)) = cache.and_then(|c| c.peek::<A>(stream, command_id)) {
        let done = match known {
            Some(done) => done,
            None => match command_id {
                Some(id) => store
                    .command_result(id)
                    .await
                    .map_err(ExecuteError::Store)?
                    .filter(|(s, _)| s == stream)
                    .map(|(_, appended)| appended),
                None => None,
            },
        };
        return Ok((state, done));
    }
    let (folded, done) = fold::<A>(store, stream, command_id).await?;
    let state = Arc::clone(&folded.state);
    if let Some(cache) = cache {
        cache.put(stream, folded);
    }
    Ok((state, done))
}

/// What a successful command produced.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    /// The aggregate after the command (shared with the store's aggregate cache).
    pub state: Arc<A>,
    /// The stream's version after the command.
    pub version: u64,
    pub events: Vec<A::Event>,
    /// `None` when the decision produced no events (nothing was appended).
    pub appended: Option<Appended>,
    /// The global position a reader waits for to see the stream as the command left it: the
    /// last appended event's, or when nothing was appended (a repeat, a no-op) the stream's
    /// last stored event's; 0 for a stream without events. Never 0 for a stream with events,
    /// so a client following `Agora-Position` always gets a position it can wait on.
    pub position: u64,
}

/// Runs `command` against the aggregate in `stream`: load (or take from the store's
/// [`AggregateCache`](crate::cache::AggregateCache)), decide at `clock.now()`, append with the version decided on, and on a
/// conflict start over from a fresh load (bounded). A refusal or an empty decision on a cached
/// state (no append checks it) is decided again on a fresh load before it is answered.
///
/// With a command id in `metadata`, handling is idempotent: a command whose events are already
/// in the stream is not decided again (its first result is returned), and event ids are derived
/// from the command id, so two deliveries racing each other cannot both append. A command's
/// events always go to the stream it targets: one command id, one stream.
///
/// # Errors
/// A domain rejection, a conflict that outlasted the retries, or a store failure.
pub async fn execute<A: Aggregate>(
    store: &dyn EventStore,
    clock: &dyn Clock,
    stream: &StreamId,
    command: A::Command,
    metadata: &EventMetadata,
) -> Result<Executed<A>, ExecuteError<A::Error>> {
    let cache = store.aggregate_cache();
    let command_id = metadata.command_id;
    let mut cached = cache.and_then(|c| c.take::<A>(stream));
    // A stream-starting command is first decided as if its stream were new (see
    // `Aggregate::creates`); anything unexpected falls back to a fresh load.
    let mut optimistic = cached.is_none() && A::creates(&command);
    for _ in 0..=MAX_CONFLICT_RETRIES {
        // Whether the state came from the cache: another process may have moved the stream on
        // since, which only an append finds out.
        let (mut current, done, from_cache) = match cached.take() {
            Some(c) => {
                let done = c.result_of(command_id);
                (c, done, true)
            }
            None if optimistic => (Cached::initial(), None, false),
            None => {
                let (c, done) = fold::<A>(store, stream, command_id).await?;
                (c, done, false)
            }
        };
        let put_back = |current: Cached<A>| {
            if let Some(cache) = cache {
                cache.put(stream, current);
            }
        };
        if let Some(appended) = done {
            let state = Arc::clone(&current.state);
            put_back(current);
            return Ok(Executed {
                state,
                version: appended.stream_version,
                events: Vec::new(),
                position: appended.position,
                appended: Some(appended),
            });
        }
        let events = match current.state.decide(command.clone(), clock.now()) {
            Ok(events) => events,
            // Refused on an assumed-empty state: judge it on the real one.
            Err(_) if optimistic => {
                optimistic = false;
                continue;
            }
            // Refused on a cached state: nothing checks it (no append), and it may be stale
            // (another instance of the context handled the stream's last command: a saga's
            // `reserve` refused as `pending` when the payment was authorised elsewhere, and
            // the order was cancelled by its deadline). Judge it on a fresh load.
            Err(_) if from_cache => continue,
            Err(e) => {
                put_back(current);
                return Err(ExecuteError::Domain(e));
            }
        };
        if events.is_empty() && optimistic {
            optimistic = false;
            continue;
        }
        // Nothing to do, on a cached state: as unchecked as a refusal, so the same fresh load.
        if events.is_empty() && from_cache {
            continue;
        }
        if events.is_empty() {
            let (state, version, position) = (
                Arc::clone(&current.state),
                current.version,
                current.position,
            );
            put_back(current);
            return Ok(Executed {
                state,
                version,
                events,
                appended: None,
                position,
            });
        }
        let new_events = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let mut new = encode(e, metadata)?;
                if let Some(command_id) = command_id {
                    new.event_id = event_id_for(command_id, i);
                }
                Ok::<_, serde_json::Error>(new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expected = if current.version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(current.version)
        };
        match store.append(stream, expected, new_events).await {
            // An earlier delivery of this command stored these events (a state decided on
            // before it, cached or not): its result comes from a fresh load.
            Ok(appended) if appended.replayed => optimistic = false,
            Ok(appended) => {
                let state = events
                    .iter()
                    .fold(Arc::unwrap_or_clone(current.state), A::evolve);
                let state = Arc::new(state);
                current.state = Arc::clone(&state);
                current.version = appended.stream_version;
                current.position = appended.position;
                current.remember(command_id, appended);
                if snapshot_if_due(store, stream, &current).await {
                    current.snapshot_version = current.version;
                }
                put_back(current);
                return Ok(Executed {
                    state,
                    version: appended.stream_version,
                    events,
                    position: appended.position,
                    appended: Some(appended),
                });
            }
            // Someone else moved the stream on: decide again on a fresh load.
            Err(StoreError::Conflict { .. }) => optimistic = false,
            Err(e) => return Err(ExecuteError::Store(e)),
        }
    }
    Err(ExecuteError::Conflict)
}

/// Stores a snapshot of the state when the stream has grown [`SnapshotPolicy::every`] events
/// past the snapshot its state started from. Best effort: a failure only makes later loads
/// longer. Whether one was stored.
async fn snapshot_if_due<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
    current: &Cached<A>,
) -> bool {
    let Some(policy) = A::SNAPSHOTS else {
        return false;
    };
    if current.version < current.snapshot_version.saturating_add(policy.every) {
        return false;
    }
    let Some(state) = current.state.to_snapshot() else {
        return false;
    };
    let snapshot = Snapshot {
        version: current.version,
        position: current.position,
        schema: policy.schema,
        state,
    };
    match store.write_snapshot(stream, &snapshot).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(%stream, version = current.version, error = %e, "cannot store a snapshot; loads stay longer");
            false
        }
    }
}

/// Turns a domain event into a storable one with a fresh id.
///
/// # Errors
/// Serialisation failed.
pub fn encode<E: DomainEvent>(
    event: &E,
    metadata: &EventMetadata,
) -> Result<NewEvent, serde_json::Error> {
    Ok(NewEvent {
        event_id: Uuid::now_v7(),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data()?,
        metadata: metadata.clone(),
    })
}

/// The id of the `ordinal`-th event of a command: deterministic, so a redelivered command
/// produces the same ids and the store's unique event id turns a second append into a no-op.
/// A valid UUIDv7: the command id's timestamp, and the rest from a name-based hash.
#[must_use]
pub fn event_id_for(command_id: Uuid, ordinal: usize) -> Uuid {
    let hashed = Uuid::new_v5(&command_id, &(ordinal as u64).to_be_bytes());
    let mut bytes = *hashed.as_bytes();
    bytes[..6].copy_from_slice(&command_id.as_bytes()[..6]);
    bytes[6] = 0x70 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    Uuid::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_event_ids_are_stable_distinct_v7() {
        let command = Uuid::now_v7();
        let a = event_id_for(command, 0);
        assert_eq!(a, event_id_for(command, 0));
        assert_ne!(a, event_id_for(command, 1));
        assert_ne!(a, event_id_for(Uuid::now_v7(), 0));
        assert_eq!(a.get_version_num(), 7);
        assert_eq!(a.as_bytes()[..6], command.as_bytes()[..6]);
    }
}
