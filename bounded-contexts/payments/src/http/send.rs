//! Sending a command over the bus and answering with its reply, and read-your-writes waits.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, min_position, reply_response};
use projections::{Progress, WaitError};
use shared_kernel::{BusError, CommandBus, CommandOutcome};
use uuid::Uuid;

use crate::application::PaymentsCommand;

/// Sends `command` as `caller`; the accepted body is answered with `status`.
pub(super) async fn send(
    bus: &dyn CommandBus,
    caller: &Caller,
    command: &PaymentsCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(Uuid::now_v7(), caller.user_id.to_string())
        .map_err(ApiError::internal)?;
    let command_id = envelope.command_id;
    let reply = match bus.send(envelope).await {
        Ok(reply) => reply,
        // The command may still be processed: answer where its outcome will be, not an error.
        Err(BusError::Timeout(_)) => return Ok(pending_command(command_id)),
        Err(BusError::NoRoute(_) | BusError::Unavailable(_)) => {
            return Err(ApiError::Unavailable {
                detail: "the payments service is not reachable".into(),
                retry_after_secs: 2,
            });
        }
    };
    let body = match &reply.outcome {
        CommandOutcome::Accepted { body, .. } => body.clone(),
        CommandOutcome::Rejected { .. } => serde_json::Value::Null,
    };
    reply_response(reply, status, body)
}

/// 202 with the command's status location, for a command whose reply did not come in time.
fn pending_command(command_id: Uuid) -> Response {
    let location = format!("/api/v1/commands/{command_id}");
    let mut response = (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({
            "command_id": command_id, "status": "pending", "location": location
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
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
