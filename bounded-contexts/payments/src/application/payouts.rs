//! Sellers' ledgers: credits and debits from the order saga, and payouts.
//!
//! A payout is paid right after it is requested, in the same command, as an authorization is
//! asked of the provider in [`super::authorize`]: hold (record `PayoutRequested`, refused when
//! the balance does not cover it), pay (the provider, keyed by the payout id), record the answer
//! (`PayoutPaid`, or `PayoutFailed`, which makes the amount available again). A redelivered
//! request finds its payout held and not yet answered, asks again under the same key (paid at
//! most once) and records the answer under a follow-up command id (recorded at most once).
//!
//! Every write to a ledger goes through `execute_contended`: requests racing for one seller's
//! balance take turns in this process and retry conflicts with other processes, and each is
//! decided on the balance the previous one left, so payouts never overdraw it.

use event_schemas::payments::PayoutId;
use event_schemas::payments::commands::{CreditSeller, DebitSeller};
use shared_kernel::application::{
    Accepted, ExecuteError, Executed, Handled, accept, follow_up, require_system, require_user,
    stop,
};
use shared_kernel::ids::UserId;
use shared_kernel::payments::{PayoutOutcome, ProviderError};
use shared_kernel::{Aggregate, CommandEnvelope, StoreError, StreamId};

use super::RequestPayout;
use super::handler::PaymentsHandler;
use crate::domain::{LedgerCommand, LedgerError, PayoutStatus, SellerLedger};

/// The follow-up step that records a payout's answer.
const SETTLE_STEP: &str = "payout-settle";

/// The stream of `seller_id`'s ledger.
#[must_use]
pub(crate) fn ledger_stream(seller_id: UserId) -> StreamId {
    StreamId::of(SellerLedger::KIND, seller_id)
}

fn entry_body(
    seller_id: UserId,
    done: &Executed<SellerLedger>,
    currency: shared_kernel::Currency,
) -> serde_json::Value {
    serde_json::json!({
        "seller_id": seller_id,
        "balance": done.state.balance(currency),
    })
}

impl PaymentsHandler {
    async fn execute_ledger(
        &self,
        seller_id: UserId,
        command: LedgerCommand,
        metadata: &shared_kernel::EventMetadata,
    ) -> Result<Executed<SellerLedger>, ExecuteError<LedgerError>> {
        self.kit
            .execute_contended::<SellerLedger>(&ledger_stream(seller_id), command, metadata)
            .await
    }

    pub(super) async fn credit_seller(
        &self,
        envelope: &CommandEnvelope,
        c: CreditSeller,
    ) -> Handled {
        require_system(envelope, "only the platform credits sellers")?;
        let (seller_id, currency) = (c.seller_id, c.gross.currency);
        let credit = LedgerCommand::Credit {
            seller_id,
            order_id: c.order_id,
            entry: c.entry,
            gross: c.gross,
            rate: self.commission,
        };
        let result = self
            .execute_ledger(seller_id, credit, &envelope.event_metadata())
            .await;
        accept(envelope, &ledger_stream(seller_id), result, |done| {
            entry_body(seller_id, done, currency)
        })
    }

    pub(super) async fn debit_seller(&self, envelope: &CommandEnvelope, d: DebitSeller) -> Handled {
        require_system(envelope, "only the platform debits sellers")?;
        let (seller_id, currency) = (d.seller_id, d.gross.currency);
        let debit = LedgerCommand::Debit {
            seller_id,
            order_id: d.order_id,
            entry: d.entry,
            gross: d.gross,
        };
        let result = self
            .execute_ledger(seller_id, debit, &envelope.event_metadata())
            .await;
        accept(envelope, &ledger_stream(seller_id), result, |done| {
            entry_body(seller_id, done, currency)
        })
    }

    pub(super) async fn request_payout(
        &self,
        envelope: &CommandEnvelope,
        r: RequestPayout,
    ) -> Handled {
        let seller_id = require_user(envelope)?;
        let payout_id = r.payout_id;
        let hold = LedgerCommand::RequestPayout {
            seller_id,
            payout_id,
            amount: r.amount,
        };
        let metadata = envelope.event_metadata();
        let requested = self
            .execute_ledger(seller_id, hold, &metadata)
            .await
            .map_err(|e| stop(envelope, e))?;
        let mut state = std::sync::Arc::clone(&requested.state);
        let mut settled_at = None;
        let payout = state
            .payout(payout_id)
            .ok_or_else(|| StoreError::Corrupt(format!("payout {payout_id} was not recorded")))?;
        if payout.status == PayoutStatus::Requested {
            let outcome = self.pay(seller_id, payout_id, payout.amount).await?;
            let settle = LedgerCommand::SettlePayout { payout_id, outcome };
            let settled = self
                .execute_ledger(seller_id, settle, &follow_up(&metadata, SETTLE_STEP))
                .await
                .map_err(|e| stop(envelope, e))?;
            settled_at = Some(settled.position);
            state = settled.state;
        }
        let status = state
            .payout(payout_id)
            .map_or(PayoutStatus::Requested, |p| p.status);
        Ok(Accepted::of(ledger_stream(seller_id), &requested)
            .with(serde_json::json!({
                "payout_id": payout_id,
                "status": status.as_str(),
                "amount": payout.amount,
                "balance": state.balance(payout.amount.currency),
            }))
            .ending_at(settled_at)
            .reply(envelope))
    }

    /// Asks the provider to pay; a refusal is a failed payout, an unavailable provider a
    /// store-like failure the bus retries (the payout stays held meanwhile).
    async fn pay(
        &self,
        seller_id: UserId,
        payout_id: PayoutId,
        amount: shared_kernel::Money,
    ) -> Result<PayoutOutcome, StoreError> {
        match self
            .provider
            .payout(&payout_id.to_string(), &seller_id.to_string(), amount)
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(e @ ProviderError::Unavailable(_)) => Err(StoreError::Unavailable(Box::new(e))),
            Err(e) => {
                tracing::warn!(error = %e, %payout_id, "the provider refused a payout");
                Ok(PayoutOutcome::Failed {
                    reason: "payout_refused".into(),
                })
            }
        }
    }
}
