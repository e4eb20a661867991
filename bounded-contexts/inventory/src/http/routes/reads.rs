//! The stock reads: a sku's levels and ledger (its seller), and the seller's restock alerts.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, Json, PageCursor, Path, Query, SortKey};

use super::super::openapi::{AlertPage, LedgerPage, MinPositionHeader, Problem, StockLevels};
use super::{ALERTS_CURSOR, InventoryApi, LEDGER_CURSOR, Page, limit_of, owned_sku};
use crate::domain::DEFAULT_LOW_STOCK_THRESHOLD;
use crate::projections::{RESTOCK_ALERTS, STOCK_LEVELS, alerts_of, find_levels, ledger_page};

#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}",
    tag = "inventory",
    summary = "A sku's stock levels",
    params(("sku" = String, Path, description = "The sku of one of the caller's products"), MinPositionHeader),
    responses(
        (status = 200, description = "The levels (all 0 before any stock was received)", body = StockLevels),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: a read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn get_levels(
    State(api): State<InventoryApi>,
    caller: Caller,
    Path(sku): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let owner = owned_sku(&api, &caller, &sku, &headers).await?;
    api.wait_for(&headers, &[STOCK_LEVELS]).await?;
    let levels = find_levels(&api.read, &owner.sku)
        .await
        .map_err(ApiError::internal)?;
    // A sku nobody has received stock for yet has none.
    let body = levels.map_or_else(
        || {
            serde_json::json!({
                "sku": owner.sku,
                "product_id": owner.product_id,
                "on_hand": 0,
                "reserved": 0,
                "available": 0,
                "low_stock_threshold": DEFAULT_LOW_STOCK_THRESHOLD,
            })
        },
        |l| {
            serde_json::json!({
                "sku": l.sku,
                "product_id": l.product_id,
                "on_hand": l.on_hand,
                "reserved": l.reserved,
                "available": l.available,
                "low_stock_threshold": l.low_stock_threshold,
            })
        },
    );
    Ok(Json(body).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}/ledger",
    tag = "inventory",
    summary = "A sku's stock movements, oldest first",
    params(("sku" = String, Path, description = "The sku of one of the caller's products"), Page, MinPositionHeader),
    responses(
        (status = 200, description = "A page of movements", body = LedgerPage),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, or not a number", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: a read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn get_ledger(
    State(api): State<InventoryApi>,
    caller: Caller,
    Path(sku): Path<String>,
    Query(page): Query<Page>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = limit_of(&page)?;
    let after = match page.cursor.as_deref() {
        None => 0,
        Some(c) => match PageCursor::decode(c, LEDGER_CURSOR)?.key {
            SortKey::Int(version) => version,
            _ => return Err(http_kernel::InvalidCursor("not a version").into()),
        },
    };
    let owner = owned_sku(&api, &caller, &sku, &headers).await?;
    api.wait_for(&headers, &[STOCK_LEVELS]).await?;
    let items = ledger_page(&api.read, &owner.sku, after, limit)
        .await
        .map_err(ApiError::internal)?;
    let next_cursor = (items.len() == usize::try_from(limit).unwrap_or(usize::MAX))
        .then(|| {
            items
                .last()
                .map(|e| PageCursor::new(LEDGER_CURSOR.sort, SortKey::Int(e.version), "").encode())
        })
        .flatten();
    Ok(Json(serde_json::json!({ "items": items, "next_cursor": next_cursor })).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/inventory/alerts",
    tag = "inventory",
    summary = "The caller's skus at or below their low-stock threshold",
    params(Page, MinPositionHeader),
    responses(
        (status = 200, description = "A page of alerts, by sku", body = AlertPage),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, or not a number", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the alerts read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn list_alerts(
    State(api): State<InventoryApi>,
    caller: Caller,
    Query(page): Query<Page>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = limit_of(&page)?;
    api.wait_for(&headers, &[RESTOCK_ALERTS]).await?;
    let after = match page.cursor.as_deref() {
        None => String::new(),
        Some(c) => match PageCursor::decode(c, ALERTS_CURSOR)?.key {
            SortKey::Text(sku) => sku,
            _ => return Err(http_kernel::InvalidCursor("not a sku").into()),
        },
    };
    let items = alerts_of(&api.read, &caller.user_id.to_string(), &after, limit)
        .await
        .map_err(ApiError::internal)?;
    let next_cursor = (items.len() == usize::try_from(limit).unwrap_or(usize::MAX))
        .then(|| {
            items.last().map(|a| {
                PageCursor::new(ALERTS_CURSOR.sort, SortKey::Text(a.sku.clone()), "").encode()
            })
        })
        .flatten();
    Ok(Json(serde_json::json!({ "items": items, "next_cursor": next_cursor })).into_response())
}
