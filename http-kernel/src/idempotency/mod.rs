//! `Idempotency-Key` on writes (POST, PUT, PATCH, DELETE): a client that retries a write with
//! the same key gets the first response again instead of a second effect, even when the
//! process that ran the first attempt died before answering.
//!
//! Per owner and key, the table `idempotency_keys` holds the first request's fingerprint
//! (method, path and query, SHA-256 of the body), the **command id** every attempt of the
//! request uses (see [`CommandIds`]), the lease of the attempt running now, and, once one
//! finished, its response (status, the headers in [`KEPT_HEADERS`], body). The owner is the
//! caller's user id; without credentials it is `anonymous:<SHA-256 of the fingerprint>`, so
//! strangers who happen to pick the same key neither see each other's responses nor collide.
//! Then:
//! - same key, same fingerprint, finished: the stored response, with `Idempotent-Replayed: true`;
//! - same key, another fingerprint: 422 `idempotency_key_reused`;
//! - same key while an attempt holds the lease: the duplicate waits for it and replays its
//!   response;
//! - same key whose lease has lapsed ([`Idempotency::lease`]: the process running it died, or
//!   it is slower than any route may be) or was given back (5xx, 409, 429, a dropped
//!   connection): the request runs again under the **same** command id. Its command, and the
//!   ids of what it creates, are then the first attempt's, so a command that had committed is
//!   answered by the store's command-id deduplication with its first result (same order, same
//!   post) and one that had not runs now, once. A duplicate therefore never waits much longer
//!   than a lease, and 409 `idempotency_key_in_flight` only answers one that outlasted
//!   [`Idempotency::wait`].
//!
//! The row is inserted before the request runs: the primary key lets exactly one of several
//! concurrent duplicates run, and a takeover is one conditional `UPDATE` that only one of
//! several can win. Only final responses are kept: 2xx and 4xx, except the ones a retry may
//! change (408, 409, 429). Responses marked `Cache-Control: no-store` (tokens) are not written
//! down either. Keys expire [`Idempotency::ttl`] (24 h) after their first use; a retry after
//! that is a new request with a new command id.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use uuid::Uuid;

use crate::caller::Authentication;
use crate::{AGORA_POSITION, ApiError, CommandIds, Problem};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on a replayed response.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";
/// The response headers a replay repeats.
pub const KEPT_HEADERS: &[&str] = &["content-type", "location", AGORA_POSITION, "retry-after"];
/// The longest key accepted.
const MAX_KEY_LEN: usize = 255;
/// How often a waiting duplicate looks whether the first request finished.
const POLL: Duration = Duration::from_millis(25);
/// How often expired keys are purged at most.
const PURGE_EVERY_MS: i64 = 60_000;
/// The owner prefix of keys sent without credentials (followed by the request's fingerprint).
const ANONYMOUS: &str = "anonymous";
/// The default lease of an attempt (and so the longest a retry waits for a dead one).
const DEFAULT_LEASE: Duration = Duration::from_secs(11);
/// How much longer than a lease a duplicate waits before it gives up with 409: long enough to
/// see a lapsed lease and take it over.
const WAIT_BEYOND_LEASE: Duration = Duration::from_secs(1);

/// The middleware's state: where keys live and how long things may take.
#[derive(Debug)]
pub struct Idempotency {
    pool: AnyPool,
    max_body_bytes: usize,
    /// How long a duplicate waits for the attempt in flight before answering 409.
    pub wait: Duration,
    /// How long a key is remembered after its first use.
    pub ttl: Duration,
    /// How long an attempt holds the key: a lease older than this was left by a process that
    /// died (or belongs to an attempt slower than any route may be) and is taken over. Running
    /// the request twice is harmless (the command id is the same), so this is short: the
    /// command timeout and a margin.
    pub lease: Duration,
    last_purge_ms: AtomicI64,
}

