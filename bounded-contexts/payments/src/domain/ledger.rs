//! The SellerLedger aggregate: what the platform owes one seller, on `seller_ledger-<user id>`.
//!
//! A stream per seller, because a payout must be checked against everything credited to and
//! taken from that seller: the stream's version orders credits, debits and payouts, so two
//! concurrent payout requests cannot both spend the same balance (the second append conflicts
//! and is decided again on the new balance).
//!
//! - Credits (`credit_seller`, lines delivered) add the gross less the platform's commission
//!   (see [`super::commission`] for the rounding rule); debits (`debit_seller`, a return
//!   refunded) take back the gross less the commission given back. Both are idempotent by their
//!   entry name: a second command with an entry already on the ledger changes nothing.
//! - A payout request holds its amount out of the available balance (refused when it exceeds
//!   it); the provider's answer then records it paid, or failed (the amount is available
//!   again). A debit after a payout may leave the available balance negative: the seller owes
//!   it back, and no payout is possible until credits cover it.
//!
//! Balances are kept per currency (an order is in one currency; a seller may sell in several).

use shared_kernel::RejectionKind;
use std::collections::{BTreeMap, HashMap, HashSet};

use event_schemas::payments::{PayoutId, SellerBalance, SellerLedgerEvent};
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::payments::PayoutOutcome;
use shared_kernel::{Aggregate, Currency, Money, TextRule, Timestamp};

use super::commission::CommissionRate;

mod entries;
mod payouts;

const ENTRY: TextRule = TextRule::line("entry", 1, 200);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SellerLedger {
    pub seller_id: UserId,
    /// Entry names of the credits and debits recorded.
    entries: HashSet<String>,
    /// Per order: its net delivered gross and its commission rate.
    orders: HashMap<OrderId, OrderShare>,
    balances: BTreeMap<Currency, SellerBalance>,
    payouts: HashMap<PayoutId, Payout>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OrderShare {
    /// Credited gross less debited gross.
    gross: Money,
    rate: CommissionRate,
}

/// A payout as the ledger knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payout {
    pub amount: Money,
    pub status: PayoutStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutStatus {
    /// Held out of the available balance, not yet paid by the provider.
    Requested,
    Paid,
    Failed,
}

impl PayoutStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Paid => "paid",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerCommand {
    /// Lines of `order_id` delivered, `gross` their line totals; `rate` applies unless the
    /// order was credited before (then its first rate stands).
    Credit {
        seller_id: UserId,
        order_id: OrderId,
        entry: String,
        gross: Money,
        rate: CommissionRate,
    },
    /// Credited lines of `order_id` refunded, `gross` their line totals.
    Debit {
        seller_id: UserId,
        order_id: OrderId,
        entry: String,
        gross: Money,
    },
    /// Hold `amount` for a payout; a second request with the same id changes nothing.
    RequestPayout {
        seller_id: UserId,
        payout_id: PayoutId,
        amount: Money,
    },
    /// Record the provider's answer to a requested payout (once; later answers are ignored).
    SettlePayout {
        payout_id: PayoutId,
        outcome: PayoutOutcome,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("{0}")]
    Invalid(String),
    #[error("debiting {requested} exceeds the {credited} credited for order {order_id}")]
    DebitExceedsCredit {
        order_id: OrderId,
        requested: Money,
        credited: Money,
    },
    #[error("a payout of {requested} exceeds the available balance of {available}")]
    InsufficientBalance { requested: Money, available: Money },
    #[error("no payout {0} on this ledger")]
    UnknownPayout(PayoutId),
}

impl shared_kernel::application::Rejection for LedgerError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
            Self::DebitExceedsCredit { .. } => ("debit_exceeds_credit", RejectionKind::Conflict),
            Self::InsufficientBalance { .. } => ("insufficient_balance", RejectionKind::Conflict),
            Self::UnknownPayout(_) => ("payout_not_found", RejectionKind::NotFound),
        }
    }

    /// The amounts an overdrawing payout or debit names, in minor units.
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::InsufficientBalance {
                requested,
                available,
            } => Some(serde_json::json!({ "requested": requested, "available": available })),
            Self::DebitExceedsCredit {
                order_id,
                requested,
                credited,
            } => Some(serde_json::json!({
                "order_id": order_id, "requested": requested, "credited": credited,
            })),
            Self::Invalid(_) | Self::UnknownPayout(_) => None,
        }
    }
}

fn invalid(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Invalid(e.to_string())
}

fn positive(amount: Money) -> Result<Money, LedgerError> {
    if amount.amount_minor <= 0 {
        return Err(invalid("an amount must be greater than zero"));
    }
    Ok(amount)
}

