//! How a context declares its routes: once each, served and described by the same
//! declaration.
//!
//! A route is a handler with `#[utoipa::path(...)]`; the context's `http/mod.rs` lists its
//! handlers in [`routes!`](crate::routes) calls on a [`Routes`] (utoipa-axum's `OpenApiRouter`), which both
//! serves them and collects their descriptions, so a route cannot be served undocumented nor
//! documented unserved (`OpenApiRouter::route`, which would serve without describing, is
//! refused by `clippy.toml`). The registration hands the result to
//! `context_kit::Context::with_routes`, which adds what every operation shares
//! ([`crate::openapi::ContextOperations`]).
//!
//! Paths are written in full (`/api/v1/...`) in the `#[utoipa::path]`, so a reader finds a route
//! by its URL with a text search.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use projections::Progress;

pub use utoipa_axum::router::OpenApiRouter as Routes;

use crate::min_position;

/// The read models of one context, which its routes wait for when a request sends
/// `Agora-Min-Position` ([`read_your_writes`]).
#[derive(Debug, Clone)]
pub struct ReadModels {
    pub progress: Progress,
    /// The context's read models (their projection names).
    pub names: Arc<[&'static str]>,
    /// How long a request may wait for them, in all.
    pub wait: Duration,
}

/// Middleware on every route of a context: a request with `Agora-Min-Position` waits (bounded)
/// until each of the context's read models has applied that position, so every route reads
/// its caller's writes without asking for it route by route.
///
/// Answers 400 `invalid_min_position` for a malformed header and 503 `unavailable` (with
/// `Retry-After`) when the read models do not get there in time.
pub async fn read_your_writes(
    State(models): State<ReadModels>,
    request: Request,
    next: Next,
) -> Response {
    let position = match min_position(request.headers()) {
        Ok(Some(position)) => position,
        Ok(None) => return next.run(request).await,
        Err(e) => return e.into_response(),
    };
    let deadline = tokio::time::Instant::now() + models.wait;
    for name in models.names.iter() {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if let Err(e) = crate::api::wait_until(&models.progress, left, name, position).await {
            return e.into_response();
        }
    }
    next.run(request).await
}
