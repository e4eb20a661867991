//! Returns over HTTP: the buyer asks to send back delivered lines
//! (`POST /orders/{id}/returns`), their seller receives them
//! (`POST /orders/{id}/returns/{return_id}/receive`); the refund and the restock follow.

use axum::extract::State;
use axum::response::Response;
use event_schemas::ordering::ReturnId;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::openapi::{IdempotencyKeyHeader, PendingCommand, Problem};
use super::orders::{OrderingApi, parse_order_id, send};
use crate::application::OrderingCommand;

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

/// The order after a return step, with the return's id.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "delivered", "return_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ac" }))]
pub(super) struct ReturnState {
    #[schema(format = Uuid)]
    id: String,
    /// The order's status (a return does not change it).
    status: String,
    #[schema(format = Uuid)]
    return_id: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/returns",
    tag = "ordering",
    summary = "Ask to return delivered lines (the buyer)",
    description = "Lines of one seller, delivered no longer ago than the return window (`--order-return-window-secs`, 30 days by default). The seller then receives them (`POST /orders/{id}/returns/{return_id}/receive`), and their totals are refunded and their stock put back.",
    params(("id" = String, Path, description = "The order id (UUID)"), IdempotencyKeyHeader),
    request_body = RequestReturn,
    responses(
        (status = 200, description = "Asked: the order's id and status, and the return's id", body = ReturnState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: a seller of the order tried", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`not_delivered`: a line is not delivered; `already_returned`: a line is returned or asked to be; `return_window_closed`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`unknown_line`; `return_spans_sellers`: lines of two sellers (ask once per seller); `validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn request_return(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<RequestReturn>,
) -> Result<Response, ApiError> {
    let command = OrderingCommand::RequestReturn {
        order_id: parse_order_id(&id)?,
        return_id: ReturnId::derived(ids.command_id(), "return"),
        skus: req.lines,
        reason: req.reason,
    };
    send(&api, &caller, ids, &command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/orders/{id}/returns/{return_id}/receive",
    tag = "ordering",
    summary = "Receive returned lines (their seller)",
    description = "Once: the lines' totals are then refunded to the buyer, their stock put back on hand and the seller's ledger debited by the same amount. Receiving again changes nothing.",
    params(
        ("id" = String, Path, description = "The order id (UUID)"),
        ("return_id" = String, Path, description = "The return id (UUID)"),
        IdempotencyKeyHeader,
    ),
    responses(
        (status = 200, description = "Received: the order's id and status, and the return's id", body = ReturnState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the buyer tried", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such order, or the caller neither bought nor sells it; `return_not_found`: no such return of the caller's lines", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused`; `validation_failed`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the ordering service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn receive_return(
    State(api): State<OrderingApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, return_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let order_id = parse_order_id(&id)?;
    let return_id: ReturnId = return_id
        .parse()
        .map_err(|_| ApiError::NotFound("return".into()))?;
    let command = OrderingCommand::ReceiveReturn {
        order_id,
        return_id,
    };
    send(&api, &caller, ids, &command).await
}
