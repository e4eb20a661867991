//! `/api/v1/sellers/me/...`: the caller's seller balances and ledger, and payouts.

use axum::extract::State;
use axum::http::StatusCode;
use event_schemas::payments::PayoutId;
use http_kernel::{
    ApiError, Caller, CommandIds, InvalidCursor, Json, Page, PageCursor, Paged, SortKey, Written,
};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use utoipa::ToSchema;

use super::{PaymentsApi, money};
use crate::application::{LedgerRequest, PaymentsCommand, PayoutAccepted, RequestPayout};
use crate::projections::{
    ENTRIES_CURSOR, LedgerEntryRow, SellerBalanceRow, ledger_entries, seller_balances,
};

/// A payout request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": { "amount_minor": 3000, "currency": "EUR" } }))]
pub(super) struct PayoutRequest {
    /// How much of the available balance to pay out (minor units, greater than zero).
    amount: Money,
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

impl SellerBalanceView {
    fn of(b: &SellerBalanceRow) -> Result<Self, ApiError> {
        let m = |minor| money(minor, &b.currency);
        Ok(Self {
            currency: b.currency.clone(),
            available: m(b.available_minor)?,
            pending_payouts: m(b.pending_minor)?,
            paid_out: m(b.paid_out_minor)?,
            commission_total: m(b.commission_minor)?,
        })
    }
}

/// One entry of a seller's ledger.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SellerLedgerEntry {
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

impl SellerLedgerEntry {
    fn of(e: LedgerEntryRow) -> Result<Self, ApiError> {
        let m = |minor| money(minor, &e.currency);
        Ok(Self {
            gross: e.gross_minor.map(m).transpose()?,
            commission: e.commission_minor.map(m).transpose()?,
            amount: m(e.amount_minor)?,
            available: m(e.available_minor)?,
            kind: e.kind,
            entry: e.entry,
            order_id: e.order_id,
            payout_id: e.payout_id,
            detail: e.detail,
            at: e.at,
            version: e.version,
        })
    }
}

/// The caller's seller balances and a page of ledger entries (`items`, `next_cursor`).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SellerLedgerPage {
    #[schema(format = Uuid)]
    seller_id: String,
    /// One per currency the seller was credited in.
    balances: Vec<SellerBalanceView>,
    /// Ledger entries, newest first.
    #[serde(flatten)]
    entries: Paged<SellerLedgerEntry>,
}

#[utoipa::path(
    post,
    path = "/api/v1/sellers/me/payouts",
    summary = "Pay out part of the caller's available seller balance",
    description = "The amount is held out of the available balance, then paid by the payment \
                   provider (a failure makes it available again). A payout never exceeds the \
                   available balance, however many requests race.",
    request_body = PayoutRequest,
    responses(
        (status = 202, description = "Requested (and, unless the reply was late, paid or failed): the payout and the balance; a late reply answers `PendingCommand` (with `Location`) instead", body = PayoutAccepted),
        (status = 409, description = "`insufficient_balance`: more than the available balance (`requested` and `available`, in minor units, beside the detail)"),
        (status = 422, description = "`validation_failed`: the amount is not greater than zero"),
        (status = 503, description = "`unavailable`: the payment provider is not reachable"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn request_payout(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<PayoutRequest>,
) -> Result<Written<PayoutAccepted>, ApiError> {
    let payout_id = PayoutId::from(ids.derive("payout"));
    let command = PaymentsCommand::from(LedgerRequest::RequestPayout(RequestPayout {
        payout_id,
        amount: req.amount,
    }));
    let written = api
        .command_creating(&caller, ids, &command, Some(payout_id.to_string()))
        .await?;
    Ok(written.with_status(StatusCode::ACCEPTED))
}

#[utoipa::path(
    get,
    path = "/api/v1/sellers/me/balance",
    summary = "The caller's seller balances (per currency) and ledger entries, newest first",
    params(Page),
    responses(
        (status = 200, description = "Balances and a page of entries (no balances before the first credit)", body = SellerLedgerPage),
        (status = 400, description = "`invalid_cursor`: a cursor this list did not give out"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_balance(
    State(api): State<PaymentsApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<SellerLedgerPage>, ApiError> {
    let before = match page.after(ENTRIES_CURSOR)? {
        None => i64::MAX,
        Some(PageCursor {
            key: SortKey::Int(version),
            ..
        }) => version,
        Some(_) => return Err(InvalidCursor("not a version").into()),
    };
    let seller_id = caller.user_id.to_string();
    let balances = seller_balances(&api.read, &seller_id)
        .await
        .map_err(ApiError::internal)?
        .iter()
        .map(SellerBalanceView::of)
        .collect::<Result<_, _>>()?;
    let entries = ledger_entries(&api.read, &seller_id, before, page.fetch())
        .await
        .map_err(ApiError::internal)?
        .into_iter()
        .map(SellerLedgerEntry::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(SellerLedgerPage {
        seller_id,
        balances,
        entries: Paged::of(entries, &page, |e| {
            PageCursor::new(ENTRIES_CURSOR.sort, SortKey::Int(e.version), "")
        }),
    }))
}
