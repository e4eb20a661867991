//! Command replies as HTTP responses, and the read-your-writes headers.
//!
//! A write route sends its command ([`crate::ContextApi::send`]) and answers [`Written<T>`]:
//! the handler's typed reply `T` with the status the route chose and `Agora-Position`, or, when
//! the reply is late, 202 with where the command's outcome will be ([`PendingCommand`]). A
//! rejection is an [`ApiError`] whose kind picks the status.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared_kernel::{BusError, CommandBus, CommandEnvelope, CommandOutcome, RejectionKind};
use uuid::Uuid;

use crate::ApiError;

/// Set on every write: the global position of its last event.
pub const AGORA_POSITION: &str = "agora-position";
/// Sent on a read: wait (bounded) until the read model has reached this position.
pub const AGORA_MIN_POSITION: &str = "agora-min-position";

/// The answer of a write whose command's reply did not come in time (202, with `Location`): the
/// command may still complete; its outcome will be at `GET /api/v1/commands/{command_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingCommand {
    pub command_id: Uuid,
    /// Always `pending`.
    #[schema(example = "pending")]
    pub status: String,
    /// Where the command's outcome will be: `/api/v1/commands/{command_id}`.
    pub location: String,
    /// The id of what the command creates, when the route knows it already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub id: Option<String>,
}

impl PendingCommand {
    /// The pending answer of `command_id`, naming `resource_id` when the route knows it.
    #[must_use]
    pub fn new(command_id: Uuid, resource_id: Option<String>) -> Self {
        Self {
            command_id,
            status: "pending".to_owned(),
            location: format!("/api/v1/commands/{command_id}"),
            id: resource_id,
        }
    }
}

impl IntoResponse for PendingCommand {
    fn into_response(self) -> Response {
        let location = HeaderValue::from_str(&self.location).ok();
        let mut response = (StatusCode::ACCEPTED, crate::Json(self)).into_response();
        if let Some(location) = location {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}

/// What a write answers: its command's typed reply, or 202 when the reply is late.
#[derive(Debug, Clone, PartialEq)]
pub enum Written<T> {
    /// The command completed: `body` with `status`, `Agora-Position: position` and, for a
    /// creation, `Location`.
    Done {
        status: StatusCode,
        position: u64,
        body: T,
        location: Option<String>,
    },
    /// The reply did not come within the command timeout; the command may still complete.
    Pending(PendingCommand),
}

impl<T> Written<T> {
    /// The same answer with another status when done (201 for a creation, ...).
    #[must_use]
    pub fn with_status(self, status: StatusCode) -> Self {
        match self {
            Self::Done {
                position,
                body,
                location,
                ..
            } => Self::Done {
                status,
                position,
                body,
                location,
            },
            pending @ Self::Pending(_) => pending,
        }
    }

    /// 201 with `Location` (the created resource, from the reply); a pending answer keeps its
    /// own `Location`, the command's status.
    #[must_use]
    pub fn created(self, location: impl FnOnce(&T) -> String) -> Self {
        match self {
            Self::Done { position, body, .. } => Self::Done {
                status: StatusCode::CREATED,
                position,
                location: Some(location(&body)),
                body,
            },
            pending @ Self::Pending(_) => pending,
        }
    }

    /// The same answer with its body turned into `U`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Written<U> {
        match self {
            Self::Done {
                status,
                position,
                body,
                location,
            } => Written::Done {
                status,
                position,
                body: f(body),
                location,
            },
            Self::Pending(p) => Written::Pending(p),
        }
    }

    /// The global position of the write's last event, when it completed.
    #[must_use]
    pub const fn position(&self) -> Option<u64> {
        match self {
            Self::Done { position, .. } => Some(*position),
            Self::Pending(_) => None,
        }
    }
}

impl<T: Serialize> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        match self {
            Self::Done {
                status,
                position,
                body,
                location,
            } => {
                let mut response = (status, crate::Json(body)).into_response();
                let headers = response.headers_mut();
                headers.insert(AGORA_POSITION, HeaderValue::from(position));
                if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
                    headers.insert(header::LOCATION, value);
                }
                response
            }
            Self::Pending(pending) => pending.into_response(),
        }
    }
}

/// Sends `envelope` over `bus` and answers with its reply: 200 with the handler's body typed
/// as `T` and `Agora-Position`, or the rejection as a problem. A reply that does not come in
/// time is not an error: the command may still be processed, so the answer is 202 with where
/// its outcome will be (naming `resource_id`, when the caller already knows the id of what it
/// creates).
///
/// # Errors
/// The command was rejected (its kind picks the status); `service` cannot be reached (503 with
/// `Retry-After`); the reply's body is not a `T` (500: the handler and the route disagree).
pub async fn send_command<T: DeserializeOwned>(
    bus: &dyn CommandBus,
    envelope: CommandEnvelope,
    service: &str,
    resource_id: Option<String>,
) -> Result<Written<T>, ApiError> {
    let command_id = envelope.command_id;
    let reply = match bus.send(envelope).await {
        Ok(reply) => reply,
        Err(BusError::Timeout(_)) => {
            return Ok(Written::Pending(PendingCommand::new(
                command_id,
                resource_id,
            )));
        }
        Err(BusError::NoRoute(_) | BusError::Unavailable(_)) => {
            return Err(ApiError::Unavailable {
                detail: format!("the {service} service is not reachable"),
                retry_after_secs: 2,
            });
        }
    };
    match reply.outcome {
        CommandOutcome::Accepted { position, body, .. } => Ok(Written::Done {
            status: StatusCode::OK,
            position,
            body: serde_json::from_value(body).map_err(ApiError::internal)?,
            location: None,
        }),
        CommandOutcome::Rejected {
            code,
            message,
            kind,
            details,
        } => Err(ApiError::Refused {
            kind,
            code,
            message,
            details,
        }),
    }
}

/// The highest `Agora-Min-Position` that can name an event: the stores keep positions in a
/// signed 64-bit column.
pub const MAX_POSITION: u64 = i64::MAX as u64;

/// The `Agora-Min-Position` a request asked for, if any: a global position from `0` (nothing to
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
                .ok_or_else(|| ApiError::Edge {
                    status: StatusCode::BAD_REQUEST,
                    code: "invalid_min_position",
                    message: format!(
                        "Agora-Min-Position must be an integer from 0 to {MAX_POSITION} \
                         (the Agora-Position of a write)"
                    ),
                })
        })
        .transpose()
}

/// A rejection a route answers itself, before or instead of a command (its kind picks the
/// status, as for a command's).
#[must_use]
pub fn refused(kind: RejectionKind, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::refused(kind, code, message)
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
            let Err(ApiError::Edge { status, code, .. }) = parsed(bad) else {
                panic!("{bad:?} accepted");
            };
            assert_eq!((status.as_u16(), code), (400, "invalid_min_position"));
        }
    }

    #[test]
    fn a_write_answers_its_body_position_and_location() {
        let written = Written::Done {
            status: StatusCode::OK,
            position: 7,
            body: serde_json::json!({ "id": "p1" }),
            location: None,
        }
        .created(|b| format!("/api/v1/products/{}", b["id"].as_str().unwrap_or_default()));
        let response = written.into_response();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[AGORA_POSITION], "7");
        assert_eq!(response.headers()[header::LOCATION], "/api/v1/products/p1");

        let id = Uuid::now_v7();
        let late: Written<()> = Written::Pending(PendingCommand::new(id, None));
        let response = late.created(|()| "/never".into()).into_response();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert_eq!(
            response.headers()[header::LOCATION],
            format!("/api/v1/commands/{id}").as_str()
        );
    }
}
