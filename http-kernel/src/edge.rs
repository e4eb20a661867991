//! The two outermost layers every request passes, so no route can forget them:
//! - [`refuse_control_characters`]: the decoded path and query hold no control character and
//!   stay within [`MAX_PATH_BYTES`] / [`MAX_QUERY_BYTES`], before any route sees them;
//! - [`problem_errors`]: any error response that is not yet `application/problem+json` (axum's
//!   405 with an empty body, a body-limit 413 in `text/plain`, an extractor's rejection...)
//!   becomes one, with a stable `code` derived from its status.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

use crate::{ApiError, Problem};

/// The longest request path accepted, in bytes as sent (percent-encoded).
pub const MAX_PATH_BYTES: usize = 2_048;
/// The longest query string accepted, in bytes as sent (percent-encoded).
pub const MAX_QUERY_BYTES: usize = 4_096;
/// A non-problem error body at most this long is kept as the problem's `detail`.
const MAX_DETAIL_BYTES: usize = 1_024;

/// Middleware: refuses a path or query string that decodes to a control character (NUL, ESC,
/// line breaks... none belongs in a name, an id or a search) with 422 `validation_failed`, one
/// that does not decode to UTF-8 with 400 `malformed_uri`, and one that is too long with 414
/// `uri_too_long`.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    match check_uri(request.uri().path(), request.uri().query()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn check_uri(path: &str, query: Option<&str>) -> Result<(), ApiError> {
    let too_long = |what: &str, max: usize| ApiError::Edge {
        status: StatusCode::URI_TOO_LONG,
        code: "uri_too_long",
        message: format!("the {what} is longer than {max} bytes"),
    };
    if path.len() > MAX_PATH_BYTES {
        return Err(too_long("path", MAX_PATH_BYTES));
    }
    let decoded = percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| ApiError::Edge {
            status: StatusCode::BAD_REQUEST,
            code: "malformed_uri",
            message: "the path does not decode to UTF-8 text".into(),
        })?;
    if decoded.chars().any(char::is_control) {
        return Err(ApiError::Validation(
            "the path holds a control character".into(),
        ));
    }
    if let Some(query) = query {
        if query.len() > MAX_QUERY_BYTES {
            return Err(too_long("query string", MAX_QUERY_BYTES));
        }
        // Form decoding as the Query extractor does it (`+` is a space); each name and value.
        let controlled = form_urlencoded::parse(query.as_bytes())
            .find(|(name, value)| name.chars().chain(value.chars()).any(char::is_control));
        if let Some((name, _)) = controlled {
            let name: String = name.chars().filter(|c| !c.is_control()).collect();
            return Err(ApiError::Validation(format!(
                "query parameter {name:?} holds a control character"
            )));
        }
    }
    Ok(())
}

/// Middleware: turns every error response that is not `application/problem+json` into one.
/// Headers other than the body's own (`Allow` of a 405, `Retry-After`, ...) are kept; a short
/// text body of a 4xx becomes the `detail`; a 5xx body is never shown.
pub async fn problem_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(response.headers()) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_DETAIL_BYTES).await {
        Ok(bytes) => String::from_utf8(bytes.to_vec()).unwrap_or_default(),
        Err(_) => String::new(),
    };
    let detail = if status.is_server_error() {
        tracing::warn!(%status, body = %text, "non-problem error response replaced");
        "an internal error occurred".to_owned()
    } else if status == StatusCode::METHOD_NOT_ALLOWED {
        // axum's method router adds `Allow` outside this layer on some routes: name the
        // methods when they are known here, else point at the header.
        match parts
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
        {
            Some(allowed) if !allowed.trim().is_empty() => {
                format!("{method} is not allowed here; allowed: {allowed}")
            }
            _ => {
                format!("{method} is not allowed here; the Allow header lists the methods that are")
            }
        }
    } else if text.trim().is_empty() || is_json(&parts.headers) {
        status.canonical_reason().unwrap_or("error").to_owned()
    } else {
        text.trim().to_owned()
    };
    let mut problem = Problem::new(status, code_for(status), detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name.clone(), value.clone());
        }
    }
    if method == Method::HEAD {
        *problem.body_mut() = Body::empty();
    }
    problem
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .unwrap_or_default()
}

fn is_problem(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/problem+json")
}

fn is_json(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/json")
}

/// The stable code of an error status, for errors no handler described.
#[must_use]
pub fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::UNAUTHORIZED => "unauthenticated",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::NOT_ACCEPTABLE => "not_acceptable",
        StatusCode::REQUEST_TIMEOUT => "request_timeout",
        StatusCode::CONFLICT => "conflict",
        StatusCode::LENGTH_REQUIRED => "length_required",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::URI_TOO_LONG => "uri_too_long",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            "unavailable"
        }
        s if s.is_server_error() => "internal_error",
        _ => "bad_request",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt as _;

    fn refused(path: &str, query: Option<&str>) -> u16 {
        match check_uri(path, query) {
            Ok(()) => panic!("{path}?{query:?} accepted"),
            Err(e) => e.into_response().status().as_u16(),
        }
    }

    #[test]
    fn control_characters_in_paths_and_queries_are_refused() {
        check_uri(
            "/api/v1/communities/chess",
            Some("q=caf%C3%A9+au+lait&limit=5"),
        )
        .unwrap();
        check_uri("/api/v1/communities/caf%C3%A9", None).unwrap();
        assert_eq!(refused("/api/v1/communities/%00", None), 422);
        assert_eq!(refused("/api/v1/communities/a%0Ab", None), 422);
        assert_eq!(refused("/api/v1/products", Some("q=a%00")), 422);
        assert_eq!(refused("/api/v1/products", Some("q%1B=a")), 422);
        assert_eq!(refused("/api/v1/products", Some("q=%C2%85")), 422);
        assert_eq!(refused("/api/v1/communities/%FF", None), 400);
        assert_eq!(
            refused(&format!("/{}", "a".repeat(MAX_PATH_BYTES)), None),
            414
        );
        let q = "q=".to_owned() + &"a".repeat(MAX_QUERY_BYTES);
        assert_eq!(refused("/", Some(&q)), 414);
    }

    #[tokio::test]
    #[allow(clippy::disallowed_methods)] // a router of the test's own, described by nothing
    async fn bare_errors_become_problems_and_keep_their_headers() {
        let app = Router::new()
            .route("/only-get", get(|| async { "ok" }))
            .route(
                "/teapot",
                get(|| async { (StatusCode::BAD_REQUEST, "limit: invalid digit") }),
            )
            .route(
                "/boom",
                get(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "secret stack trace") }),
            )
            .layer(axum::middleware::from_fn(problem_errors));
        let call = |method: Method, uri: &str| {
            let request = axum::http::Request::builder()
                .method(method)
                .uri(uri)
                .body(Body::empty())
                .unwrap();
            app.clone().oneshot(request)
        };
        let r = call(Method::POST, "/only-get").await.unwrap();
        assert_eq!(r.status(), 405);
        assert_eq!(
            r.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        assert!(r.headers().contains_key(header::ALLOW));
        let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "method_not_allowed");
        assert_eq!(body["status"], 405);

        let r = call(Method::GET, "/teapot").await.unwrap();
        let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "bad_request");
        assert_eq!(body["detail"], "limit: invalid digit");

        let r = call(Method::GET, "/boom").await.unwrap();
        let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
        assert!(!String::from_utf8_lossy(&body).contains("secret"));

        let r = call(Method::GET, "/only-get").await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(axum::body::to_bytes(r.into_body(), 16).await.unwrap(), "ok");
    }
}
