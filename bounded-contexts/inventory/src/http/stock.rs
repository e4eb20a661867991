//! `/api/v1/inventory/{sku}...`: a sku's levels and ledger, and the seller's receipts,
//! adjustments and low-stock threshold.

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    SortKey, Written,
};
use serde::Deserialize;
use shared_kernel::ids::ProductId;
use utoipa::ToSchema;

use super::InventoryApi;
use super::as_of::stock_at;
use crate::application::{SkuStock, StockItemRequest, valid_sku};
use crate::domain::DEFAULT_LOW_STOCK_THRESHOLD;
use crate::projections::{LedgerEntry, SKU_OWNERS, SkuOwner, find_levels, find_owner, ledger_page};
use http_kernel::AsOf;

/// A ledger page continues after a stock movement's version (unique per sku).
const LEDGER_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "ledger",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};

/// Stock received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "quantity": 25 }))]
pub(super) struct Receipt {
    /// How many units arrived: 1 to 1,000,000,000.
    quantity: i64,
}

/// A correction of the stock on hand (a count, breakage, loss...).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "delta": -2, "reason": "damaged in storage" }))]
pub(super) struct Adjustment {
    /// Units added (positive) or removed (negative); not 0.
    delta: i64,
    /// Why (required).
    reason: String,
}

/// The level at or below which the sku raises a restock alert.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "threshold": 5 }))]
pub(super) struct Threshold {
    /// 0 or more.
    threshold: i64,
}

fn no_stock() -> ApiError {
    ApiError::NotFound("stock".into())
}

/// The sku's owner when it is the caller; 404 otherwise. A sku the read model does not know
/// may belong to a product whose creation it has not applied yet: it is looked up again once
/// the read model has caught up with the store (at once when it is idle).
async fn owned_sku(api: &InventoryApi, caller: &Caller, sku: &str) -> Result<SkuOwner, ApiError> {
    if !valid_sku(sku) {
        return Err(no_stock());
    }
    let find = || async { find_owner(&api.read, sku).await.map_err(ApiError::internal) };
    let owner = match find().await? {
        Some(owner) => owner,
        None => {
            api.caught_up(SKU_OWNERS).await?;
            find().await?.ok_or_else(no_stock)?
        }
    };
    if owner.seller_id != caller.user_id.to_string() {
        return Err(no_stock());
    }
    Ok(owner)
}

fn product_of(owner: &SkuOwner) -> Result<ProductId, ApiError> {
    owner.product_id.parse().map_err(ApiError::internal)
}

/// The sku of a path, as the routes describe it.
const SKU: &str = "The sku of one of the caller's products";

