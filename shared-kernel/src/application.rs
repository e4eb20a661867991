//! The command-handling loop every context shares: load, decide, append, retry on conflict.

use uuid::Uuid;

use crate::aggregate::{Aggregate, DecodeError, DomainEvent};
use crate::clock::Clock;
use crate::command::{CommandEnvelope, CommandOutcome, CommandReply};
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

/// An aggregate as `execute` needs it: its state, the snapshot it started from, and whether
/// the command being executed already appended to this stream (its first result).
#[derive(Debug)]
struct Folded<A> {
    loaded: Loaded<A>,
    /// The version of the snapshot the fold started from (0: the stream's first event).
    snapshot_version: u64,
    done: Option<Appended>,
}

/// Loads an aggregate: from its snapshot when it takes them (see
/// [`Aggregate::SNAPSHOTS`]), then by folding the events after it.
///
/// # Errors
/// Store failures, or events this code cannot decode.
pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
) -> Result<Loaded<A>, ExecuteError<A::Error>> {
    Ok(fold::<A>(store, stream, None).await?.loaded)
}

/// Folds `stream` and, on the way, finds the events of `command_id`: a command's events are
/// appended to the stream it targets, so the stream itself says whether it already ran. Only
/// a fold that started from a snapshot (whose events it did not read) asks the store's
/// command-id index.
async fn fold<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
    command_id: Option<Uuid>,
) -> Result<Folded<A>, ExecuteError<A::Error>> {
    let (mut state, mut version, mut position) = (A::default(), 0, 0);
    if let Some(policy) = A::SNAPSHOTS {
        let snapshot = store
            .read_snapshot(stream)
            .await
            .map_err(ExecuteError::Store)?;
        if let Some(restored) = snapshot
            .filter(|s| s.schema == policy.schema)
            .and_then(|s| {
                A::from_snapshot(s.state).map(|state| (state, s.version, s.position))
            })
        {
            (state, version, position) = restored;
        }
    }
    let snapshot_version = version;
    let recorded = store
        .read_stream(stream, version + 1)
        .await
        .map_err(ExecuteError::Store)?;
    let mut done = None;
    for r in recorded {
        if command_id.is_some() && r.metadata.command_id == command_id {
            done = Some(Appended {
                stream_version: r.stream_version,
                position: r.position,
            });
        }
        let event = A::Event::decode(&r.event_type, r.schema_version, r.data)?;
        state = state.evolve(&event);
        version = r.stream_version;
        position = r.position;
    }
    if let (None, Some(id), true) = (done, command_id, snapshot_version > 0) {
        done = store
            .command_result(id)
            .await
            .map_err(ExecuteError::Store)?
            .filter(|(s, _)| s == stream)
            .map(|(_, appended)| appended);
    }
    Ok(Folded {
        loaded: Loaded {
            state,
            version,
            position,
        },
        snapshot_version,
        done,
    })
}

/// What a successful command produced.
#[derive(Debug)]
pub struct Executed<A: Aggregate> {
    pub state: A,
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

/// Runs `command` against the aggregate in `stream`: load, decide at `clock.now()`, append
/// with the loaded version, and on a conflict start over (bounded).
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
    for _ in 0..=MAX_CONFLICT_RETRIES {
        let Folded {
            loaded:
                Loaded {
                    state,
                    version,
                    position,
                },
            snapshot_version,
            done,
        } = fold::<A>(store, stream, metadata.command_id).await?;
        if let Some(appended) = done {
            return Ok(Executed {
                state,
                version: appended.stream_version,
                events: Vec::new(),
                position: appended.position,
                appended: Some(appended),
            });
        }
        let events = state
            .decide(command.clone(), clock.now())
            .map_err(ExecuteError::Domain)?;
        if events.is_empty() {
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
                if let Some(command_id) = metadata.command_id {
                    new.event_id = event_id_for(command_id, i);
                }
                Ok::<_, serde_json::Error>(new)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        match store.append(stream, expected, new_events).await {
            Ok(appended) => {
                let state = events.iter().fold(state, A::evolve);
                let version = appended.stream_version;
                snapshot_if_due(store, stream, &state, appended, snapshot_version).await;
                return Ok(Executed {
                    state,
                    version,
                    events,
                    position: appended.position,
                    appended: Some(appended),
                });
            }
            Err(StoreError::Conflict { .. }) => {}
            Err(e) => return Err(ExecuteError::Store(e)),
        }
    }
    Err(ExecuteError::Conflict)
}

/// Stores a snapshot of `state` when the stream has grown [`SnapshotPolicy::every`] events past
/// the one its load started from. Best effort: a failure only makes later loads longer.
async fn snapshot_if_due<A: Aggregate>(
    store: &dyn EventStore,
    stream: &StreamId,
    state: &A,
    appended: Appended,
    snapshot_version: u64,
) {
    let version = appended.stream_version;
    let Some(policy) = A::SNAPSHOTS else { return };
    if version < snapshot_version.saturating_add(policy.every) {
        return;
    }
    let Some(state) = state.to_snapshot() else {
        return;
    };
    let snapshot = Snapshot {
        version,
        position: appended.position,
        schema: policy.schema,
        state,
    };
    if let Err(e) = store.write_snapshot(stream, &snapshot).await {
        tracing::warn!(%stream, version, error = %e, "cannot store a snapshot; loads stay longer");
    }
}

/// A domain error a command reply can carry: a stable machine code and an HTTP status.
pub trait Rejection {
    fn code_and_status(&self) -> (&'static str, u16);
}

/// Turns the outcome of [`execute`] into the reply the bus carries: accepted with `body`, or
/// rejected with the domain error's code. Store failures stay errors (the bus retries them).
///
/// # Errors
/// The store failed, or stored events could not be decoded (corruption).
pub fn reply_for<A: Aggregate>(
    envelope: &CommandEnvelope,
    stream: &StreamId,
    result: Result<Executed<A>, ExecuteError<A::Error>>,
    body: impl FnOnce(&Executed<A>) -> serde_json::Value,
) -> Result<CommandReply, StoreError>
where
    A::Error: Rejection,
{
    match result {
        Ok(done) => Ok(CommandReply {
            command_id: envelope.command_id,
            outcome: CommandOutcome::Accepted {
                stream_id: stream.to_string(),
                stream_version: done.version,
                position: done.position,
                body: body(&done),
            },
        }),
        Err(ExecuteError::Domain(e)) => {
            let (code, status) = e.code_and_status();
            Ok(envelope.reject(status, code, e.to_string()))
        }
        Err(ExecuteError::Conflict) => Ok(envelope.reject(
            409,
            "concurrency_conflict",
            "the resource changed concurrently; try again",
        )),
        Err(ExecuteError::Store(e)) => Err(e),
        Err(e @ (ExecuteError::Decode(_) | ExecuteError::Encode(_))) => {
            Err(StoreError::Corrupt(e.to_string()))
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
