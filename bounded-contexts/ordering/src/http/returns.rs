//! Returns: the buyer asks to send back delivered lines (`POST /orders/{id}/returns`), their
//! seller receives them (`POST /orders/{id}/returns/{return_id}/receive`); the refund and the
//! restock follow.

use axum::extract::State;
use event_schemas::ordering::ReturnId;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::Deserialize;
use utoipa::ToSchema;

use super::orders::on_order;
use super::{ORDER_ID, OrderingApi, order_id};
use crate::application::{OrderRequest, ReturnState};

/// Which delivered lines go back, and why.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "lines": ["BOARD-1"], "reason": "arrived damaged" }))]
pub(super) struct RequestReturn {
    /// The skus of the lines to send back: delivered, all of one seller.
    lines: Vec<String>,
    /// Optional, up to 500 characters.
    #[serde(default)]
    reason: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/returns",
    summary = "Ask to return delivered lines (the buyer)",
    description = "Lines of one seller, delivered no longer ago than the return window (`--order-return-window-secs`, 30 days by default). The seller then receives them (`POST /orders/{id}/returns/{return_id}/receive`), and their totals are refunded and their stock put back. The seller sees the return in their part of the order; the other sellers do not.",
    params(("id" = String, Path, description = ORDER_ID)),
    request_body = RequestReturn,
    responses(
        (status = 200, description = "Asked: the order's id and status, and the return's id", body = ReturnState),
        (status = 403, description = "`forbidden`: a seller of the order tried"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it"),
        (status = 409, description = "`not_delivered`: a line is not delivered; `already_returned`: a line is returned or asked to be; `return_window_closed`"),
        (status = 422, description = "`unknown_line`; `return_spans_sellers`: lines of two sellers (ask once per seller)"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn request_return(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<RequestReturn>,
) -> Result<Written<ReturnState>, ApiError> {
    let command = OrderRequest::RequestReturn {
        order_id: order_id(&id)?,
        return_id: ReturnId::derived(ids.command_id(), "return"),
        skus: req.lines,
        reason: req.reason,
    };
    on_order(&api, &caller, ids, command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/returns/{return_id}/receive",
    summary = "Receive returned lines (their seller)",
    description = "Once: the lines' totals are then refunded to the buyer, their stock put back on hand and the seller's ledger debited by the same amount. Receiving again changes nothing.",
    params(
        ("id" = String, Path, description = ORDER_ID),
        ("return_id" = String, Path, description = "The return id (UUID)"),
    ),
    responses(
        (status = 200, description = "Received: the order's id and status, and the return's id", body = ReturnState),
        (status = 403, description = "`forbidden`: the buyer tried"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it; `return_not_found`: no such return of the caller's lines"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn receive_return(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, return_id)): Path<(String, String)>,
) -> Result<Written<ReturnState>, ApiError> {
    let order_id = order_id(&id)?;
    let return_id: ReturnId = return_id
        .parse()
        .map_err(|_| ApiError::NotFound("return".into()))?;
    let command = OrderRequest::ReceiveReturn {
        order_id,
        return_id,
    };
    on_order(&api, &caller, ids, command).await
}
