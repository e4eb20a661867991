//! `GET /api/v1/shows/{id}/similar`: the shows this show's listeners also subscribe to.

use axum::extract::State;
use http_kernel::{ApiError, Json, Page, Paged, Path};
use shared_kernel::RejectionKind;

use super::{RecommendationsApi, after, cursor};
use crate::projections::{CO_SUBSCRIPTIONS, Neighbour, show_state, similar_shows};

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/similar",
    summary = "Shows this show's listeners also subscribe to, most shared listeners first",
    params(("id" = String, Path, description = "The show's id"), Page),
    responses(
        (status = 200, description = "A page of shows, `score` = listeners subscribed to both", body = Paged<Neighbour>),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
    ),
)]
pub(super) async fn similar(
    State(api): State<RecommendationsApi>,
    page: Page,
    Path(id): Path<String>,
) -> Result<Json<Paged<Neighbour>>, ApiError> {
    let after = after(&page)?;
    let not_found = || ApiError::refused(RejectionKind::NotFound, "not_found", "show not found");
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(not_found());
    }
    let state = || async { show_state(&api.read, &id).await.map_err(ApiError::internal) };
    let known = match state().await? {
        Some(deleted) => deleted,
        None => {
            api.caught_up(CO_SUBSCRIPTIONS).await?;
            state().await?.ok_or_else(not_found)?
        }
    };
    if known {
        return Err(ApiError::refused(
            RejectionKind::Gone,
            "show_deleted",
            "the show was deleted by its owner",
        ));
    }
    let rows = similar_shows(&api.read, &id, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, cursor)))
}
