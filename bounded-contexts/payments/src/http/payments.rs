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

use super::PaymentsApi;
use super::admin::require_admin;
use crate::application::PaymentsCommand;
use crate::projections::{PAYMENTS, PaymentRow, find_payment};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Refund {
    /// Everything not yet refunded when absent.
    amount: Option<Money>,
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
