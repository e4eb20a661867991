//! Payouts of a seller's ledger: held on request, then paid or given back.

use event_schemas::payments::{
    PayoutFailed, PayoutId, PayoutPaid, PayoutRequested, SellerLedgerEvent,
};
use shared_kernel::Money;
use shared_kernel::ids::UserId;
use shared_kernel::payments::PayoutOutcome;

use super::{LedgerError, PayoutStatus, SellerLedger, invalid, positive};

impl SellerLedger {
    pub(super) fn request_payout(
        &self,
        seller_id: UserId,
        payout_id: PayoutId,
        amount: Money,
    ) -> Result<Vec<SellerLedgerEvent>, LedgerError> {
        let amount = positive(amount)?;
        if self.payouts.contains_key(&payout_id) {
            return Ok(vec![]);
        }
        let mut balance = self.balance(amount.currency);
        if balance.available.amount_minor < amount.amount_minor {
            return Err(LedgerError::InsufficientBalance {
                requested: amount,
                available: balance.available,
            });
        }
        balance.available = balance.available.checked_sub(amount).map_err(invalid)?;
        balance.pending_payouts = balance
            .pending_payouts
            .checked_add(amount)
            .map_err(invalid)?;
        Ok(vec![SellerLedgerEvent::PayoutRequested(PayoutRequested {
            seller_id,
            payout_id,
            amount,
            balance,
        })])
    }

    pub(super) fn settle_payout(
        &self,
        payout_id: PayoutId,
        outcome: PayoutOutcome,
    ) -> Result<Vec<SellerLedgerEvent>, LedgerError> {
        let payout = self
            .payout(payout_id)
            .ok_or(LedgerError::UnknownPayout(payout_id))?;
        if payout.status != PayoutStatus::Requested {
            return Ok(vec![]);
        }
        let amount = payout.amount;
        let mut balance = self.balance(amount.currency);
        balance.pending_payouts = balance
            .pending_payouts
            .checked_sub(amount)
            .map_err(invalid)?;
        let seller_id = self.seller_id;
        Ok(vec![match outcome {
            PayoutOutcome::Paid { reference } => {
                balance.paid_out = balance.paid_out.checked_add(amount).map_err(invalid)?;
                SellerLedgerEvent::PayoutPaid(PayoutPaid {
                    seller_id,
                    payout_id,
                    amount,
                    reference,
                    balance,
                })
            }
            PayoutOutcome::Failed { reason } => {
                balance.available = balance.available.checked_add(amount).map_err(invalid)?;
                SellerLedgerEvent::PayoutFailed(PayoutFailed {
                    seller_id,
                    payout_id,
                    amount,
                    reason,
                    balance,
                })
            }
        }])
    }
}
