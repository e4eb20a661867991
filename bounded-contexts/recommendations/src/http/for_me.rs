//! `GET /api/v1/me/recommendations`: shows and products for the caller (see
//! [`recommendations_for`]), a page at a time.

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CursorSpec, IdKind, InvalidCursor, Json, KeyKind, Page, PageCursor, Paged,
    SortKey,
};

use super::RecommendationsApi;
use crate::projections::{Recommendation, recommendations_for};

const RANKED: CursorSpec<'static> = CursorSpec {
    sort: "ranked",
    key: KeyKind::Text { max_chars: 100 },
    id: IdKind::None,
};

#[utoipa::path(
    get,
    path = "/api/v1/me/recommendations",
    summary = "Shows and products for the caller, without what they already have",
    params(Page),
    responses((status = 200, description = "A page of recommendations, best first", body = Paged<Recommendation>)),
    security(("bearer" = [])),
)]
pub(super) async fn recommendations(
    State(api): State<RecommendationsApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Paged<Recommendation>>, ApiError> {
    let after = match page.after(RANKED)? {
        None => None,
        Some(PageCursor {
            key: SortKey::Text(key),
            ..
        }) => Some(key),
        Some(_) => return Err(InvalidCursor("not a ranking").into()),
    };
    let all = recommendations_for(&api.read, &caller.user_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let fetch = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
    let rows: Vec<Recommendation> = all
        .into_iter()
        .filter(|r| after.as_ref().is_none_or(|a| r.key() > *a))
        .take(fetch)
        .collect();
    Ok(Json(Paged::of(rows, &page, |r| {
        PageCursor::new(RANKED.sort, SortKey::Text(r.key()), "")
    })))
}
