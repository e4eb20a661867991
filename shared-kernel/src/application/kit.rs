//! The handler kit: what a context's command handler holds to load, decide and append.

use std::sync::Arc;

use super::locks::KeyedLocks;
use super::retry::{ConflictRetry, execute_with_retry};
use super::store::{ExecuteError, Executed, Loaded, execute, load, prepare};
use crate::aggregate::Aggregate;
use crate::clock::Clock;
use crate::event::{Appended, EventMetadata, StreamId};
use crate::ports::{EventStore, StoreError};

/// The store and clock a handler decides with, and (for contended streams) the per-stream
/// turns and the backoff of [`Self::execute_contended`].
#[derive(Debug)]
pub struct CommandKit {
    pub store: Arc<dyn EventStore>,
    pub clock: Arc<dyn Clock>,
    retry: ConflictRetry,
    turns: KeyedLocks<StreamId>,
}

impl CommandKit {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            retry: ConflictRetry::default(),
            turns: KeyedLocks::default(),
        }
    }

    /// The same kit, with `retry` for [`Self::execute_contended`].
    #[must_use]
    pub const fn with_retry(mut self, retry: ConflictRetry) -> Self {
        self.retry = retry;
        self
    }

    /// [`execute`] on `stream` with this kit's store and clock.
    ///
    /// # Errors
    /// As [`execute`].
    pub async fn execute<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Executed<A>, ExecuteError<A::Error>> {
        execute::<A>(
            self.store.as_ref(),
            self.clock.as_ref(),
            stream,
            command,
            metadata,
        )
        .await
    }

    /// [`execute`] for a stream many commands race for: one at a time per stream in this
    /// process, conflicts with other processes retried with backoff.
    ///
    /// # Errors
    /// As [`execute`]; `Conflict` only once every round lost.
    pub async fn execute_contended<A: Aggregate>(
        &self,
        stream: &StreamId,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Result<Executed<A>, ExecuteError<A::Error>> {
        execute_with_retry::<A>(
            &self.turns,
            self.retry,
            self.store.as_ref(),
            self.clock.as_ref(),
            stream,
            command,
            metadata,
        )
        .await
    }

    /// The aggregate in `stream` as it is now (see [`load`]).
    ///
    /// # Errors
    /// As [`load`].
    pub async fn load<A: Aggregate>(
        &self,
        stream: &StreamId,
    ) -> Result<Loaded<A>, ExecuteError<A::Error>> {
        load::<A>(self.store.as_ref(), stream).await
    }

    /// The aggregate's state only, with anything but a store failure counted as corruption:
    /// for reading the facts a decision on another stream needs.
    ///
    /// # Errors
    /// The store failed, or its events cannot be decoded.
    pub async fn state<A: Aggregate>(&self, stream: &StreamId) -> Result<A, StoreError> {
        match self.load::<A>(stream).await {
            Ok(loaded) => Ok(loaded.state),
            Err(ExecuteError::Store(e)) => Err(e),
            Err(other) => Err(StoreError::Corrupt(other.to_string())),
        }
    }

    /// The events command `command_id` appended to `stream` (none if it appended nothing
    /// there): what a redelivered command reads to finish what its first delivery decided,
    /// when the decision's details are not in the aggregate's state.
    ///
    /// # Errors
    /// The store failed, or the events cannot be decoded (corruption).
    pub async fn events_of<A: Aggregate>(
        &self,
        stream: &StreamId,
        command_id: uuid::Uuid,
    ) -> Result<Vec<A::Event>, StoreError> {
        use crate::aggregate::DomainEvent as _;
        self.store
            .read_stream(stream, 1)
            .await?
            .into_iter()
            .filter(|r| r.metadata.command_id == Some(command_id))
            .map(|r| {
                A::Event::decode(&r.event_type, r.schema_version, r.data)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// Whether `stream` has any event (an aggregate was created there).
    ///
    /// # Errors
    /// The store failed.
    pub async fn exists(&self, stream: &StreamId) -> Result<bool, StoreError> {
        Ok(!self.store.read_stream(stream, 1).await?.is_empty())
    }

    /// [`prepare`] with this kit's store.
    ///
    /// # Errors
    /// As [`prepare`].
    pub async fn prepare<A: Aggregate>(
        &self,
        stream: &StreamId,
        command_id: Option<uuid::Uuid>,
    ) -> Result<(Arc<A>, Option<Appended>), ExecuteError<A::Error>> {
        prepare::<A>(self.store.as_ref(), stream, command_id).await
    }
}