#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}",
    summary = "A sku's stock levels, now or as they were",
    description = "`?as_of=` answers the levels as they were at that instant, folded from the \
                   sku's events recorded by then (from its snapshot when it was taken by then).",
    params(("sku" = String, Path, description = SKU), AsOf),
    responses(
        (status = 200, description = "The levels (all 0 before any stock was received)", body = SkuStock),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products"),
        (status = 422, description = "`validation_failed`: `as_of` is not an RFC 3339 time, or is later than now"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn levels(
    State(api): State<InventoryApi>,
    caller: Caller,
    Path(sku): Path<String>,
    http_kernel::Query(as_of): http_kernel::Query<AsOf>,
) -> Result<Json<SkuStock>, ApiError> {
    let at = as_of.instant()?;
    let owner = owned_sku(&api, &caller, &sku).await?;
    if let Some(at) = at {
        // Before its first event a sku had no stock, as one nobody received any for.
        let item = stock_at(api.extra.as_ref(), &owner.sku, at)
            .await?
            .unwrap_or_default();
        let threshold = if item.opened {
            item.low_stock_threshold
        } else {
            DEFAULT_LOW_STOCK_THRESHOLD
        };
        return Ok(Json(SkuStock {
            sku: owner.sku.clone(),
            product_id: owner.product_id.clone(),
            on_hand: item.levels.on_hand,
            reserved: item.levels.reserved,
            available: item.levels.available,
            low_stock_threshold: threshold,
        }));
    }
    let levels = find_levels(&api.read, &owner.sku)
        .await
        .map_err(ApiError::internal)?;
    // A sku nobody has received stock for yet has none.
    Ok(Json(levels.map_or_else(
        || SkuStock {
            sku: owner.sku.clone(),
            product_id: owner.product_id.clone(),
            on_hand: 0,
            reserved: 0,
            available: 0,
            low_stock_threshold: DEFAULT_LOW_STOCK_THRESHOLD,
        },
        |l| SkuStock {
            sku: l.sku,
            product_id: l.product_id,
            on_hand: l.on_hand,
            reserved: l.reserved,
            available: l.available,
            low_stock_threshold: l.low_stock_threshold,
        },
    )))
}

#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/receipts",
    summary = "Receive stock",
    params(("sku" = String, Path, description = SKU)),
    request_body = Receipt,
    responses(
        (status = 201, description = "Received: the sku's levels now", body = SkuStock),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products"),
        (status = 422, description = "`validation_failed`: quantity not 1 to 1,000,000,000"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn receive(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    Json(req): Json<Receipt>,
) -> Result<Written<SkuStock>, ApiError> {
    let owner = owned_sku(&api, &caller, &sku).await?;
    let command = StockItemRequest::ReceiveStock {
        product_id: product_of(&owner)?,
        sku,
        quantity: req.quantity,
    };
    let written = api.command(&caller, ids, &command.into_command()).await?;
    Ok(written.with_status(axum::http::StatusCode::CREATED))
}

#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/adjustments",
    summary = "Adjust the stock on hand",
    params(("sku" = String, Path, description = SKU)),
    request_body = Adjustment,
    responses(
        (status = 201, description = "Adjusted: the sku's levels now", body = SkuStock),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products"),
        (status = 409, description = "`insufficient_stock`: the adjustment would take on hand below what is reserved"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn adjust(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    Json(req): Json<Adjustment>,
) -> Result<Written<SkuStock>, ApiError> {
    let owner = owned_sku(&api, &caller, &sku).await?;
    let command = StockItemRequest::AdjustStock {
        product_id: product_of(&owner)?,
        sku,
        delta: req.delta,
        reason: req.reason,
    };
    let written = api.command(&caller, ids, &command.into_command()).await?;
    Ok(written.with_status(axum::http::StatusCode::CREATED))
}

#[utoipa::path(
    put,
    path = "/api/v1/inventory/{sku}/threshold",
    summary = "Set the low-stock threshold",
    params(("sku" = String, Path, description = SKU)),
    request_body = Threshold,
    responses(
        (status = 200, description = "Set: the sku's levels now", body = SkuStock),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn set_threshold(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    Json(req): Json<Threshold>,
) -> Result<Written<SkuStock>, ApiError> {
    let owner = owned_sku(&api, &caller, &sku).await?;
    let command = StockItemRequest::SetLowStockThreshold {
        product_id: product_of(&owner)?,
        sku,
        threshold: req.threshold,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    get,
    path = "/api/v1/inventory/{sku}/ledger",
    summary = "A sku's stock movements, oldest first",
    params(("sku" = String, Path, description = SKU), Page),
    responses(
        (status = 200, description = "A page of movements", body = Paged<LedgerEntry>),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn ledger(
    State(api): State<InventoryApi>,
    caller: Caller,
    page: Page,
    Path(sku): Path<String>,
) -> Result<Json<Paged<LedgerEntry>>, ApiError> {
    let after = match page.after(LEDGER_CURSOR)? {
        None => 0,
        Some(PageCursor {
            key: SortKey::Int(version),
            ..
        }) => version,
        Some(_) => return Err(http_kernel::InvalidCursor("not a version").into()),
    };
    let owner = owned_sku(&api, &caller, &sku).await?;
    let rows = ledger_page(&api.read, &owner.sku, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |e| {
        PageCursor::new(LEDGER_CURSOR.sort, SortKey::Int(e.version), "")
    })))
}
