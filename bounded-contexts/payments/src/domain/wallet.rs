//! The Wallet aggregate: a user's store credit, on `wallet-<user id>`. Its balance never goes
//! below zero. Admins grant credit; a payment made with the wallet debits it once per payment;
//! voids and refunds give back at most what that payment took.

use shared_kernel::RejectionKind;
use std::collections::HashMap;

use event_schemas::payments::{WalletCredited, WalletDebited, WalletEvent};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::{Aggregate, Money, TextRule, Timestamp};

/// The decline reason of a wallet payment larger than the balance.
pub const DECLINED_INSUFFICIENT_FUNDS: &str = "insufficient_funds";

const REASON: TextRule = TextRule::multiline("reason", 1, 200);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wallet {
    pub user_id: UserId,
    /// `None` until the first credit (which fixes the wallet's currency).
    pub balance: Option<Money>,
    /// What each payment debited and has not been given back yet.
    returnable: HashMap<PaymentId, Money>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletCommand {
    /// Credit granted by an admin.
    Grant {
        user_id: UserId,
        amount: Money,
        reason: String,
    },
    /// Pays `payment_id` from the balance; a second debit for the same payment is a no-op.
    Debit {
        user_id: UserId,
        payment_id: PaymentId,
        amount: Money,
    },
    /// Gives back `amount` (all that is left when `None`) of what `payment_id` debited.
    Return {
        user_id: UserId,
        payment_id: PaymentId,
        amount: Option<Money>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("the wallet's balance is below {0}")]
    InsufficientFunds(Money),
    #[error("payment {0} took nothing from this wallet")]
    NoDebit(PaymentId),
    #[error("giving back {requested} exceeds the {returnable} the payment took")]
    ReturnExceedsDebit { requested: Money, returnable: Money },
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for WalletError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::InsufficientFunds(_) => (DECLINED_INSUFFICIENT_FUNDS, RejectionKind::Invalid),
            Self::NoDebit(_) => ("no_wallet_debit", RejectionKind::Conflict),
            Self::ReturnExceedsDebit { .. } => ("return_exceeds_debit", RejectionKind::Invalid),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }

    /// The amounts a refusal names, in minor units.
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::InsufficientFunds(requested) => {
                Some(serde_json::json!({ "requested": requested }))
            }
            Self::ReturnExceedsDebit {
                requested,
                returnable,
            } => Some(serde_json::json!({ "requested": requested, "returnable": returnable })),
            Self::NoDebit(_) | Self::Invalid(_) => None,
        }
    }
}

fn positive(amount: Money) -> Result<Money, WalletError> {
    if amount.amount_minor <= 0 {
        return Err(WalletError::Invalid(
            "an amount must be greater than zero".into(),
        ));
    }
    Ok(amount)
}

impl Wallet {
    /// The balance after adding `amount`, in the wallet's currency.
    fn credited(&self, amount: Money) -> Result<Money, WalletError> {
        let balance = self.balance.unwrap_or(Money::zero(amount.currency));
        balance.checked_add(amount).map_err(|e| {
            WalletError::Invalid(format!("the wallet holds {}: {e}", balance.currency))
        })
    }

    /// Returnable amount of `payment_id`'s debit.
    #[must_use]
    pub fn returnable(&self, payment_id: PaymentId) -> Option<Money> {
        self.returnable.get(&payment_id).copied()
    }

    /// Whether `payment_id` already took money from this wallet (given back or not).
    #[must_use]
    pub fn has_debited(&self, payment_id: PaymentId) -> bool {
        self.returnable.contains_key(&payment_id)
    }
}

impl Aggregate for Wallet {
    const KIND: &'static str = "wallet";
    type Command = WalletCommand;
    type Event = WalletEvent;
    type Error = WalletError;

    fn decide(
        &self,
        command: WalletCommand,
        _now: Timestamp,
    ) -> Result<Vec<WalletEvent>, WalletError> {
        match command {
            WalletCommand::Grant {
                user_id,
                amount,
                reason,
            } => {
                let amount = positive(amount)?;
                REASON
                    .check(&reason)
                    .map_err(|e| WalletError::Invalid(e.to_string()))?;
                let reason = reason.trim().to_owned();
                Ok(vec![WalletEvent::Credited(WalletCredited {
                    user_id,
                    amount,
                    reason,
                    payment_id: None,
                    balance: self.credited(amount)?,
                })])
            }
            WalletCommand::Debit {
                user_id,
                payment_id,
                amount,
            } => {
                let amount = positive(amount)?;
                if self.has_debited(payment_id) {
                    return Ok(vec![]);
                }
                let balance = self
                    .balance
                    .and_then(|b| b.checked_sub(amount).ok())
                    .filter(|rest| rest.amount_minor >= 0)
                    .ok_or(WalletError::InsufficientFunds(amount))?;
                Ok(vec![WalletEvent::Debited(WalletDebited {
                    user_id,
                    amount,
                    payment_id,
                    balance,
                })])
            }
            WalletCommand::Return {
                user_id,
                payment_id,
                amount,
                reason,
            } => {
                let returnable = self
                    .returnable(payment_id)
                    .ok_or(WalletError::NoDebit(payment_id))?;
                let amount = match amount {
                    None if returnable.amount_minor == 0 => return Ok(vec![]),
                    None => returnable,
                    Some(a) => positive(a)?,
                };
                if amount.currency != returnable.currency
                    || amount.amount_minor > returnable.amount_minor
                {
                    return Err(WalletError::ReturnExceedsDebit {
                        requested: amount,
                        returnable,
                    });
                }
                Ok(vec![WalletEvent::Credited(WalletCredited {
                    user_id,
                    amount,
                    reason,
                    payment_id: Some(payment_id),
                    balance: self.credited(amount)?,
                })])
            }
        }
    }

    fn evolve(mut self, event: &WalletEvent) -> Self {
        match event {
            WalletEvent::Credited(e) => {
                if let Some(left) = e
                    .payment_id
                    .and_then(|payment_id| self.returnable.get_mut(&payment_id))
                {
                    left.amount_minor = left.amount_minor.saturating_sub(e.amount.amount_minor);
                }
                self.user_id = e.user_id;
                self.balance = Some(e.balance);
            }
            WalletEvent::Debited(e) => {
                self.returnable.insert(e.payment_id, e.amount);
                self.user_id = e.user_id;
                self.balance = Some(e.balance);
            }
        }
        self
    }
}
