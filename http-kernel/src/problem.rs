//! `application/problem+json` (RFC 9457) bodies: `{type, title, status, code, detail}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The body of every error response (`application/problem+json`, RFC 9457).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "https://agora.example/problems/not_found",
    "title": "Not Found",
    "status": 404,
    "code": "not_found",
    "detail": "no product with this id"
}))]
pub struct Problem {
    /// A URI naming the problem type: `https://agora.example/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status' reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// Stable, snake_case, for programs: `validation_failed`, `not_found`, ...
    pub code: String,
    /// For humans: what was wrong.
    pub detail: String,
}

impl Problem {
    #[must_use]
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://agora.example/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

/// Errors a handler can answer with. Internal causes are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(String),
    #[error("{0}")]
    MalformedJson(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("authentication required")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// 429, answered with `Retry-After`.
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// Answered with `Retry-After`.
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after_secs: u64,
    },
    /// A domain rejection with its own code and status.
    #[error("{message}")]
    Rejected {
        status: u16,
        code: String,
        message: String,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    fn problem(&self) -> Problem {
        let p = Problem::new;
        match self {
            Self::Validation(d) => p(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                d.clone(),
            ),
            Self::MalformedJson(d) => p(StatusCode::BAD_REQUEST, "malformed_json", d.clone()),
            Self::UnsupportedMediaType(d) => p(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                d.clone(),
            ),
            Self::Unauthenticated => p(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "authentication required".to_owned(),
            ),
            Self::Forbidden(d) => p(StatusCode::FORBIDDEN, "forbidden", d.clone()),
            Self::NotFound(what) => p(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("{what} not found"),
            ),
            Self::Conflict(d) => p(StatusCode::CONFLICT, "concurrency_conflict", d.clone()),
            Self::PayloadTooLarge => p(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body too large".to_owned(),
            ),
            Self::TooManyRequests { detail, .. } => p(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                detail.clone(),
            ),
            Self::Unavailable { detail, .. } => p(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                detail.clone(),
            ),
            Self::Rejected {
                status,
                code,
                message,
            } => Problem {
                status: *status,
                ..p(
                    StatusCode::from_u16(*status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
                    code,
                    message.clone(),
                )
            },
            Self::Internal(_) => p(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "an internal error occurred".to_owned(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let retry_after = match &self {
            Self::Unavailable {
                retry_after_secs, ..
            }
            | Self::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = self.problem().into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
