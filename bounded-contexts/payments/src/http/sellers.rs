//! `POST /api/v1/sellers/me/payouts` (a seller asks to be paid) and
//! `GET /api/v1/sellers/me/balance` (the seller's balances and ledger entries).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use event_schemas::payments::PayoutId;
use http_kernel::{ApiError, Caller, CommandIds, Json, PageCursor, Query, min_position};
use serde::Deserialize;
use shared_kernel::Money;
use utoipa::{IntoParams, ToSchema};

use super::PaymentsApi;
use super::openapi::{
    IdempotencyKeyHeader, MinPositionHeader, PayoutAccepted, Problem, SellerLedgerPage,
};
use crate::application::{PaymentsCommand, RequestPayout};
use crate::projections::{
    ENTRIES_CURSOR, LedgerEntryRow, SELLER_LEDGERS, SellerBalanceRow, ledger_entries,
    seller_balances,
};

const DEFAULT_ENTRIES: u32 = 20;
const MAX_ENTRIES: u32 = 100;

/// A payout request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": { "amount_minor": 3000, "currency": "EUR" } }))]
pub(super) struct PayoutRequest {
    /// How much of the available balance to pay out (minor units, greater than zero).
    amount: Money,
}

/// The query of `GET /sellers/me/balance`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct EntriesQuery {
    /// How many ledger entries per page (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
}

fn money(amount_minor: i64, currency: &str) -> serde_json::Value {
    serde_json::json!({ "amount_minor": amount_minor, "currency": currency })
}

#[utoipa::path(
    post,
    path = "/api/v1/sellers/me/payouts",
    tag = "payments",
    summary = "Pay out part of the caller's available seller balance",
    description = "The amount is held out of the available balance, then paid by the payment \
                   provider (a failure makes it available again). A payout never exceeds the \
                   available balance, however many requests race.",
    params(IdempotencyKeyHeader),
    request_body = PayoutRequest,
    responses(
        (status = 202, description = "Requested (and, unless the reply was late, paid or failed): the payout and the balance; a late reply answers `PendingCommand` instead", body = PayoutAccepted,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`insufficient_balance`: more than the available balance; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the amount is not greater than zero; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the payments service or the payment provider is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn request_payout(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<PayoutRequest>,
) -> Result<Response, ApiError> {
    let payout_id = PayoutId::from(ids.derive("payout"));
    let command = PaymentsCommand::RequestPayout(RequestPayout {
        payout_id,
        amount: req.amount,
    });
    api.send_creating(
        &caller,
        ids,
        &command,
        StatusCode::ACCEPTED,
        Some(payout_id.to_string()),
    )
    .await
}

fn balance_json(b: &SellerBalanceRow) -> serde_json::Value {
    serde_json::json!({
        "currency": b.currency,
        "available": money(b.available_minor, &b.currency),
        "pending_payouts": money(b.pending_minor, &b.currency),
        "paid_out": money(b.paid_out_minor, &b.currency),
        "commission_total": money(b.commission_minor, &b.currency),
    })
}

fn entry_json(e: &LedgerEntryRow) -> serde_json::Value {
    let c = &e.currency;
    serde_json::json!({
        "kind": e.kind,
        "entry": e.entry,
        "order_id": e.order_id,
        "payout_id": e.payout_id,
        "gross": e.gross_minor.map(|m| money(m, c)),
        "commission": e.commission_minor.map(|m| money(m, c)),
        "amount": money(e.amount_minor, c),
        "detail": e.detail,
        "available": money(e.available_minor, c),
        "at": e.at,
        "version": e.version,
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/sellers/me/balance",
    tag = "payments",
    summary = "The caller's seller balances (per currency) and ledger entries, newest first",
    params(EntriesQuery, MinPositionHeader),
    responses(
        (status = 200, description = "Balances and a page of entries (no balances before the first credit)", body = SellerLedgerPage),
        (status = 400, description = "`invalid_cursor`; `invalid_min_position`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` not 1 to 100, or an unknown parameter", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the seller ledgers read model has not reached `Agora-Min-Position` in time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_balance(
    State(api): State<PaymentsApi>,
    caller: Caller,
    Query(query): Query<EntriesQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let limit = query.limit.unwrap_or(DEFAULT_ENTRIES);
    if !(1..=MAX_ENTRIES).contains(&limit) {
        return Err(ApiError::Validation(format!(
            "limit must be 1 to {MAX_ENTRIES}"
        )));
    }
    let cursor = query
        .cursor
        .as_deref()
        .map(|c| PageCursor::decode(c, ENTRIES_CURSOR))
        .transpose()?;
    api.wait_for(&headers, &[SELLER_LEDGERS]).await?;
    let seller_id = caller.user_id.to_string();
    let balances = seller_balances(&api.read, &seller_id)
        .await
        .map_err(ApiError::internal)?;
    let page = ledger_entries(&api.read, &seller_id, cursor.as_ref(), limit)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(serde_json::json!({
        "seller_id": seller_id,
        "balances": balances.iter().map(balance_json).collect::<Vec<_>>(),
        "items": page.items.iter().map(entry_json).collect::<Vec<_>>(),
        "next_cursor": page.next.map(|c| c.encode()),
    }))
    .into_response())
}