impl Idempotency {
    /// Keys in `pool` (table `idempotency_keys`, created by the store's migrations); request
    /// bodies larger than `max_body_bytes` are refused with 413 as the route would.
    #[must_use]
    pub fn new(pool: AnyPool, max_body_bytes: usize) -> Self {
        Self {
            pool,
            max_body_bytes,
            wait: DEFAULT_LEASE + WAIT_BEYOND_LEASE,
            ttl: Duration::from_secs(24 * 60 * 60),
            lease: DEFAULT_LEASE,
            last_purge_ms: AtomicI64::new(0),
        }
    }

    /// The same with attempts leased for `lease` (the longest a write may legitimately take:
    /// the command timeout plus a margin), and duplicates waiting a little longer than that,
    /// so that one behind a dead attempt takes it over instead of answering 409.
    #[must_use]
    pub fn with_lease(self, lease: Duration) -> Self {
        Self {
            lease,
            wait: lease + WAIT_BEYOND_LEASE,
            ..self
        }
    }
}

/// What a request with a key is, before it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    method: String,
    path: String,
    body_sha256: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Fingerprint {
    fn of(method: &Method, path: &str, body: &[u8]) -> Self {
        Self {
            method: method.as_str().to_owned(),
            path: path.to_owned(),
            body_sha256: hex(&Sha256::digest(body)),
        }
    }

    /// The owner of a key sent without credentials: one namespace per distinct request, so
    /// two strangers' keys only meet when they sent the very same request.
    fn anonymous_owner(&self) -> String {
        let mut digest = Sha256::new();
        for part in [&self.method, &self.path, &self.body_sha256] {
            digest.update(part.as_bytes());
            digest.update([0]);
        }
        format!("{ANONYMOUS}:{}", hex(&digest.finalize()))
    }
}

