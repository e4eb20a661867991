//! The payments HTTP routes (see shared/API.md): a payment for its payer, refunds and wallet
//! grants for admins, the caller's own wallet, and the caller's seller balance and payouts.

mod admin;
pub mod openapi;
mod payments;
mod sellers;
mod wallets;

use axum::Router;
use axum::routing::{get, post};

/// What the routes need.
pub type PaymentsApi = http_kernel::ContextApi;

pub fn router(api: PaymentsApi) -> Router {
    Router::new()
        .route("/api/v1/payments/{id}", get(payments::get_payment))
        .route("/api/v1/payments/{id}/refunds", post(payments::refund))
        .route("/api/v1/wallet", get(wallets::my_wallet))
        .route("/api/v1/wallets/{user_id}/credits", post(wallets::credit))
        .route("/api/v1/sellers/me/payouts", post(sellers::request_payout))
        .route("/api/v1/sellers/me/balance", get(sellers::my_balance))
        .with_state(api)
}
