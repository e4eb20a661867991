//! What the payments commands answer (the bus carries them as JSON; the routes read them back
//! typed, and the API document describes these very types).

use event_schemas::payments::{PayoutId, SellerBalance};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

use crate::domain::{Payment, Payout};

/// A payment's state after a command (the order saga reads `status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "partially_refunded",
    "decline_reason": null, "refunded": { "amount_minor": 1000, "currency": "EUR" }
}))]
pub struct PaymentState {
    #[schema(format = Uuid)]
    pub id: String,
    /// `pending`, `authorized`, `declined`, `captured`, `partially_refunded`, `refunded` or
    /// `voided`.
    pub status: String,
    /// Why the payment was declined.
    pub decline_reason: Option<String>,
    /// How much was refunded so far (null if the payment was never captured).
    pub refunded: Option<Money>,
}

impl From<&Payment> for PaymentState {
    fn from(p: &Payment) -> Self {
        Self {
            id: p.id.to_string(),
            status: p.status.as_str().to_owned(),
            decline_reason: p.decline_reason.clone(),
            refunded: p.captured.map(|c| Money::new(p.refunded_minor, c.currency)),
        }
    }
}

/// A wallet after a credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WalletCredited {
    #[schema(format = Uuid)]
    pub user_id: String,
    /// The balance after the credit.
    pub balance: Option<Money>,
}

impl WalletCredited {
    #[must_use]
    pub fn of(user_id: UserId, balance: Option<Money>) -> Self {
        Self {
            user_id: user_id.to_string(),
            balance,
        }
    }
}

/// A seller's balance in one currency, in a write's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PayoutBalance {
    /// What may be paid out now (negative when a return was debited after a payout).
    pub available: Money,
    /// Payouts requested and not yet paid or failed, held out of `available`.
    pub pending_payouts: Money,
    /// Payouts paid.
    pub paid_out: Money,
    /// The platform's commission kept on the seller's delivered lines, net of returns.
    pub commission_total: Money,
}

impl From<SellerBalance> for PayoutBalance {
    fn from(b: SellerBalance) -> Self {
        Self {
            available: b.available,
            pending_payouts: b.pending_payouts,
            paid_out: b.paid_out,
            commission_total: b.commission_total,
        }
    }
}

/// A payout after its request (or its completion).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "payout_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "paid",
    "amount": { "amount_minor": 3000, "currency": "EUR" },
    "balance": {
        "available": { "amount_minor": 1000, "currency": "EUR" },
        "pending_payouts": { "amount_minor": 0, "currency": "EUR" },
        "paid_out": { "amount_minor": 9000, "currency": "EUR" },
        "commission_total": { "amount_minor": 1111, "currency": "EUR" }
    }
}))]
pub struct PayoutAccepted {
    #[schema(format = Uuid)]
    pub payout_id: String,
    /// `paid`, `failed` (the amount is available again) or `requested` (not answered yet).
    pub status: String,
    pub amount: Money,
    /// The balance of the payout's currency after it.
    pub balance: PayoutBalance,
}

impl PayoutAccepted {
    #[must_use]
    pub fn of(payout_id: PayoutId, payout: Payout, balance: SellerBalance) -> Self {
        Self {
            payout_id: payout_id.to_string(),
            status: payout.status.as_str().to_owned(),
            amount: payout.amount,
            balance: balance.into(),
        }
    }
}

/// A seller's ledger after a credit or a debit (the order saga's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntryRecorded {
    pub seller_id: String,
    /// The balance of the entry's currency after it.
    pub balance: PayoutBalance,
}