/// A stored key.
#[derive(Debug, sqlx::FromRow)]
struct Row {
    method: String,
    path: String,
    body_sha256: String,
    status: Option<i32>,
    headers: Option<String>,
    body: Option<Vec<u8>>,
    /// When the attempt holding the key took it; `None` once it gave the key back.
    leased_at: Option<i64>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn problem(status: StatusCode, code: &str, detail: &str) -> Response {
    Problem::new(status, code, detail).into_response()
}

/// Middleware: makes writes that carry `Idempotency-Key` safe to retry. Must run inside the
/// `authenticate` layer (keys belong to the caller).
pub async fn idempotency(
    State(keys): State<Arc<Idempotency>>,
    request: Request,
    next: Next,
) -> Response {
    let is_write = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let Some(key) = request.headers().get(IDEMPOTENCY_KEY).cloned() else {
        return next.run(request).await;
    };
    if !is_write {
        return next.run(request).await;
    }
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN => k.to_owned(),
        _ => {
            return ApiError::Validation(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
            .into_response();
        }
    };
    let verified = match request.extensions().get::<Authentication>() {
        Some(Authentication::Verified(caller)) => Some(caller.user_id.to_string()),
        Some(Authentication::Anonymous) => None,
        // Refused credentials: the route answers 401; nothing worth remembering.
        Some(Authentication::Refused) | None => return next.run(request).await,
    };

    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, keys.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::PayloadTooLarge.into_response(),
    };
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), ToString::to_string);
    let fingerprint = Fingerprint::of(&parts.method, &path, &body);
    let owner = verified.unwrap_or_else(|| fingerprint.anonymous_owner());
    let request = Request::from_parts(parts, Body::from(body));

    match keys
        .run_once(&owner, &key, &fingerprint, request, next)
        .await
    {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

impl Idempotency {
    async fn run_once(
        &self,
        owner: &str,
        key: &str,
        fingerprint: &Fingerprint,
        request: Request,
        next: Next,
    ) -> Result<Response, ApiError> {
        self.purge_expired().await;
        let waited_until = tokio::time::Instant::now() + self.wait;
        loop {
            let now = now_ms();
            let command_id = Uuid::now_v7();
            // Claimed when new, or when only an expired key was there (it is forgotten: the
            // request runs as new), in one statement.
            let claimed = sqlx::query(
                "INSERT INTO idempotency_keys \
                 (owner, key, method, path, body_sha256, created_at, command_id, leased_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $6) ON CONFLICT (owner, key) DO UPDATE \
                 SET method = excluded.method, path = excluded.path, \
                     body_sha256 = excluded.body_sha256, created_at = excluded.created_at, \
                     command_id = excluded.command_id, leased_at = excluded.leased_at, \
                     status = NULL, headers = NULL, body = NULL \
                 WHERE idempotency_keys.created_at < $8",
            )
            .bind(owner)
            .bind(key)
            .bind(fingerprint.method.clone())
            .bind(fingerprint.path.clone())
            .bind(fingerprint.body_sha256.clone())
            .bind(now)
            .bind(command_id.to_string())
            .bind(now - millis(self.ttl))
            .execute(&self.pool)
            .await
            .map_err(ApiError::internal)?
            .rows_affected()
                == 1;
            if claimed {
                let lease = Lease::new(&self.pool, owner, key, now);
                return self.run_first(lease, command_id, request, next).await;
            }

            let row = sqlx::query_as::<_, Row>(
                "SELECT method, path, body_sha256, status, headers, body, leased_at \
                 FROM idempotency_keys WHERE owner = $1 AND key = $2",
            )
            .bind(owner)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(ApiError::internal)?;
            // Gone meanwhile (expired): try to claim it again.
            let Some(row) = row else { continue };
            let stored = Fingerprint {
                method: row.method.clone(),
                path: row.path.clone(),
                body_sha256: row.body_sha256.clone(),
            };
            if stored != *fingerprint {
                return Ok(problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for another request",
                ));
            }
            if let Some(status) = row.status {
                return Ok(replay(status, row.headers.as_deref(), row.body));
            }
            let lapsed = row.leased_at.is_none_or(|at| now - at > millis(self.lease));
            if lapsed {
                // Given back, or left by a process that stopped: take it over, keeping its
                // command id, unless another retry is quicker.
                if let Some(command_id) = self.take_over(owner, key, row.leased_at, now).await? {
                    let lease = Lease::new(&self.pool, owner, key, now);
                    return self.run_first(lease, command_id, request, next).await;
                }
                continue;
            }
            if tokio::time::Instant::now() >= waited_until {
                return Ok(problem(
                    StatusCode::CONFLICT,
                    "idempotency_key_in_flight",
                    "a request with this Idempotency-Key is still being processed; retry later",
                ));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Leases the key to this attempt if it is still unfinished and leased as `seen`; the
    /// command id every attempt of the key uses, or `None` when another attempt was quicker.
    async fn take_over(
        &self,
        owner: &str,
        key: &str,
        seen: Option<i64>,
        now: i64,
    ) -> Result<Option<Uuid>, ApiError> {
        // Rows of an older version have no command id yet: they get one now.
        let taken: Option<Option<String>> = sqlx::query_scalar(
            "UPDATE idempotency_keys \
             SET leased_at = $3, command_id = COALESCE(command_id, $4) \
             WHERE owner = $1 AND key = $2 AND status IS NULL \
             AND COALESCE(leased_at, -1) = $5 \
             RETURNING command_id",
        )
        .bind(owner)
        .bind(key)
        .bind(now)
        .bind(Uuid::now_v7().to_string())
        .bind(seen.unwrap_or(-1))
        .fetch_optional(&self.pool)
        .await
        .map_err(ApiError::internal)?;
        let Some(command_id) = taken else {
            return Ok(None);
        };
        command_id
            .as_deref()
            .map(Uuid::parse_str)
            .transpose()
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::Internal("idempotency key without a command id".into()))
            .map(Some)
    }

    /// Runs the request that holds the key's lease, under the key's command id, and keeps its
    /// response if it is final.
    async fn run_first(
        &self,
        mut lease: Lease,
        command_id: Uuid,
        mut request: Request,
        next: Next,
    ) -> Result<Response, ApiError> {
        request.extensions_mut().insert(CommandIds::of(command_id));
        // If this future is dropped (client gone) or the handler panics, the lease is released.
        let response = next.run(request).await;
        let status = response.status();
        if !is_final(status) || is_secret(response.headers()) {
            lease.release().await;
            return Ok(response);
        }
        let (parts, body) = response.into_parts();
        let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
            lease.release().await;
            return Err(ApiError::Internal("response body unreadable".into()));
        };
        let headers = kept_headers(&parts.headers);
        // Only while this attempt still holds the lease: one that took it over (this one was
        // too slow) answers with the same result and stores it.
        let stored = sqlx::query(
            "UPDATE idempotency_keys SET status = $4, headers = $5, body = $6 \
             WHERE owner = $1 AND key = $2 AND leased_at = $3 AND status IS NULL",
        )
        .bind(&lease.owner)
        .bind(&lease.key)
        .bind(lease.leased_at)
        .bind(i32::from(status.as_u16()))
        .bind(headers)
        .bind(body.to_vec())
        .execute(&self.pool)
        .await;
        match stored {
            Ok(_) => lease.armed = false,
            // The write happened; its response goes out. A retry runs it again under the same
            // command id and gets the same result.
            Err(e) => {
                tracing::error!(error = %e, "cannot store an idempotent response");
                lease.release().await;
            }
        }
        Ok(Response::from_parts(parts, Body::from(body)))
    }

    /// Deletes expired keys, at most once a minute per process.
    async fn purge_expired(&self) {
        let now = now_ms();
        let last = self.last_purge_ms.load(Ordering::Relaxed);
        if now - last < PURGE_EVERY_MS
            || self
                .last_purge_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(e) = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - millis(self.ttl))
            .execute(&self.pool)
            .await
        {
            tracing::warn!(error = %e, "cannot purge expired idempotency keys");
        }
    }
}

