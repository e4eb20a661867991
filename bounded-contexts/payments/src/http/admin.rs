//! Sending a command over the bus and answering with its reply, and read-your-writes waits.

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use http_kernel::{ApiError, Caller, CommandIds, min_position};
use projections::{Progress, WaitError};
use shared_kernel::CommandBus;

use crate::application::PaymentsCommand;

/// Sends `command` as `caller` under the request's command id; the accepted body is answered
/// with `status`.
pub(super) async fn send(
    bus: &dyn CommandBus,
    caller: &Caller,
    ids: CommandIds,
    command: &PaymentsCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(ids.command_id(), caller.user_id.to_string())
        .map_err(ApiError::internal)?;
    http_kernel::send_command(bus, envelope, "payments", status, None).await
}

/// Waits for the read model `projection` to contain the caller's write, if they asked to.
pub(super) async fn wait_for(
    progress: &Progress,
    projection: &str,
    read_wait: Duration,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    let Some(position) = min_position(headers)? else {
        return Ok(());
    };
    match progress.wait_for(projection, position, read_wait).await {
        Ok(()) => Ok(()),
        Err(WaitError::TimedOut(_) | WaitError::UnknownProjection(_)) => {
            Err(ApiError::Unavailable {
                detail: format!("{projection} has not reached position {position} yet"),
                retry_after_secs: 1,
            })
        }
        Err(WaitError::Store(e)) => Err(ApiError::internal(e)),
    }
}

pub(super) fn require_admin(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("only admins may {what}")))
    }
}
