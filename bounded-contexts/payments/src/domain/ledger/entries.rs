//! Credits and debits of a seller's ledger: the commission split of each entry.

use event_schemas::payments::{SellerCredited, SellerDebited, SellerLedgerEvent};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, UserId};

use super::{CommissionRate, LedgerError, SellerLedger, invalid, minor, positive};

impl SellerLedger {
    pub(super) fn credit(
        &self,
        seller_id: UserId,
        order_id: OrderId,
        entry: &str,
        gross: Money,
        rate: CommissionRate,
    ) -> Result<Vec<SellerLedgerEvent>, LedgerError> {
        let gross = positive(gross)?;
        let Some(entry) = self.new_entry(entry)? else {
            return Ok(vec![]);
        };
        let c = gross.currency;
        let share = self.share(order_id, c)?;
        let rate = share.map_or(rate, |s| s.rate);
        let before = share.map_or(0, |s| s.gross.amount_minor);
        let after = before.checked_add(gross.amount_minor);
        let commission = after
            .and_then(|after| rate.moved(before, after))
            .ok_or_else(|| invalid("amount overflow"))?;
        // 0 <= commission <= gross: the rate is at most 100 %.
        let net = minor(
            gross
                .amount_minor
                .checked_sub(commission)
                .ok_or_else(|| invalid("amount overflow"))?,
            c,
        );
        let commission = minor(commission, c);
        let mut balance = self.balance(c);
        balance.available = balance.available.checked_add(net).map_err(invalid)?;
        balance.commission_total = balance
            .commission_total
            .checked_add(commission)
            .map_err(invalid)?;
        Ok(vec![SellerLedgerEvent::Credited(SellerCredited {
            seller_id,
            order_id,
            entry,
            gross,
            commission,
            net,
            commission_bps: rate.bps(),
            balance,
        })])
    }

    pub(super) fn debit(
        &self,
        seller_id: UserId,
        order_id: OrderId,
        entry: &str,
        gross: Money,
    ) -> Result<Vec<SellerLedgerEvent>, LedgerError> {
        let gross = positive(gross)?;
        let Some(entry) = self.new_entry(entry)? else {
            return Ok(vec![]);
        };
        let c = gross.currency;
        let credited = self.share(order_id, c)?;
        let share = credited
            .filter(|s| s.gross.amount_minor >= gross.amount_minor)
            .ok_or(LedgerError::DebitExceedsCredit {
                order_id,
                requested: gross,
                credited: credited.map_or(Money::zero(c), |s| s.gross),
            })?;
        let before = share.gross.amount_minor;
        // The commission falls as the order's gross does: that fall is given back.
        let given_back = share
            .rate
            .moved(before.saturating_sub(gross.amount_minor), before)
            .ok_or_else(|| invalid("amount overflow"))?;
        let net = minor(
            gross
                .amount_minor
                .checked_sub(given_back)
                .ok_or_else(|| invalid("amount overflow"))?,
            c,
        );
        let commission = minor(given_back, c);
        let mut balance = self.balance(c);
        balance.available = balance.available.checked_sub(net).map_err(invalid)?;
        balance.commission_total = balance
            .commission_total
            .checked_sub(commission)
            .map_err(invalid)?;
        Ok(vec![SellerLedgerEvent::Debited(SellerDebited {
            seller_id,
            order_id,
            entry,
            gross,
            commission,
            net,
            balance,
        })])
    }
}
