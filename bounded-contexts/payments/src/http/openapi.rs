//! The OpenAPI description of the payments routes ([`openapi`]), and the schemas of the bodies
//! the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use event_schemas::payments::PaymentMethod;
use serde::Serialize;
use shared_kernel::Money;
use utoipa::{OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::{IdempotencyKeyHeader, MinPositionHeader};

use super::{payments, wallets};

/// The payments context's part of the API document.
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    PaymentsDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        payments::get_payment,
        payments::refund,
        wallets::my_wallet,
        wallets::credit,
    ),
    components(schemas(
        payments::Refund,
        wallets::Credit,
        PaymentMethod,
        PaymentDetail,
        PaymentState,
        Wallet,
        WalletMovement,
        WalletCredited,
        PendingCommand,
        Problem,
    )),
    tags((
        name = "payments",
        description = "Payments of orders (authorized, captured, refunded by the order saga or \
                       an admin) and users' wallets of store credit."
    ))
)]
struct PaymentsDoc;

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
    method: PaymentMethod,
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

/// A payment's state after a write.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PaymentState {
    #[schema(format = Uuid)]
    id: String,
    status: String,
    decline_reason: Option<String>,
    /// How much was refunded so far (null if the payment was never captured).
    refunded: Option<Money>,
}

/// One credit to or debit of a wallet.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WalletMovement {
    /// `credit` or `debit`.
    kind: String,
    amount: Money,
    /// A credit's reason; `payment` for a debit.
    reason: String,
    /// The payment a debit paid, or a credit returned.
    #[schema(format = Uuid)]
    payment_id: Option<String>,
    /// The balance after the movement.
    balance: Money,
    #[schema(format = DateTime)]
    at: String,
}

/// The caller's wallet.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Wallet {
    #[schema(format = Uuid)]
    user_id: String,
    /// Null before the wallet's first credit (no currency to show a zero in).
    balance: Option<Money>,
    /// The latest movements, newest first.
    movements: Vec<WalletMovement>,
}

/// A wallet after a credit.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct WalletCredited {
    #[schema(format = Uuid)]
    user_id: String,
    balance: Option<Money>,
}

pub use http_kernel::openapi::PendingCommand;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    /// Every route of `router`, as `METHOD path`.
    const ROUTES: &[&str] = &[
        "GET /api/v1/payments/{id}",
        "POST /api/v1/payments/{id}/refunds",
        "GET /api/v1/wallet",
        "POST /api/v1/wallets/{user_id}/credits",
    ];

    #[test]
    fn every_route_is_described_with_its_errors_as_problems() {
        let doc = serde_json::to_value(super::openapi()).unwrap();
        let mut described = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let route = format!("{} {path}", method.to_uppercase());
                assert_eq!(op["tags"], serde_json::json!(["payments"]), "{route}");
                for (status, response) in op["responses"].as_object().unwrap() {
                    if status.starts_with('4') || status.starts_with('5') {
                        let schema = &response["content"]["application/problem+json"]["schema"];
                        assert_eq!(
                            schema["$ref"], "#/components/schemas/Problem",
                            "{route} {status}"
                        );
                    }
                }
                described.insert(route);
            }
        }
        let routes: BTreeSet<String> = ROUTES.iter().map(|r| (*r).to_owned()).collect();
        assert_eq!(described, routes);
    }
}
