//! `/api/v1/payments/{id}...`: a payment (its payer, or an admin), and refunds (admins).

use axum::extract::State;
use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::RefundPayment;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::PaymentId;
use utoipa::ToSchema;

use super::{PaymentsApi, money, require_admin};
use crate::application::{PaymentRequest, PaymentState, PaymentsCommand};
use crate::projections::{PAYMENTS, PaymentRow, find_payment};

/// A payment.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PaymentDetail {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Uuid)]
    order_id: String,
    #[schema(format = Uuid)]
    payer_id: String,
    /// `pending`, `authorized`, `declined`, `captured`, `partially_refunded`, `refunded` or
    /// `voided`.
    status: String,
    amount: Money,
    #[schema(value_type = PaymentMethod)]
    method: String,
    /// How much was refunded so far.
    refunded: Money,
    /// Why the payment was declined.
    decline_reason: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    /// The payment stream's version.
    version: i64,
}

impl TryFrom<PaymentRow> for PaymentDetail {
    type Error = ApiError;

    fn try_from(p: PaymentRow) -> Result<Self, ApiError> {
        Ok(Self {
            amount: money(p.amount_minor, &p.currency)?,
            refunded: money(p.refunded_minor, &p.currency)?,
            id: p.id,
            order_id: p.order_id,
            payer_id: p.payer_id,
            status: p.status,
            method: p.method,
            decline_reason: p.decline_reason,
            created_at: p.created_at,
            updated_at: p.updated_at,
            version: p.version,
        })
    }
}

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

fn no_payment() -> ApiError {
    ApiError::NotFound("payment".into())
}

fn parse_id(id: &str) -> Result<PaymentId, ApiError> {
    id.parse().map_err(|_| no_payment())
}

/// The payment id of a path, as the routes describe it.
const PAYMENT: &str = "The payment id (UUID)";

#[utoipa::path(
    get,
    path = "/api/v1/payments/{id}",
    summary = "A payment (its payer, or an admin)",
    params(("id" = String, Path, description = PAYMENT)),
    responses(
        (status = 200, description = "The payment", body = PaymentDetail),
        (status = 404, description = "`not_found`: no such payment, or the caller is neither its payer nor an admin"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_payment(
    State(api): State<PaymentsApi>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<PaymentDetail>, ApiError> {
    let id = parse_id(&id)?.to_string();
    let find = || async {
        find_payment(&api.read, &id)
            .await
            .map_err(ApiError::internal)
    };
    // An id the read model does not know may be of a payment it has not applied yet.
    let payment = match find().await? {
        Some(payment) => payment,
        None => {
            api.caught_up(PAYMENTS).await?;
            find().await?.ok_or_else(no_payment)?
        }
    };
    // Someone else's payment looks like no payment: its existence must not leak.
    if payment.payer_id != caller.user_id.to_string() && !caller.is_admin() {
        return Err(no_payment());
    }
    Ok(Json(payment.try_into()?))
}

#[utoipa::path(
    post,
    path = "/api/v1/payments/{id}/refunds",
    summary = "Refund a captured payment, wholly or in part (admins)",
    params(("id" = String, Path, description = PAYMENT)),
    request_body = Refund,
    responses(
        (status = 200, description = "Refunded: the payment's state", body = PaymentState),
        (status = 403, description = "`forbidden`: the caller is not an admin"),
        (status = 404, description = "`not_found`: no such payment"),
        (status = 409, description = "`invalid_payment_state`: not captured; `payment_cancelled`; `payment_provider_refused`"),
        (status = 422, description = "`refund_exceeds_captured`: more than is still refundable (`requested` and `refundable`, in minor units, beside the detail); `validation_failed`: the amount, its currency, the reason"),
        (status = 503, description = "`payment_provider_unavailable`: try again later"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn refund(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Refund>,
) -> Result<Written<PaymentState>, ApiError> {
    require_admin(&caller, "refund payments")?;
    let command = PaymentsCommand::from(PaymentRequest::RefundPayment(RefundPayment {
        payment_id: parse_id(&id)?,
        amount: req.amount,
        reason: req.reason.unwrap_or_else(|| "admin_refund".into()),
    }));
    api.command(&caller, ids, &command).await
}
