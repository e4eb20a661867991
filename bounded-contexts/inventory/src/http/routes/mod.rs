//! `/api/v1/inventory`: the seller's stock. Writes go to the bus; reads come from the read
//! models. Every route is for the seller of the sku's product only: to anybody else a sku
//! looks like one without stock (404), so the routes do not reveal whose skus exist.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post, put};
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Path, min_position,
};
use serde::Deserialize;
use shared_kernel::ids::ProductId;
use utoipa::{IntoParams, ToSchema};

use super::openapi::{
    IdempotencyKeyHeader, MinPositionHeader, PendingCommand, Problem, StockAfterWrite,
};
use crate::application::{InventoryCommand, valid_sku};
use crate::projections::{SKU_OWNERS, SkuOwner, find_owner};

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;
/// A ledger page continues after a stock movement's version (unique per sku).
const LEDGER_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "ledger",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};
/// An alerts page continues after a sku (unique per seller).
const ALERTS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "alerts",
    key: KeyKind::Text { max_chars: 64 },
    id: IdKind::None,
};
/// How often an ownership check looks again for a sku the read model does not know yet.
const OWNER_POLL: Duration = Duration::from_millis(25);

/// What the routes need (the read wait also bounds the look for a new sku).
pub(crate) mod reads;

pub type InventoryApi = http_kernel::ContextApi;

pub fn router(api: InventoryApi) -> Router {
    Router::new()
        .route("/api/v1/inventory/alerts", get(reads::list_alerts))
        .route("/api/v1/inventory/{sku}", get(reads::get_levels))
        .route("/api/v1/inventory/{sku}/receipts", post(receive))
        .route("/api/v1/inventory/{sku}/adjustments", post(adjust))
        .route("/api/v1/inventory/{sku}/threshold", put(set_threshold))
        .route("/api/v1/inventory/{sku}/ledger", get(reads::get_ledger))
        .with_state(api)
}

/// Stock received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "quantity": 25 }))]
pub(super) struct Receipt {
    /// How many units arrived (more than 0).
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

/// A page of a list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct Page {
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn no_stock() -> ApiError {
    ApiError::NotFound("stock".into())
}

fn limit_of(page: &Page) -> Result<i64, ApiError> {
    match page.limit {
        None => Ok(DEFAULT_LIMIT),
        Some(l) if (1..=MAX_LIMIT).contains(&l) => Ok(l),
        Some(l) => Err(ApiError::Validation(format!(
            "limit must be 1 to {MAX_LIMIT}, got {l}"
        ))),
    }
}

/// The sku's owner when it is the caller; 404 otherwise. A product created a moment ago may
/// not have reached the read model yet, so an unknown sku is looked for again for a little
/// while before it counts as unknown.
async fn owned_sku(
    api: &InventoryApi,
    caller: &Caller,
    sku: &str,
    headers: &HeaderMap,
) -> Result<SkuOwner, ApiError> {
    let position = min_position(headers)?;
    if !valid_sku(sku) {
        return Err(no_stock());
    }
    if let Some(position) = position {
        api.wait_until(SKU_OWNERS, position).await?;
    }
    let deadline = tokio::time::Instant::now() + api.read_wait;
    let owner = loop {
        if let Some(owner) = find_owner(&api.read, sku)
            .await
            .map_err(ApiError::internal)?
        {
            break owner;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(no_stock());
        }
        tokio::time::sleep(OWNER_POLL).await;
    };
    if owner.seller_id != caller.user_id.to_string() {
        return Err(no_stock());
    }
    Ok(owner)
}

fn product_of(owner: &SkuOwner) -> Result<ProductId, ApiError> {
    owner.product_id.parse().map_err(ApiError::internal)
}

#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/receipts",
    tag = "inventory",
    summary = "Receive stock",
    params(("sku" = String, Path, description = "The sku of one of the caller's products"), IdempotencyKeyHeader, MinPositionHeader),
    request_body = Receipt,
    responses(
        (status = 201, description = "Received: the sku's levels now", body = StockAfterWrite,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: quantity not above 0; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the inventory service is not reachable, or the sku owners read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn receive(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    headers: HeaderMap,
    Json(req): Json<Receipt>,
) -> Result<Response, ApiError> {
    let owner = owned_sku(&api, &caller, &sku, &headers).await?;
    let command = InventoryCommand::ReceiveStock {
        product_id: product_of(&owner)?,
        sku,
        quantity: req.quantity,
    };
    api.send(&caller, ids, &command, StatusCode::CREATED).await
}

#[utoipa::path(
    post,
    path = "/api/v1/inventory/{sku}/adjustments",
    tag = "inventory",
    summary = "Adjust the stock on hand",
    params(("sku" = String, Path, description = "The sku of one of the caller's products"), IdempotencyKeyHeader, MinPositionHeader),
    request_body = Adjustment,
    responses(
        (status = 201, description = "Adjusted: the sku's levels now", body = StockAfterWrite,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`insufficient_stock`: the adjustment would take on hand below what is reserved; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the inventory service is not reachable, or the sku owners read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn adjust(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    headers: HeaderMap,
    Json(req): Json<Adjustment>,
) -> Result<Response, ApiError> {
    let owner = owned_sku(&api, &caller, &sku, &headers).await?;
    let command = InventoryCommand::AdjustStock {
        product_id: product_of(&owner)?,
        sku,
        delta: req.delta,
        reason: req.reason,
    };
    api.send(&caller, ids, &command, StatusCode::CREATED).await
}

#[utoipa::path(
    put,
    path = "/api/v1/inventory/{sku}/threshold",
    tag = "inventory",
    summary = "Set the low-stock threshold",
    params(("sku" = String, Path, description = "The sku of one of the caller's products"), IdempotencyKeyHeader, MinPositionHeader),
    request_body = Threshold,
    responses(
        (status = 200, description = "Set: the sku's levels now", body = StockAfterWrite,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the sku is unknown, or not one of the caller's products", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the inventory service is not reachable, or the sku owners read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
async fn set_threshold(
    State(api): State<InventoryApi>,
    caller: Caller,
    ids: CommandIds,
    Path(sku): Path<String>,
    headers: HeaderMap,
    Json(req): Json<Threshold>,
) -> Result<Response, ApiError> {
    let owner = owned_sku(&api, &caller, &sku, &headers).await?;
    let command = InventoryCommand::SetLowStockThreshold {
        product_id: product_of(&owner)?,
        sku,
        threshold: req.threshold,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}
