//! Per-seller fulfilment over HTTP: a seller ships and delivers their own lines of an order
//! (`POST /orders/{id}/ship`, `/deliver`), the buyer cancels the order or some lines not yet
//! shipped (`POST /orders/{id}/cancel`), and a seller lists what they owe
//! (`GET /sellers/me/fulfilments`).

use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, PageCursor, Path, Query};
use serde::Deserialize;
use utoipa::ToSchema;

use super::openapi::{
    FulfilmentPageDoc, FulfilmentsParams, IdempotencyKeyHeader, MinPositionHeader, OrderState,
    PendingCommand, Problem,
};
use super::orders::{OrderingApi, parse_order_id, send};
use crate::application::OrderingCommand;
use crate::projections::{FULFILMENTS, FULFILMENTS_CURSOR, fulfilments_cursor, list_fulfilments};

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
const STATUSES: [&str; 4] = ["to_ship", "shipped", "delivered", "cancelled"];

/// How the seller's fulfilment travels.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "carrier": "DHL", "tracking_number": "JD014600006281230" }))]
pub(super) struct Shipment {
    /// The carrier's name, 1 to 100 characters.
    carrier: String,
    /// The carrier's tracking number, 1 to 100 characters.
    tracking_number: String,
}

/// Which lines to cancel; absent (or an empty body): the whole order.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "lines": ["CLOCK-1"] }))]
pub(super) struct CancelLines {
    /// The skus of the lines to cancel (not yet shipped).
    #[serde(default)]
    lines: Option<Vec<String>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/cancel",
    tag = "ordering",
    summary = "Cancel an order, or some of its lines not yet shipped (the buyer)",
    description = "Without a body (or without `lines`): the whole order, until any of it is shipped; its stock is given back and its payment voided or refunded. With `lines` (skus): those lines of a paid order, as long as they are not shipped; their stock is given back and their totals refunded. Cancelling every line left is cancelling the order.",
    params(("id" = String, Path, description = "The order id (UUID)"), IdempotencyKeyHeader),
    request_body(content = Option<CancelLines>, description = "Optional: an empty body cancels the whole order", content_type = "application/json"),
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a seller of the order tried to cancel it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`order_shipped`: (those lines) already shipped; `invalid_order_state` (rejected, or some lines of an unpaid order); `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a non-empty body not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_line`: the order has no line with that sku; `validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn cancel_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<CancelLines>,
) -> Result<Response, ApiError> {
    let order_id = parse_order_id(&id)?;
    let command = match req.lines {
        Some(skus) => OrderingCommand::CancelOrderLines { order_id, skus },
        None => OrderingCommand::CancelOrder {
            order_id,
            reason: crate::domain::buyer_cancelled_reason().to_owned(),
            by: Some(caller.user_id),
        },
    };
    send(&api, &caller, ids, &command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/ship",
    tag = "ordering",
    summary = "Ship the caller's fulfilment of a paid order (a seller of its lines)",
    description = "Ships the caller's lines not yet shipped nor cancelled, and only those: the order is `partially_shipped` until every seller has shipped. Shipping again changes nothing.",
    params(("id" = String, Path, description = "The order id (UUID)"), IdempotencyKeyHeader),
    request_body = Shipment,
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the buyer tried to ship it", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_order_state`: not paid; `nothing_to_ship`: every line of the caller's was cancelled; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: carrier or tracking number missing or too long; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn ship_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Shipment>,
) -> Result<Response, ApiError> {
    let command = OrderingCommand::ShipOrder {
        order_id: parse_order_id(&id)?,
        carrier: req.carrier,
        tracking_number: req.tracking_number,
    };
    send(&api, &caller, ids, &command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/deliver",
    tag = "ordering",
    summary = "Mark the caller's shipped fulfilment delivered (a seller of its lines)",
    description = "Only the caller's shipped lines: the order is `delivered` once every fulfilment is. The seller's ledger is then credited with these lines' totals (by payments).",
    params(("id" = String, Path, description = "The order id (UUID)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Done: the order's id and status", body = OrderState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the buyer tried to mark it delivered", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_order_state`: the caller's fulfilment is not shipped; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`; `validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn deliver_order(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = OrderingCommand::DeliverOrder {
        order_id: parse_order_id(&id)?,
    };
    send(&api, &caller, ids, &command).await
}

#[utoipa::path(
    get,
    path = "/api/v1/sellers/me/fulfilments",
    tag = "ordering",
    summary = "The fulfilments the caller owes or owed as a seller, newest first",
    description = "One per paid order with lines of the caller's (orders awaiting payment are not listed): the lines, where each stands, carrier and tracking number once shipped.",
    params(FulfilmentsParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of fulfilments", body = FulfilmentPageDoc),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, an unknown `status`, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the fulfilments read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_fulfilments(
    State(api): State<OrderingApi>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let known: HashSet<&str> = ["limit", "cursor", "status"].into();
    if let Some(unknown) = query.keys().find(|k| !known.contains(k.as_str())) {
        return Err(ApiError::Validation(format!(
            "unknown parameter {unknown:?}"
        )));
    }
    let limit = match query.get("limit") {
        None => DEFAULT_PAGE,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=MAX_PAGE).contains(l))
            .ok_or_else(|| ApiError::Validation(format!("limit must be 1 to {MAX_PAGE}")))?,
    };
    let status = query.get("status").map(String::as_str);
    if let Some(s) = status.filter(|s| !STATUSES.contains(s)) {
        return Err(ApiError::Validation(format!(
            "status must be one of {}, got {s:?}",
            STATUSES.join(", ")
        )));
    }
    let cursor = query
        .get("cursor")
        .map(|c| PageCursor::decode(c, FULFILMENTS_CURSOR))
        .transpose()?;
    api.wait_for(&headers, &[FULFILMENTS]).await?;
    let page = http_kernel::Page {
        limit,
        cursor: None,
    };
    let rows = list_fulfilments(
        &api.read,
        &caller.user_id.to_string(),
        status,
        cursor.as_ref(),
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(http_kernel::Paged::of(rows, &page, fulfilments_cursor)).into_response())
}
