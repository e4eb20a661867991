//! Replies: what a command produced, or why it stopped, turned into the reply the bus carries.

use serde_json::Value;

use super::store::{ExecuteError, Executed};
use crate::aggregate::Aggregate;
use crate::command::{CommandEnvelope, CommandOutcome, CommandReply};
use crate::event::StreamId;
use crate::ports::StoreError;

pub use crate::rejection::Rejection;
use crate::rejection::RejectionKind;

/// A command that went through: where its last event landed and what to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// The stream the command targeted.
    pub stream: StreamId,
    /// That stream's version after the command.
    pub version: u64,
    /// The global position a reader waits for to see what the command did (see
    /// [`Executed::position`]).
    pub position: u64,
    /// The handler's answer (JSON), `null` until [`Accepted::with`] sets it.
    pub body: Value,
}

impl Accepted {
    /// What `done` left on `stream`, with no body yet.
    #[must_use]
    pub fn of<A: Aggregate>(stream: StreamId, done: &Executed<A>) -> Self {
        Self {
            stream,
            version: done.version,
            position: done.position,
            body: Value::Null,
        }
    }

    /// The same, answering `body` (the handler's typed reply; the bus carries it as JSON).
    #[must_use]
    pub fn with(mut self, body: impl serde::Serialize) -> Self {
        // A reply type is plain data (strings, numbers, lists): it always serialises.
        self.body = serde_json::to_value(body).unwrap_or(Value::Null);
        self
    }

    /// The same, read at `later` when a follow-up write on another stream landed after this
    /// one (reading at the later position shows both).
    #[must_use]
    pub fn ending_at(mut self, later: Option<u64>) -> Self {
        if let Some(later) = later {
            self.position = self.position.max(later);
        }
        self
    }

    /// The accepted reply to `envelope`.
    #[must_use]
    pub fn reply(self, envelope: &CommandEnvelope) -> CommandReply {
        CommandReply {
            command_id: envelope.command_id,
            outcome: CommandOutcome::Accepted {
                stream_id: self.stream.to_string(),
                stream_version: self.version,
                position: self.position,
                body: self.body,
            },
        }
    }
}

/// Why a command handler stopped before a reply was accepted: a reply that says no (a
/// rejection: nothing more was appended), or a store failure the bus retries.
#[derive(Debug)]
pub enum Stop {
    Reply(CommandReply),
    Store(StoreError),
}

impl From<CommandReply> for Stop {
    fn from(reply: CommandReply) -> Self {
        Self::Reply(reply)
    }
}

impl From<StoreError> for Stop {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// What a handler's own `run` returns: the reply, or why it stopped (`?` works on both the
/// kit's checks and the store's failures).
pub type Handled = Result<CommandReply, Stop>;

/// The [`crate::CommandHandler::handle`] result of a handler's [`Handled`] outcome: a stop
/// with a reply is still a reply; only store failures stay errors.
///
/// # Errors
/// The store failed (the bus retries the command).
pub fn finish(handled: Handled) -> Result<CommandReply, StoreError> {
    match handled {
        Ok(reply) | Err(Stop::Reply(reply)) => Ok(reply),
        Err(Stop::Store(e)) => Err(e),
    }
}

/// The reply of a rule the command broke.
#[must_use]
pub fn rejected(envelope: &CommandEnvelope, error: &(impl Rejection + ToString)) -> CommandReply {
    let (code, kind) = error.code_and_kind();
    let mut reply = envelope.reject(kind, code, error.to_string());
    if let CommandOutcome::Rejected { details, .. } = &mut reply.outcome {
        *details = error.details();
    }
    reply
}

/// The reply to a command still conflicting after every retry (409, try again).
#[must_use]
pub fn conflicted(envelope: &CommandEnvelope) -> CommandReply {
    envelope.reject(
        RejectionKind::Conflict,
        "concurrency_conflict",
        "the resource changed concurrently; try again",
    )
}

/// A failed `execute` as a handler's stop: the domain's rejection or a conflict as replies,
/// corruption and store failures as errors.
pub fn stop<E>(envelope: &CommandEnvelope, error: ExecuteError<E>) -> Stop
where
    E: std::error::Error + Rejection + 'static,
{
    match error {
        ExecuteError::Domain(e) => Stop::Reply(rejected(envelope, &e)),
        ExecuteError::Conflict => Stop::Reply(conflicted(envelope)),
        ExecuteError::Store(e) => Stop::Store(e),
        e @ (ExecuteError::Decode(_) | ExecuteError::Encode(_)) => {
            Stop::Store(StoreError::Corrupt(e.to_string()))
        }
    }
}

/// The store failure of an `execute` whose domain errors the caller handled itself; a
/// conflict that outlasted the retries counts as unavailable (the bus tries again later).
pub fn store_failure<E: std::error::Error + 'static>(error: ExecuteError<E>) -> StoreError {
    match error {
        ExecuteError::Store(e) => e,
        ExecuteError::Conflict => StoreError::Unavailable(error.to_string().into()),
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// Turns the outcome of [`execute`](super::execute) into the reply the bus carries: accepted
/// with `body` (the handler's typed reply), or rejected with the domain error's code. Store failures stay errors (the bus
/// retries them).
///
/// # Errors
/// The store failed, or stored events could not be decoded (corruption).
pub fn reply_for<A: Aggregate, B: serde::Serialize>(
    envelope: &CommandEnvelope,
    stream: &StreamId,
    result: Result<Executed<A>, ExecuteError<A::Error>>,
    body: impl FnOnce(&Executed<A>) -> B,
) -> Result<CommandReply, StoreError>
where
    A::Error: Rejection,
{
    finish(accept(envelope, stream, result, body))
}

/// [`reply_for`] as a [`Handled`], for handlers that go on after it.
///
/// # Errors
/// As [`stop`].
pub fn accept<A: Aggregate, B: serde::Serialize>(
    envelope: &CommandEnvelope,
    stream: &StreamId,
    result: Result<Executed<A>, ExecuteError<A::Error>>,
    body: impl FnOnce(&Executed<A>) -> B,
) -> Handled
where
    A::Error: Rejection,
{
    match result {
        Ok(done) => {
            let body = body(&done);
            Ok(Accepted::of(stream.clone(), &done)
                .with(body)
                .reply(envelope))
        }
        Err(e) => Err(stop(envelope, e)),
    }
}
