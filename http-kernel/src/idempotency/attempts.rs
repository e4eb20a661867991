//! One request under a key: the first attempt, a takeover of a lapsed lease, or a wait for
//! the attempt running now (then its response, replayed).

use std::sync::atomic::Ordering;

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

use super::responses::{Lease, is_final, is_secret, kept_headers, replay};
use super::{Fingerprint, Idempotency, POLL, PURGE_EVERY_MS, Row, millis, now_ms, problem};
use crate::{ApiError, CommandIds};

impl Idempotency {
    pub(super) async fn run_once(
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
