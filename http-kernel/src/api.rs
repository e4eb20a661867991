//! What every context's routes share: the state they are built with ([`ContextApi`]), sending
//! a command for the caller, and waiting for a read model to reach the caller's write.

use std::sync::Arc;
use std::time::Duration;

use projections::{Progress, WaitError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use shared_kernel::{CommandBus, CommandEnvelope};
use sqlx::AnyPool;

use crate::{ApiError, Caller, CommandIds, Written, send_command};

/// The state of a context's routes: the bus its writes go over, the read models, their
/// progress, and `extra`, what this context's routes need besides (`()` when nothing).
#[derive(Debug, Clone)]
pub struct ContextApi<X = ()> {
    /// The context's name: the bus routes its commands by it, and problems name it.
    pub context: &'static str,
    pub bus: Arc<dyn CommandBus>,
    pub read: AnyPool,
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` may wait for its read model.
    pub read_wait: Duration,
    pub extra: X,
}

impl ContextApi {
    #[must_use]
    pub fn new(
        context: &'static str,
        bus: Arc<dyn CommandBus>,
        read: AnyPool,
        progress: Progress,
        read_wait: Duration,
    ) -> Self {
        Self {
            context,
            bus,
            read,
            progress,
            read_wait,
            extra: (),
        }
    }
}

impl<X> ContextApi<X> {
    /// The same state, with `extra` for this context's routes.
    #[must_use]
    pub fn with<Y>(self, extra: Y) -> ContextApi<Y> {
        ContextApi {
            context: self.context,
            bus: self.bus,
            read: self.read,
            progress: self.progress,
            read_wait: self.read_wait,
            extra,
        }
    }

    /// Sends `command` (the context's `{"name", "payload"}`-tagged command enum) for `caller`
    /// under the request's command id, and answers the handler's reply typed as `T` (200 and
    /// `Agora-Position`; [`Written::created`] and [`Written::with_status`] pick another), or
    /// 202 with the command's status location when the reply is late.
    ///
    /// # Errors
    /// The command was rejected (its problem), or the context cannot be reached (503).
    pub async fn command<C: Serialize, T: DeserializeOwned>(
        &self,
        caller: &Caller,
        ids: CommandIds,
        command: &C,
    ) -> Result<Written<T>, ApiError> {
        self.command_creating(caller, ids, command, None).await
    }

    /// [`Self::command`] for a command creating `resource_id` (a late reply's 202 names it).
    ///
    /// # Errors
    /// As [`Self::command`].
    pub async fn command_creating<C: Serialize, T: DeserializeOwned>(
        &self,
        caller: &Caller,
        ids: CommandIds,
        command: &C,
        resource_id: Option<String>,
    ) -> Result<Written<T>, ApiError> {
        self.command_as(caller.user_id.to_string(), ids, command, resource_id)
            .await
    }

    /// [`Self::command_creating`] on behalf of `actor` (a user id, or the anonymous actor of a
    /// sign-up), for routes whose caller is not yet a [`Caller`].
    ///
    /// # Errors
    /// As [`Self::command`].
    pub async fn command_as<C: Serialize, T: DeserializeOwned>(
        &self,
        actor: String,
        ids: CommandIds,
        command: &C,
        resource_id: Option<String>,
    ) -> Result<Written<T>, ApiError> {
        let envelope = CommandEnvelope::wrap(self.context, command, ids.command_id(), actor)
            .map_err(ApiError::internal)?;
        send_command(self.bus.as_ref(), envelope, self.context, resource_id).await
    }

    /// Waits until `read_model` has reached `position`.
    ///
    /// # Errors
    /// 503 with `Retry-After` when it does not within the read wait; 500 on a store failure.
    pub async fn wait_until(&self, read_model: &str, position: u64) -> Result<(), ApiError> {
        wait_until(&self.progress, self.read_wait, read_model, position).await
    }

    /// Waits (at most the read wait) until `read_model` has applied every event the store
    /// holds now. A lookup that finds no row calls it before saying "not found": the id may
    /// belong to an event the read model has not applied yet. An idle read model is at the head
    /// already, so an unknown id costs one query of the store's head, not a wait.
    ///
    /// # Errors
    /// 500 on a store failure.
    pub async fn caught_up(&self, read_model: &str) -> Result<(), ApiError> {
        self.progress
            .wait_caught_up(read_model, self.read_wait)
            .await
            .map(|_| ())
            .map_err(ApiError::internal)
    }
}

/// Waits until `read_model` has reached `position`, at most `wait`.
///
/// # Errors
/// 503 with `Retry-After` when it does not in time; 500 on a store failure.
pub async fn wait_until(
    progress: &Progress,
    wait: Duration,
    read_model: &str,
    position: u64,
) -> Result<(), ApiError> {
    match progress.wait_for(read_model, position, wait).await {
        Ok(()) => Ok(()),
        Err(WaitError::TimedOut(_) | WaitError::UnknownProjection(_)) => {
            Err(ApiError::Unavailable {
                detail: format!("{read_model} has not reached position {position} yet"),
                retry_after_secs: 1,
            })
        }
        Err(WaitError::Store(e)) => Err(ApiError::internal(e)),
    }
}
