//! `/api/v1/inventory/alerts`: the caller's skus at or below their low-stock threshold.

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, SortKey,
};

use super::InventoryApi;
use crate::projections::{RestockAlert, alerts_of};

/// An alerts page continues after a sku (unique per seller).
const ALERTS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "alerts",
    key: KeyKind::Text { max_chars: 64 },
    id: IdKind::None,
};

#[utoipa::path(
    get,
    path = "/api/v1/inventory/alerts",
    summary = "The caller's skus at or below their low-stock threshold",
    params(Page),
    responses((status = 200, description = "A page of alerts, by sku", body = Paged<RestockAlert>)),
    security(("bearer" = [])),
)]
pub(super) async fn list_alerts(
    State(api): State<InventoryApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Paged<RestockAlert>>, ApiError> {
    let after = match page.after(ALERTS_CURSOR)? {
        None => String::new(),
        Some(PageCursor {
            key: SortKey::Text(sku),
            ..
        }) => sku,
        Some(_) => return Err(http_kernel::InvalidCursor("not a sku").into()),
    };
    let rows = alerts_of(&api.read, &caller.user_id.to_string(), &after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |a| {
        PageCursor::new(ALERTS_CURSOR.sort, SortKey::Text(a.sku.clone()), "")
    })))
}
