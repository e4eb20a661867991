//! `/api/v1/wallet` (the caller's balance and movements) and `/api/v1/wallets/{user_id}/credits`
//! (admins grant store credit).

use axum::extract::State;
use axum::http::StatusCode;
use http_kernel::{
    ApiError, Caller, CommandIds, InvalidCursor, Json, Page, PageCursor, Paged, Path, SortKey,
    Written,
};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

use super::{PaymentsApi, money, require_admin};
use crate::application::{CreditWallet, PaymentsCommand, WalletCredited, WalletRequest};
use crate::projections::{MOVEMENTS_CURSOR, MovementRow, find_wallet, wallet_movements};

/// Store credit granted to a user's wallet.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "amount": { "amount_minor": 1000, "currency": "EUR" }, "reason": "welcome credit" }))]
pub(super) struct Credit {
    amount: Money,
    reason: String,
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

impl WalletMovement {
    fn of(m: &MovementRow) -> Result<Self, ApiError> {
        Ok(Self {
            kind: m.kind.clone(),
            amount: money(m.amount_minor, &m.currency)?,
            reason: m.reason.clone(),
            payment_id: m.payment_id.clone(),
            balance: money(m.balance_minor, &m.currency)?,
            at: m.at.clone(),
        })
    }
}

/// The caller's wallet.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Wallet {
    #[schema(format = Uuid)]
    user_id: String,
    /// Null before the wallet's first credit (no currency to show a zero in).
    balance: Option<Money>,
    /// A page of movements, newest first.
    movements: Vec<WalletMovement>,
    /// Send it as `?cursor=` for the next page of movements; `null` on the last.
    next_cursor: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/wallets/{user_id}/credits",
    summary = "Grant store credit to a user's wallet (admins)",
    params(("user_id" = String, Path, description = "The user id (UUID)")),
    request_body = Credit,
    responses(
        (status = 201, description = "Credited: the wallet's balance", body = WalletCredited),
        (status = 403, description = "`forbidden`: the caller is not an admin"),
        (status = 404, description = "`not_found`: the user id is not a UUID"),
        (status = 422, description = "`validation_failed`: the amount, a currency other than the wallet's, the reason"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn credit(
    State(api): State<PaymentsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(user_id): Path<String>,
    Json(req): Json<Credit>,
) -> Result<Written<WalletCredited>, ApiError> {
    require_admin(&caller, "grant store credit")?;
    let user_id: UserId = user_id
        .parse()
        .map_err(|_| ApiError::NotFound("user".into()))?;
    let command = PaymentsCommand::from(WalletRequest::CreditWallet(CreditWallet {
        user_id,
        amount: req.amount,
        reason: req.reason,
    }));
    let written = api.command(&caller, ids, &command).await?;
    Ok(written.with_status(StatusCode::CREATED))
}

#[utoipa::path(
    get,
    path = "/api/v1/wallet",
    summary = "The caller's wallet: balance and movements, newest first",
    params(Page),
    responses(
        (status = 200, description = "The wallet (a null balance before any credit) and a page of its movements", body = Wallet),
        (status = 400, description = "`invalid_cursor`: a cursor this list did not give out"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn my_wallet(
    State(api): State<PaymentsApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Wallet>, ApiError> {
    let before = match page.after(MOVEMENTS_CURSOR)? {
        None => i64::MAX,
        Some(PageCursor {
            key: SortKey::Int(version),
            ..
        }) => version,
        Some(_) => return Err(InvalidCursor("not a version").into()),
    };
    let user_id = caller.user_id.to_string();
    let wallet = find_wallet(&api.read, &user_id)
        .await
        .map_err(ApiError::internal)?;
    let rows = wallet_movements(&api.read, &user_id, before, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    let movements = Paged::of(rows, &page, |m| {
        PageCursor::new(MOVEMENTS_CURSOR.sort, SortKey::Int(m.version), "")
    });
    Ok(Json(Wallet {
        user_id,
        // No wallet yet: no balance, and no currency to show a zero in.
        balance: wallet
            .map(|w| money(w.balance_minor, &w.currency))
            .transpose()?,
        movements: movements
            .items
            .iter()
            .map(WalletMovement::of)
            .collect::<Result<_, _>>()?,
        next_cursor: movements.next_cursor,
    }))
}
