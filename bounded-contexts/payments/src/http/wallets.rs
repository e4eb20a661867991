//! `GET /api/v1/wallet` (the caller's balance and movements) and
//! `POST /api/v1/wallets/{user_id}/credits` (admins grant store credit).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Query, min_position};
use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::UserId;
use utoipa::{IntoParams, ToSchema};

use super::PaymentsApi;
use super::admin::require_admin;
use super::openapi::{
    IdempotencyKeyHeader, MinPositionHeader, PendingCommand, Problem, Wallet, WalletCredited,
};
use crate::application::{CreditWallet, PaymentsCommand};
use crate::projections::{WALLETS, find_wallet, wallet_movements};

const DEFAULT_MOVEMENTS: i64 = 20;
const MAX_MOVEMENTS: i64 = 100;

/// Store credit granted to a user's wallet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": { "amount_minor": 1000, "currency": "EUR" }, "reason": "welcome credit" }))]
pub(super) struct Credit {
    amount: Money,
    reason: String,
}

/// The query of `GET /wallet`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct MovementsQuery {
    /// How many of the latest movements (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

fn money(amount_minor: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({ "amount_minor": amount_minor, "currency": currency })
}

#[utoipa::path(
    post,
    path = "/api/v1/wallets/{user_id}/credits",
    tag = "payments",
    summary = "Grant store credit to a user's wallet (admins)",
    params(("user_id" = String, Path, description = "The user id (UUID)"), IdempotencyKeyHeader),
    request_body = Credit,
    responses(
        (status = 201, description = "Credited: the wallet's balance", body = WalletCredited,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 202, description = "The reply is late: the command may still complete; `Location` names where its outcome will be", body = PendingCommand,
            headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the user id is not a UUID", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (amount, a currency other than the wallet's, reason); `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the payments service is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn credit(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(user_id): Path<String>,
    Json(req): Json<Credit>,
) -> Result<Response, ApiError> {
    require_admin(&caller, "grant store credit")?;
    let user_id: UserId = user_id
        .parse()
        .map_err(|_| ApiError::NotFound("user".into()))?;
    let command = PaymentsCommand::CreditWallet(CreditWallet {
        user_id,
        amount: req.amount,
        reason: req.reason,
    });
    api.send(&caller, ids, &command, StatusCode::CREATED).await
}

#[utoipa::path(
    get,
    path = "/api/v1/wallet",
    tag = "payments",
    summary = "The caller's wallet: balance and latest movements",
    params(MovementsQuery, MinPositionHeader),
    responses(
        (status = 200, description = "The wallet (a null balance before any credit)", body = Wallet),
        (status = 400, description = "`invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, or not a number", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the wallets read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_wallet(
    State(api): State<PaymentsApi>,
    caller: Caller,
    Query(query): Query<MovementsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let limit = query.limit.unwrap_or(DEFAULT_MOVEMENTS);
    if !(1..=MAX_MOVEMENTS).contains(&limit) {
        return Err(ApiError::Validation(format!(
            "limit must be 1 to {MAX_MOVEMENTS}"
        )));
    }
    api.wait_for(&headers, &[WALLETS]).await?;
    let user_id = caller.user_id.to_string();
    let wallet = find_wallet(&api.read, &user_id)
        .await
        .map_err(ApiError::internal)?;
    let movements = wallet_movements(&api.read, &user_id, limit)
        .await
        .map_err(ApiError::internal)?;
    let movements: Vec<_> = movements
        .iter()
        .map(|m| {
            serde_json::json!({
                "kind": m.kind,
                "amount": money(m.amount_minor, &m.currency),
                "reason": m.reason,
                "payment_id": m.payment_id,
                "balance": money(m.balance_minor, &m.currency),
                "at": m.at,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "user_id": user_id,
        // No wallet yet: no balance, and no currency to show a zero in.
        "balance": wallet.as_ref().map(|w| money(w.balance_minor, &w.currency)),
        "movements": movements,
    }))
    .into_response())
}