/// `amount` minor units in `currency`.
const fn minor(amount: i64, currency: Currency) -> Money {
    Money::new(amount, currency)
}

impl SellerLedger {
    /// The balance in `currency` (zero everywhere when nothing was recorded in it).
    #[must_use]
    pub fn balance(&self, currency: Currency) -> SellerBalance {
        self.balances
            .get(&currency)
            .copied()
            .unwrap_or(SellerBalance {
                available: Money::zero(currency),
                pending_payouts: Money::zero(currency),
                paid_out: Money::zero(currency),
                commission_total: Money::zero(currency),
            })
    }

    /// Every currency's balance.
    #[must_use]
    pub const fn balances(&self) -> &BTreeMap<Currency, SellerBalance> {
        &self.balances
    }

    #[must_use]
    pub fn payout(&self, payout_id: PayoutId) -> Option<Payout> {
        self.payouts.get(&payout_id).copied()
    }

    /// Whether a credit or debit named `entry` is on the ledger.
    #[must_use]
    pub fn has_entry(&self, entry: &str) -> bool {
        self.entries.contains(entry)
    }

    /// The entry name, checked; `None` when the ledger already holds it (a repeat).
    fn new_entry(&self, entry: &str) -> Result<Option<String>, LedgerError> {
        ENTRY.check(entry).map_err(invalid)?;
        Ok((!self.has_entry(entry)).then(|| entry.to_owned()))
    }

    /// The order's share so far, in `currency`.
    fn share(
        &self,
        order_id: OrderId,
        currency: Currency,
    ) -> Result<Option<OrderShare>, LedgerError> {
        match self.orders.get(&order_id) {
            Some(s) if s.gross.currency != currency => Err(invalid(format!(
                "order {order_id} was credited in {}, not {currency}",
                s.gross.currency
            ))),
            other => Ok(other.copied()),
        }
    }
}

impl Aggregate for SellerLedger {
    const KIND: &'static str = "seller_ledger";
    type Command = LedgerCommand;
    type Event = SellerLedgerEvent;
    type Error = LedgerError;

    fn decide(
        &self,
        command: LedgerCommand,
        _now: Timestamp,
    ) -> Result<Vec<SellerLedgerEvent>, LedgerError> {
        match command {
            LedgerCommand::Credit {
                seller_id,
                order_id,
                entry,
                gross,
                rate,
            } => self.credit(seller_id, order_id, &entry, gross, rate),
            LedgerCommand::Debit {
                seller_id,
                order_id,
                entry,
                gross,
            } => self.debit(seller_id, order_id, &entry, gross),
            LedgerCommand::RequestPayout {
                seller_id,
                payout_id,
                amount,
            } => self.request_payout(seller_id, payout_id, amount),
            LedgerCommand::SettlePayout { payout_id, outcome } => {
                self.settle_payout(payout_id, outcome)
            }
        }
    }

    fn evolve(mut self, event: &SellerLedgerEvent) -> Self {
        match event {
            SellerLedgerEvent::Credited(e) => {
                self.entries.insert(e.entry.clone());
                let rate = CommissionRate::new(u32::from(e.commission_bps)).unwrap_or_default();
                let share = self.orders.entry(e.order_id).or_insert(OrderShare {
                    gross: Money::zero(e.gross.currency),
                    rate,
                });
                share.gross.amount_minor = share
                    .gross
                    .amount_minor
                    .saturating_add(e.gross.amount_minor);
            }
            SellerLedgerEvent::Debited(e) => {
                self.entries.insert(e.entry.clone());
                if let Some(share) = self.orders.get_mut(&e.order_id) {
                    share.gross.amount_minor = share
                        .gross
                        .amount_minor
                        .saturating_sub(e.gross.amount_minor);
                }
            }
            SellerLedgerEvent::PayoutRequested(e) => {
                self.payouts.insert(
                    e.payout_id,
                    Payout {
                        amount: e.amount,
                        status: PayoutStatus::Requested,
                    },
                );
            }
            SellerLedgerEvent::PayoutPaid(e) => self.settled(e.payout_id, PayoutStatus::Paid),
            SellerLedgerEvent::PayoutFailed(e) => self.settled(e.payout_id, PayoutStatus::Failed),
        }
        self.seller_id = event.seller_id();
        let balance = *event.balance();
        self.balances.insert(balance.available.currency, balance);
        self
    }
}

impl SellerLedger {
    fn settled(&mut self, payout_id: PayoutId, status: PayoutStatus) {
        if let Some(p) = self.payouts.get_mut(&payout_id) {
            p.status = status;
        }
    }
}
