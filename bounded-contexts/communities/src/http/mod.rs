//! The communities HTTP routes (`/api/v1/communities...`, `/posts...`, `/comments...`,
//! `/users/{id}/karma`; see shared/API.md): [`write`] sends commands over the bus (one file
//! per resource), [`read`] answers from the read models.

use axum::Router;

pub mod openapi;
pub mod read;
pub mod write;

/// What the routes need; `extra` is the new comments as the comments projection applies
/// them (`/posts/{id}/comments/live`).
pub type CommunitiesApi = http_kernel::ContextApi<crate::projections::LiveComments>;

pub fn router(api: CommunitiesApi) -> Router {
    Router::new()
        .merge(write::routes())
        .merge(read::routes())
        .with_state(api)
}
