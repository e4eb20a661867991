//! Command replies as HTTP responses, and the read-your-writes headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use shared_kernel::{CommandOutcome, CommandReply};

use crate::ApiError;

/// Set on every write: the global position of its last event.
pub const AGORA_POSITION: &str = "agora-position";
/// Sent on a read: wait (bounded) until the read model has reached this position.
pub const AGORA_MIN_POSITION: &str = "agora-min-position";

/// Turns a command reply into `status` + the accepted body + `Agora-Position`, or a problem.
///
/// # Errors
/// The command was rejected: its code and status become the problem.
pub fn reply_response(
    reply: CommandReply,
    status: StatusCode,
    body: serde_json::Value,
) -> Result<Response, ApiError> {
    match reply.outcome {
        CommandOutcome::Accepted { position, .. } => {
            let mut response = (status, axum::Json(body)).into_response();
            response
                .headers_mut()
                .insert(AGORA_POSITION, HeaderValue::from(position));
            Ok(response)
        }
        CommandOutcome::Rejected {
            code,
            message,
            status,
        } => Err(ApiError::Rejected {
            status,
            code,
            message,
        }),
    }
}

/// The `Agora-Min-Position` a read asked for, if any.
///
/// # Errors
/// The header is present but not a non-negative integer.
pub fn min_position(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    headers
        .get(AGORA_MIN_POSITION)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::Validation("Agora-Min-Position must be a non-negative integer".into())
                })
        })
        .transpose()
}
