//! What is kept of a response and how it is replayed, and the lease an attempt holds on its
//! key (given back when the attempt ends without a response worth keeping).

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sqlx::AnyPool;

use super::{IDEMPOTENT_REPLAYED, KEPT_HEADERS};

/// A response a retry would get again: success, or a client error that is not transient.
pub(super) fn is_final(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && !matches!(
                status,
                StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS
            ))
}

/// A response marked `Cache-Control: no-store` (tokens, sessions) is never written down: a
/// retry runs again instead.
pub(super) fn is_secret(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("no-store"))
}

pub(super) fn kept_headers(headers: &HeaderMap) -> String {
    let kept: Vec<(&str, &str)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((*name, value))
        })
        .collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into())
}

pub(super) fn replay(status: i32, headers: Option<&str>, body: Option<Vec<u8>>) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, Bytes::from(body.unwrap_or_default())).into_response();
    let kept: Vec<(String, String)> = headers
        .and_then(|h| serde_json::from_str(h).ok())
        .unwrap_or_default();
    for (name, value) in kept {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response
        .headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    response
}

/// The lease of the attempt running a key, given back unless its response was kept.
#[derive(Debug)]
pub(super) struct Lease {
    pool: AnyPool,
    pub(super) owner: String,
    pub(super) key: String,
    pub(super) leased_at: i64,
    pub(super) armed: bool,
}

impl Lease {
    pub(super) fn new(pool: &AnyPool, owner: &str, key: &str, leased_at: i64) -> Self {
        Self {
            pool: pool.clone(),
            owner: owner.to_owned(),
            key: key.to_owned(),
            leased_at,
            armed: true,
        }
    }

    pub(super) async fn release(&mut self) {
        self.armed = false;
        if let Err(e) = release(&self.pool, &self.owner, &self.key, self.leased_at).await {
            tracing::warn!(error = %e, "cannot release an idempotency key; its lease lapses later");
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // Cancelled mid-request: release in the background (a drop cannot wait).
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (pool, owner, key, at) = (
                self.pool.clone(),
                std::mem::take(&mut self.owner),
                std::mem::take(&mut self.key),
                self.leased_at,
            );
            runtime.spawn(async move {
                if let Err(e) = release(&pool, &owner, &key, at).await {
                    tracing::warn!(error = %e, "cannot release an idempotency key; its lease lapses later");
                }
            });
        }
    }
}

/// Gives the key back without a response, keeping its command id: the next retry runs at once
/// under the same command id.
pub(super) async fn release(
    pool: &AnyPool,
    owner: &str,
    key: &str,
    leased_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE idempotency_keys SET leased_at = NULL WHERE owner = $1 AND key = $2 \
         AND leased_at = $3 AND status IS NULL",
    )
    .bind(owner)
    .bind(key)
    .bind(leased_at)
    .execute(pool)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_responses_are_kept() {
        assert!(is_final(StatusCode::CREATED));
        assert!(is_final(StatusCode::ACCEPTED));
        assert!(is_final(StatusCode::UNPROCESSABLE_ENTITY));
        assert!(is_final(StatusCode::NOT_FOUND));
        assert!(!is_final(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_final(StatusCode::CONFLICT));
        assert!(!is_final(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!is_final(StatusCode::SERVICE_UNAVAILABLE));
    }

    #[test]
    fn responses_that_must_not_be_stored_are_secret() {
        let mut headers = HeaderMap::new();
        assert!(!is_secret(&headers));
        headers.insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("private, No-Store"),
        );
        assert!(is_secret(&headers));
    }
}
