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
use std::sync::atomic::AtomicI64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::caller::Authentication;
use crate::{AGORA_POSITION, ApiError, Problem};

mod attempts;
mod responses;

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
        Some(Authentication::Refused(_)) | None => return next.run(request).await,
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
}
