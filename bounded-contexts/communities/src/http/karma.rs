//! `GET /api/v1/users/{id}/karma`: a user's karma, in all and per community.

use axum::extract::State;
use http_kernel::{ApiError, Json, Page, Paged, Path};
use serde::Serialize;
use utoipa::ToSchema;

use super::CommunitiesApi;
use crate::projections::{CommunityKarma, KARMA_CURSOR, karma_page, karma_total};

/// A user's karma: the total, and a page of it per community (highest first).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct UserKarma {
    #[schema(format = Uuid)]
    user_id: String,
    /// The sum over every community (not only this page's).
    total: i64,
    #[serde(flatten)]
    page: Paged<CommunityKarma>,
}

#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/karma",
    summary = "A user's karma",
    description = "The total, and a keyset-paged list per community (highest first). A user \
                   nobody voted on has 0 and no communities.",
    params(("id" = uuid::Uuid, Path, description = "The user's id"), Page),
    responses(
        (status = 200, description = "The karma", body = UserKarma),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out"),
        (status = 404, description = "`not_found`: the id is not a user id"),
    ),
)]
pub(super) async fn karma(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
    page: Page,
) -> Result<Json<UserKarma>, ApiError> {
    let user_id = uuid::Uuid::parse_str(&id)
        .map_err(|_| ApiError::NotFound("user".into()))?
        .to_string();
    let after = page.after(KARMA_CURSOR)?;
    let total = karma_total(&api.read, &user_id)
        .await
        .map_err(ApiError::internal)?;
    let rows = karma_page(&api.read, &user_id, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(UserKarma {
        user_id,
        total,
        page: Paged::of(rows, &page, CommunityKarma::cursor),
    }))
}
