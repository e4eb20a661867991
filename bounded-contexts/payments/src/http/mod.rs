//! The payments HTTP routes (see shared/API.md): a payment for its payer, refunds and wallet
//! grants for admins, and the caller's own wallet.

mod payments;
mod send;
mod wallets;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use projections::Progress;
use shared_kernel::CommandBus;
use sqlx::AnyPool;

/// What the routes need.
#[derive(Debug, Clone)]
pub struct PaymentsApi {
    pub bus: Arc<dyn CommandBus>,
    pub read: AnyPool,
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` may wait for its read model.
    pub read_wait: Duration,
}

pub fn router(api: PaymentsApi) -> Router {
    Router::new()
        .route("/api/v1/payments/{id}", get(payments::get_payment))
        .route("/api/v1/payments/{id}/refunds", post(payments::refund))
        .route("/api/v1/wallet", get(wallets::my_wallet))
        .route("/api/v1/wallets/{user_id}/credits", post(wallets::credit))
        .with_state(api)
}
