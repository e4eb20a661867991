//! The OpenAPI description of the payments routes ([`openapi`]), and the schemas of the bodies
//! the routes build as JSON (documentation only: nothing constructs them).
#![allow(dead_code)]

use event_schemas::payments::PaymentMethod;
use serde::Serialize;
use shared_kernel::Money;
use utoipa::{OpenApi, ToSchema};

pub(super) use http_kernel::Problem;
pub(super) use http_kernel::openapi::{IdempotencyKeyHeader, MinPositionHeader};

use super::{payments, sellers, wallets};

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
        sellers::request_payout,
        sellers::my_balance,
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
        sellers::PayoutRequest,
        PayoutAccepted,
        PayoutBalance,
        SellerBalanceView,
        LedgerEntry,
        SellerLedgerPage,
        PendingCommand,
        Problem,
    )),
    tags((
        name = "payments",
        description = "Payments of orders (authorized, captured, refunded by the order saga or \
                       an admin) and users' wallets of store credit; sellers' ledgers \
                       (delivered lines less the platform's commission) and their payouts."
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

/// A seller's balance in one currency.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SellerBalanceView {
    /// ISO 4217 code of every amount below.
    currency: String,
    /// What may be paid out now (negative when a return was debited after a payout).
    available: Money,
    /// Payouts requested and not yet paid or failed, held out of `available`.
    pending_payouts: Money,
    /// Payouts paid.
    paid_out: Money,
    /// The platform's commission kept on the seller's delivered lines, net of returns.
    commission_total: Money,
}

/// One entry of a seller's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct LedgerEntry {
    /// `credit` (lines delivered), `debit` (a return refunded), `payout_requested`,
    /// `payout_paid` or `payout_failed`.
    kind: String,
    /// A credit's or debit's entry name (`delivered:<order id>`,
    /// `returned:<order id>:<return id>`).
    entry: Option<String>,
    #[schema(format = Uuid)]
    order_id: Option<String>,
    #[schema(format = Uuid)]
    payout_id: Option<String>,
    /// A credit's or debit's line totals.
    gross: Option<Money>,
    /// The commission kept (credit) or given back (debit).
    commission: Option<Money>,
    /// A credit's or debit's net (`gross - commission`) for the seller; a payout's amount.
    amount: Money,
    /// A paid payout's provider reference; a failed payout's reason.
    detail: Option<String>,
    /// The available balance of the entry's currency after it.
    available: Money,
    #[schema(format = DateTime)]
    at: String,
    /// The ledger stream's version of the entry.
    version: i64,
}

/// The caller's seller balances and a page of ledger entries.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SellerLedgerPage {
    #[schema(format = Uuid)]
    seller_id: String,
    /// One per currency the seller was credited in.
    balances: Vec<SellerBalanceView>,
    /// Ledger entries, newest first.
    items: Vec<LedgerEntry>,
    /// The cursor of the next page, null on the last.
    next_cursor: Option<String>,
}

/// A payout after its request.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PayoutAccepted {
    #[schema(format = Uuid)]
    payout_id: String,
    /// `paid`, `failed` (the amount is available again) or `requested`.
    status: String,
    amount: Money,
    /// The balance of the payout's currency after it.
    balance: PayoutBalance,
}

/// A balance in a write's answer.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct PayoutBalance {
    available: Money,
    pending_payouts: Money,
    paid_out: Money,
    commission_total: Money,
}

pub use http_kernel::PendingCommand;

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
        "POST /api/v1/sellers/me/payouts",
        "GET /api/v1/sellers/me/balance",
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
