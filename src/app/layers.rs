//! The layers every route passes through, outermost last: tracing, problem+json for whatever
//! answered an error without it, control characters refused, the body limit, metrics,
//! authentication, idempotent writes and the per-user write limit.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use http_kernel::ApiError;
use sqlx::AnyPool;
use tower_http::trace::TraceLayer;

use super::auth::Auth;
use crate::config::ServeArgs;
use crate::ops;

/// How much longer than the command timeout an attempt of an idempotent write holds its key.
const IDEMPOTENCY_LEASE_MARGIN: Duration = Duration::from_secs(1);

/// `routes` behind the platform's layers, with a problem+json 404 for any other path.
pub(crate) fn wrap(routes: Router, config: &ServeArgs, auth: &Auth, read: &AnyPool) -> Router {
    let max_body = config.http.max_body_bytes;
    routes
        .fallback(|| async { ApiError::NotFound("route".into()) })
        // Inner to outer: the write limit needs the caller that `authenticate` found.
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&auth.writes),
            http_kernel::limit_writes_per_user,
        ))
        // A write retried with the same Idempotency-Key replays its first response, or runs
        // again under the same command id; keys belong to the caller, so this runs inside
        // `authenticate`. An attempt holds its key for as long as a write may wait for its
        // command: a lease older than that was left by a process that died.
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(
                http_kernel::Idempotency::new(read.clone(), max_body)
                    .with_lease(config.http.command_timeout() + IDEMPOTENCY_LEASE_MARGIN),
            ),
            http_kernel::idempotency,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&auth.verifier),
            http_kernel::authenticate,
        ))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(DefaultBodyLimit::max(max_body))
        // Before any route or middleware reads the path or query: no control characters.
        .layer(axum::middleware::from_fn(
            http_kernel::refuse_control_characters,
        ))
        // Outermost but tracing: whatever answered an error without problem+json (axum's
        // 405, a body-limit 413...), the client gets problem+json with a code.
        .layer(axum::middleware::from_fn(http_kernel::problem_errors))
        .layer(TraceLayer::new_for_http())
}
