//! Events of a seller's ledger (`seller_ledger-<user id>`): what the platform owes a seller for
//! delivered lines, less its commission, and the payouts that settle it.
//!
//! Every event carries the balance of its currency as the event left it
//! ([`SellerBalance`]), so a read model only upserts the latest one.

use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, UserId};

use super::{CATALOGUE, UPCASTERS};

pub const SELLER_CREDITED: &str = "agora.payments.seller_credited";
pub const SELLER_DEBITED: &str = "agora.payments.seller_debited";
pub const PAYOUT_REQUESTED: &str = "agora.payments.payout_requested";
pub const PAYOUT_PAID: &str = "agora.payments.payout_paid";
pub const PAYOUT_FAILED: &str = "agora.payments.payout_failed";

/// The events of a `seller_ledger-<user id>` stream.
pub const SELLER_LEDGER_EVENTS: &[&str] = &[
    SELLER_CREDITED,
    SELLER_DEBITED,
    PAYOUT_REQUESTED,
    PAYOUT_PAID,
    PAYOUT_FAILED,
];

shared_kernel::define_id!(
    /// A payout of a seller's balance (derived from the request's command id).
    PayoutId
);

/// A seller's balance in one currency, all in minor units of that currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerBalance {
    /// What the seller may pay out now: credits less debits, less payouts requested or paid.
    /// Negative when a return was debited after the money was paid out.
    pub available: Money,
    /// Payouts requested and not yet paid or failed (held out of `available`).
    pub pending_payouts: Money,
    /// Payouts paid.
    pub paid_out: Money,
    /// The platform's commission kept on this seller's delivered lines (net of returns).
    pub commission_total: Money,
}

/// Lines of an order delivered: `gross` (their line totals) split into the platform's
/// `commission` and the seller's `net` (`net + commission = gross`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerCredited {
    pub seller_id: UserId,
    pub order_id: OrderId,
    /// The ledger entry (`delivered:<order id>`): one credit per entry.
    pub entry: String,
    pub gross: Money,
    pub commission: Money,
    pub net: Money,
    /// The commission rate of the order, in basis points (1/100 of a percent), fixed at the
    /// order's first credit.
    pub commission_bps: u16,
    pub balance: SellerBalance,
}

/// Credited lines refunded (a return): `gross` taken back, `commission` given back by the
/// platform, `net` (`gross - commission`) taken from the seller's balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SellerDebited {
    pub seller_id: UserId,
    pub order_id: OrderId,
    /// The ledger entry (`returned:<order id>:<return id>`): one debit per entry.
    pub entry: String,
    pub gross: Money,
    pub commission: Money,
    pub net: Money,
    pub balance: SellerBalance,
}

/// The seller asked to be paid `amount`; it is held out of the available balance until the
/// payment provider pays it (or fails, which gives it back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequested {
    pub seller_id: UserId,
    pub payout_id: PayoutId,
    pub amount: Money,
    pub balance: SellerBalance,
}

/// A payout reached the seller through the payment provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutPaid {
    pub seller_id: UserId,
    pub payout_id: PayoutId,
    pub amount: Money,
    /// The payment provider's reference of the transfer.
    pub reference: String,
    pub balance: SellerBalance,
}

/// The provider did not pay: the amount is available again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutFailed {
    pub seller_id: UserId,
    pub payout_id: PayoutId,
    pub amount: Money,
    /// A stable code: `payout_refused`, ...
    pub reason: String,
    pub balance: SellerBalance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum SellerLedgerEvent {
    #[serde(rename = "agora.payments.seller_credited")]
    Credited(SellerCredited),
    #[serde(rename = "agora.payments.seller_debited")]
    Debited(SellerDebited),
    #[serde(rename = "agora.payments.payout_requested")]
    PayoutRequested(PayoutRequested),
    #[serde(rename = "agora.payments.payout_paid")]
    PayoutPaid(PayoutPaid),
    #[serde(rename = "agora.payments.payout_failed")]
    PayoutFailed(PayoutFailed),
}

crate::domain_event!(SellerLedgerEvent, CATALOGUE, UPCASTERS, {
    Credited => SELLER_CREDITED,
    Debited => SELLER_DEBITED,
    PayoutRequested => PAYOUT_REQUESTED,
    PayoutPaid => PAYOUT_PAID,
    PayoutFailed => PAYOUT_FAILED,
});

impl SellerLedgerEvent {
    /// The seller whose ledger the event is on.
    #[must_use]
    pub const fn seller_id(&self) -> UserId {
        match self {
            Self::Credited(e) => e.seller_id,
            Self::Debited(e) => e.seller_id,
            Self::PayoutRequested(e) => e.seller_id,
            Self::PayoutPaid(e) => e.seller_id,
            Self::PayoutFailed(e) => e.seller_id,
        }
    }

    /// The balance of the event's currency after it.
    #[must_use]
    pub const fn balance(&self) -> &SellerBalance {
        match self {
            Self::Credited(e) => &e.balance,
            Self::Debited(e) => &e.balance,
            Self::PayoutRequested(e) => &e.balance,
            Self::PayoutPaid(e) => &e.balance,
            Self::PayoutFailed(e) => &e.balance,
        }
    }
}
