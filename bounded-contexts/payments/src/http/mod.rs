//! The payments routes: a payment for its payer and refunds for admins ([`payments`]), the
//! caller's wallet and admins' grants of store credit ([`wallets`]), and the caller's seller
//! balance, ledger and payouts ([`sellers`]).

mod payments;
mod sellers;
mod wallets;

use http_kernel::{ApiError, Caller, ContextApi, Routes, routes};
use shared_kernel::Money;
use utoipa::OpenApi;

/// The state of the payments routes.
pub type PaymentsApi = ContextApi;

#[derive(OpenApi)]
#[openapi(tags((
    name = "payments",
    description = "Payments of orders (authorized, captured, refunded by the order saga or an \
                   admin) and users' wallets of store credit; sellers' ledgers (delivered lines \
                   less the platform's commission) and their payouts."
)))]
struct Doc;

/// Every payments route, served and described.
pub fn routes(api: PaymentsApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::refund))
        .routes(routes!(wallets::my_wallet))
        .routes(routes!(wallets::credit))
        .routes(routes!(sellers::request_payout))
        .routes(routes!(sellers::my_balance))
        .with_state(api)
}

/// Checks that `caller` is an admin.
///
/// # Errors
/// 403 `forbidden`, saying that only admins may do `what`.
fn require_admin(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("only admins may {what}")))
    }
}

/// An amount as the read models keep it (minor units, and the code of a currency they stored
/// from a `Money`).
///
/// # Errors
/// 500: the stored code is no currency (the read model is corrupt).
fn money(amount_minor: i64, currency: &str) -> Result<Money, ApiError> {
    Ok(Money::new(
        amount_minor,
        currency.parse().map_err(ApiError::internal)?,
    ))
}
