//! `GET /api/v1/payments/{id}` (the payer, or an admin) and
//! `POST /api/v1/payments/{id}/refunds` (admins).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use event_schemas::payments::commands::RefundPayment;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, min_position};
use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::PaymentId;
use utoipa::ToSchema;

use super::PaymentsApi;
use super::admin::require_admin;
use super::openapi::{
    IdempotencyKeyHeader, MinPositionHeader, PaymentDetail, PaymentState, PendingCommand, Problem,
};
use crate::application::PaymentsCommand;
use crate::projections::{PAYMENTS, PaymentRow, find_payment};

/// A refund of a captured payment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": { "amount_minor": 500, "currency": "EUR" }, "reason": "goodwill" }))]
pub(super) struct Refund {
    /// Everything not yet refunded when absent.
    amount: Option<Money>,
    /// `admin_refund` when absent.
    reason: Option<String>,
}

fn parse_id(id: &str) -> Result<PaymentId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("payment".into()))
}

fn money(amount_minor: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({ "amount_minor": amount_minor, "currency": currency })
}

fn payment_json(p: &PaymentRow) -> serde_json::Value {
    serde_json::json!({
        "id": p.id,
        "order_id": p.order_id,
        "payer_id": p.payer_id,
        "status": p.status,
        "amount": money(p.amount_minor, &p.currency),
        "method": p.method,
        "refunded": money(p.refunded_minor, &p.currency),
        "decline_reason": p.decline_reason,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "version": p.version,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/payments/{id}",
    tag = "payments",
    summary = "A payment (its payer, or an admin)",
    params(("id" = String, Path, description = "The payment id (UUID)"), MinPositionHeader),
    responses(
        (status = 200, description = "The payment", body = PaymentDetail),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such payment, or the caller is neither its payer nor an admin", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the payments read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_payment(
    State(api): State<PaymentsApi>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let id = parse_id(&id)?;
    api.wait_for(&headers, &[PAYMENTS]).await?;
    let payment = find_payment(&api.read, &id.to_string())
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("payment".into()))?;
    // Someone else's payment looks like no payment: its existence must not leak.
    if payment.payer_id != caller.user_id.to_string() && !caller.is_admin() {
        return Err(ApiError::NotFound("payment".into()));
    }
    Ok(Json(payment_json(&payment)).into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/payments/{id}/refunds",
    tag = "payments",
    summary = "Refund a captured payment, wholly or in part (admins)",
    params(("id" = String, Path, description = "The payment id (UUID)"), IdempotencyKeyHeader),
    request_body = Refund,
    responses(
        (status = 200, description = "Refunded: the payment's state", body = PaymentState,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such payment", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_payment_state`: not captured; `payment_cancelled`; `payment_provider_refused`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`refund_exceeds_captured`; `validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`payment_provider_unavailable`: try again later; `unavailable`: the payments service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn refund(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Refund>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "refund payments")?;
    let command = PaymentsCommand::RefundPayment(RefundPayment {
        payment_id: parse_id(&id)?,
        amount: req.amount,
        reason: req.reason.unwrap_or_else(|| "admin_refund".into()),
    });
    api.send(&caller, ids, &command, StatusCode::OK).await
}
