//! The communities HTTP routes (`/api/v1/communities...`, `/posts...`, `/comments...`,
//! `/users/{id}/karma`; see shared/API.md): [`write`] sends commands over the bus, [`read`]
//! answers from the read models.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use projections::Progress;
use shared_kernel::CommandBus;
use sqlx::AnyPool;

pub mod read;
pub mod write;

/// What the routes need.
#[derive(Debug, Clone)]
pub struct CommunitiesApi {
    pub bus: Arc<dyn CommandBus>,
    pub read: AnyPool,
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` may wait for its read model.
    pub read_wait: Duration,
    /// New comments as the comments projection applies them (`/posts/{id}/comments/live`).
    pub live: crate::projections::LiveComments,
}

pub fn router(api: CommunitiesApi) -> Router {
    Router::new()
        .merge(write::routes())
        .merge(read::routes())
        .with_state(api)
}
