//! `GET /api/v1/wallet` (the caller's balance and movements) and
//! `POST /api/v1/wallets/{user_id}/credits` (admins grant store credit).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Query, min_position};
use serde::Deserialize;
use shared_kernel::Money;
use shared_kernel::ids::UserId;

use super::PaymentsApi;
use super::admin::require_admin;
use crate::application::{CreditWallet, PaymentsCommand};
use crate::projections::{WALLETS, find_wallet, wallet_movements};

const DEFAULT_MOVEMENTS: i64 = 20;
const MAX_MOVEMENTS: i64 = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Credit {
    amount: Money,
    reason: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct MovementsQuery {
    limit: Option<i64>,
}

fn money(amount_minor: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({ "amount_minor": amount_minor, "currency": currency })
}

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
