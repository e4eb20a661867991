//! Command replies as HTTP responses, and the read-your-writes headers.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use shared_kernel::{BusError, CommandBus, CommandEnvelope, CommandOutcome, CommandReply};
use uuid::Uuid;

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
            let mut response = (status, crate::Json(body)).into_response();
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

/// Sends `envelope` over `bus` and answers with its reply: `status` + the handler's body +
/// `Agora-Position`, or the rejection as a problem. A reply that does not come in time is not
/// an error: the command may still be processed, so the answer is 202 with where its outcome
/// will be (and `resource_id`, when the caller already knows the id of what it creates).
///
/// # Errors
/// The command was rejected, or `service` cannot be reached (503 with `Retry-After`).
pub async fn send_command(
    bus: &dyn CommandBus,
    envelope: CommandEnvelope,
    service: &str,
    status: StatusCode,
    resource_id: Option<String>,
) -> Result<Response, ApiError> {
    let command_id = envelope.command_id;
    let reply = match bus.send(envelope).await {
        Ok(reply) => reply,
        Err(BusError::Timeout(_)) => return Ok(pending_command(command_id, resource_id)),
        Err(BusError::NoRoute(_) | BusError::Unavailable(_)) => {
            return Err(ApiError::Unavailable {
                detail: format!("the {service} service is not reachable"),
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
#[must_use]
pub fn pending_command(command_id: Uuid, resource_id: Option<String>) -> Response {
    let location = format!("/api/v1/commands/{command_id}");
    let mut body = serde_json::json!({
        "command_id": command_id, "status": "pending", "location": location
    });
    if let (Some(id), Some(fields)) = (resource_id, body.as_object_mut()) {
        fields.insert("id".into(), serde_json::Value::String(id));
    }
    let mut response = (StatusCode::ACCEPTED, crate::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// The highest `Agora-Min-Position` that can name an event: the stores keep positions in a
/// signed 64-bit column.
pub const MAX_POSITION: u64 = i64::MAX as u64;

/// The `Agora-Min-Position` a read asked for, if any: a global position from `0` (nothing to
/// wait for) to [`MAX_POSITION`].
///
/// # Errors
/// 400 `invalid_min_position`: the header is present but not a decimal integer in that range.
pub fn min_position(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    headers
        .get(AGORA_MIN_POSITION)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|p| *p <= MAX_POSITION)
                .ok_or_else(|| ApiError::Rejected {
                    status: StatusCode::BAD_REQUEST.as_u16(),
                    code: "invalid_min_position".into(),
                    message: format!(
                        "Agora-Min-Position must be an integer from 0 to {MAX_POSITION} \
                         (the Agora-Position of a write)"
                    ),
                })
        })
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn parsed(value: &str) -> Result<Option<u64>, ApiError> {
        let mut headers = HeaderMap::new();
        headers.insert(AGORA_MIN_POSITION, HeaderValue::from_str(value).unwrap());
        min_position(&headers)
    }

    #[test]
    fn min_position_is_a_position_or_a_400() {
        assert_eq!(min_position(&HeaderMap::new()).unwrap(), None);
        assert_eq!(parsed("0").unwrap(), Some(0));
        assert_eq!(parsed(" 42 ").unwrap(), Some(42));
        assert_eq!(parsed("9223372036854775807").unwrap(), Some(MAX_POSITION));
        for bad in [
            "9223372036854775808",
            "18446744073709551616",
            "-1",
            "soon",
            "1.5",
            "",
        ] {
            let Err(ApiError::Rejected { status, code, .. }) = parsed(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!((status, code.as_str()), (400, "invalid_min_position"));
        }
    }
}