/// A response a retry would get again: success, or a client error that is not transient.
fn is_final(status: StatusCode) -> bool {
    status.is_success()
        || (status.is_client_error()
            && !matches!(
                status,
                StatusCode::REQUEST_TIMEOUT | StatusCode::CONFLICT | StatusCode::TOO_MANY_REQUESTS
            ))
}

/// A response marked `Cache-Control: no-store` (tokens, sessions) is never written down: a
/// retry runs again instead.
fn is_secret(headers: &HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.to_ascii_lowercase().contains("no-store"))
}

fn kept_headers(headers: &HeaderMap) -> String {
    let kept: Vec<(&str, &str)> = KEPT_HEADERS
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().ok()?;
            Some((*name, value))
        })
        .collect();
    serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into())
}

fn replay(status: i32, headers: Option<&str>, body: Option<Vec<u8>>) -> Response {
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
struct Lease {
    pool: AnyPool,
    owner: String,
    key: String,
    leased_at: i64,
    armed: bool,
}

impl Lease {
    fn new(pool: &AnyPool, owner: &str, key: &str, leased_at: i64) -> Self {
        Self {
            pool: pool.clone(),
            owner: owner.to_owned(),
            key: key.to_owned(),
            leased_at,
            armed: true,
        }
    }

    async fn release(&mut self) {
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
async fn release(
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
    fn fingerprints_differ_by_method_path_and_body() {
        let a = Fingerprint::of(&Method::POST, "/api/v1/products", b"{}");
        assert_eq!(a, Fingerprint::of(&Method::POST, "/api/v1/products", b"{}"));
        assert_ne!(a, Fingerprint::of(&Method::PUT, "/api/v1/products", b"{}"));
        assert_ne!(a, Fingerprint::of(&Method::POST, "/api/v1/users", b"{}"));
        assert_ne!(
            a,
            Fingerprint::of(&Method::POST, "/api/v1/products", b"{ }")
        );
        assert_eq!(a.body_sha256.len(), 64);
    }

    #[test]
    fn anonymous_owners_are_scoped_by_the_request() {
        let a = Fingerprint::of(&Method::POST, "/api/v1/users", b"{\"email\":\"a@x.org\"}");
        let b = Fingerprint::of(&Method::POST, "/api/v1/users", b"{\"email\":\"b@x.org\"}");
        assert_eq!(a.anonymous_owner(), a.clone().anonymous_owner());
        assert_ne!(a.anonymous_owner(), b.anonymous_owner());
        assert!(a.anonymous_owner().starts_with("anonymous:"));
    }

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
