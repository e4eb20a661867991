//! `application/problem+json` (RFC 9457) bodies: `{type, title, status, code, detail}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shared_kernel::{Rejection, RejectionKind};

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
    /// Extension members (RFC 9457 section 3.2): facts of the refusal for programs, such as
    /// the amounts a message names, in minor units.
    #[serde(flatten, skip_serializing_if = "serde_json::Map::is_empty")]
    #[schema(additional_properties)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
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
            extensions: serde_json::Map::new(),
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
    /// 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750 section 3): no credentials
    /// (`None`), or credentials refused for the reason given (`error="invalid_token"`).
    #[error("authentication required")]
    Unauthenticated(Option<String>),
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
    /// A refusal of the domain (a command's rejection, a rule a route checks): its kind picks
    /// the status ([`status_of`]), its code goes to the client as is.
    #[error("{message}")]
    Refused {
        kind: RejectionKind,
        code: String,
        message: String,
        /// Extension members of the problem (a JSON object), if any.
        details: Option<serde_json::Value>,
    },
    /// An answer of the edge itself, with a status no domain refusal has (400
    /// `invalid_cursor`, 414 `uri_too_long`, ...).
    #[error("{message}")]
    Edge {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The members every problem has; extension members may not replace them.
const STANDARD_MEMBERS: [&str; 5] = ["type", "title", "status", "code", "detail"];

/// The one place a refusal's kind becomes an HTTP status.
#[must_use]
pub const fn status_of(kind: RejectionKind) -> StatusCode {
    match kind {
        RejectionKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RejectionKind::NotFound => StatusCode::NOT_FOUND,
        RejectionKind::Forbidden => StatusCode::FORBIDDEN,
        RejectionKind::Conflict => StatusCode::CONFLICT,
        RejectionKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        RejectionKind::Gone => StatusCode::GONE,
        RejectionKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        RejectionKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    /// A refusal of `kind` with its stable `code`.
    pub fn refused(kind: RejectionKind, code: &str, message: impl Into<String>) -> Self {
        Self::Refused {
            kind,
            code: code.to_owned(),
            message: message.into(),
            details: None,
        }
    }

    /// A domain error as the edge answers it (its [`Rejection`] code and kind, its message).
    pub fn rejection(error: &(impl Rejection + std::fmt::Display)) -> Self {
        let (code, kind) = error.code_and_kind();
        Self::Refused {
            kind,
            code: code.to_owned(),
            message: error.to_string(),
            details: error.details(),
        }
    }

    /// The HTTP status this error answers with.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem().status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
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
            Self::Unauthenticated(why) => p(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                why.as_ref().map_or_else(
                    || "authentication required".to_owned(),
                    |why| format!("authentication required: {why}"),
                ),
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
            Self::Refused {
                kind,
                code,
                message,
                details,
            } => {
                let mut problem = p(status_of(*kind), code, message.clone());
                if let Some(serde_json::Value::Object(members)) = details {
                    // The standard members keep their meaning whatever a detail is called.
                    problem.extensions = members
                        .iter()
                        .filter(|(k, _)| !STANDARD_MEMBERS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                }
                problem
            }
            Self::Edge {
                status,
                code,
                message,
            } => p(*status, code, message.clone()),
            Self::Internal(_) => p(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "an internal error occurred".to_owned(),
            ),
        }
    }
}

/// The `WWW-Authenticate` challenge of a 401 (RFC 6750 section 3): the scheme and realm alone
/// when no credentials came, `error="invalid_token"` with a description when they were refused.
fn challenge(why: Option<&str>) -> HeaderValue {
    let value = why.map_or_else(
        || r#"Bearer realm="agora""#.to_owned(),
        |why| {
            // A quoted-string may not hold `"` or `\` unescaped; descriptions are ours, but
            // keep the header valid whatever they say.
            let why: String = why
                .chars()
                .filter(|c| *c != '"' && *c != '\\' && (' '..='~').contains(c))
                .collect();
            format!(r#"Bearer realm="agora", error="invalid_token", error_description="{why}""#)
        },
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let this = match self {
            Self::Internal(cause) => match crate::outage::outage_detail(cause.as_ref()) {
                Some(detail) => {
                    tracing::warn!(error = %cause, "request failed: {detail}");
                    Self::Unavailable {
                        detail,
                        retry_after_secs: 1,
                    }
                }
                None => {
                    tracing::error!(error = %cause, "request failed");
                    Self::Internal(cause)
                }
            },
            other => other,
        };
        this.respond()
    }
}

impl ApiError {
    /// The response of an error already told apart from an outage.
    fn respond(self) -> Response {
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
        // Every 401 carries a challenge (RFC 9110 section 15.5.2): a refused token says why; other
        // refused credentials (a wrong password) name the scheme only.
        if response.status() == StatusCode::UNAUTHORIZED {
            let why = match &self {
                Self::Unauthenticated(why) => why.as_deref(),
                _ => None,
            };
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge(why));
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_status_and_keeps_its_code() {
        for (kind, status) in [
            (RejectionKind::Invalid, 422),
            (RejectionKind::NotFound, 404),
            (RejectionKind::Forbidden, 403),
            (RejectionKind::Conflict, 409),
            (RejectionKind::Unauthenticated, 401),
            (RejectionKind::Gone, 410),
            (RejectionKind::TooManyRequests, 429),
            (RejectionKind::Unavailable, 503),
        ] {
            let response = ApiError::refused(kind, "some_code", "why").into_response();
            assert_eq!(response.status().as_u16(), status, "{kind:?}");
        }
    }

    #[tokio::test]
    async fn details_become_extension_members_beside_the_standard_ones() {
        let error = ApiError::Refused {
            kind: RejectionKind::Invalid,
            code: "refund_exceeds_captured".into(),
            message: "refund of 999999.99 EUR exceeds the 138.00 EUR still refundable".into(),
            details: Some(serde_json::json!({
                "refundable": { "amount_minor": 13800, "currency": "EUR" },
                "status": "not a status",
            })),
        };
        let body = axum::body::to_bytes(error.into_response().into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status"], 422);
        assert_eq!(body["refundable"]["amount_minor"], 13800);
        assert_eq!(body["code"], "refund_exceeds_captured");
    }

    #[test]
    fn a_401_challenges_as_rfc_6750_says() {
        let anonymous = ApiError::Unauthenticated(None).into_response();
        assert_eq!(
            anonymous.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer realm="agora""#
        );
        let refused =
            ApiError::Unauthenticated(Some("the access token \"expired\"".into())).into_response();
        assert_eq!(
            refused.headers()[header::WWW_AUTHENTICATE],
            r#"Bearer realm="agora", error="invalid_token", error_description="the access token expired""#
        );
    }
}
