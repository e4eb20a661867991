//! Sellers' ledgers: credits and debits from the order saga, and payouts.
//!
//! A payout is paid right after it is requested, in the same command, as an authorization is
//! asked of the provider in [`super::authorize`]: hold (record `PayoutRequested`, refused when
//! the balance does not cover it), pay (the provider, keyed by the payout id), record the answer
//! (`PayoutPaid`, or `PayoutFailed`, which makes the amount available again). A redelivered
//! request finds its payout held and not yet answered, asks again under the same key (paid at
//! most once) and records the answer under a follow-up command id (recorded at most once).
//!
//! Should the process stop between the hold and the answer, the payout completion process
//! manager ([`super::payout_completion`]), which reacts to every `PayoutRequested`, pays it
//! (`pay_payout`, same key, so never twice); normally it finds the payout answered and does
//! nothing.
//!
//! Every write to a ledger goes through `execute_contended`: requests racing for one seller's
//! balance take turns in this process and retry conflicts with other processes, and each is
//! decided on the balance the previous one left, so payouts never overdraw it.

use std::sync::Arc;

use event_schemas::payments::PayoutId;
use event_schemas::payments::commands::{CreditSeller, DebitSeller};

use shared_kernel::application::{
    Accepted, ExecuteError, Executed, Handled, Stop, accept, follow_up, rejected, require_system,
    require_user, stop,
};
use shared_kernel::ids::UserId;
use shared_kernel::payments::{PayoutOutcome, ProviderError};
use shared_kernel::{Aggregate, CommandEnvelope, EventMetadata, StoreError, StreamId};

use super::commands::{PayPayout, RequestPayout};
use super::handler::PaymentsHandler;
use super::{LedgerEntryRecorded, PayoutAccepted};
use crate::domain::{LedgerCommand, LedgerError, Payout, PayoutStatus, SellerLedger};

/// The follow-up step that records a payout's answer.
const SETTLE_STEP: &str = "payout-settle";

/// The stream of `seller_id`'s ledger.
#[must_use]
pub(crate) fn ledger_stream(seller_id: UserId) -> StreamId {
    StreamId::of(SellerLedger::KIND, seller_id)
}

/// A payout as a reply shows it: its status now (`held` as it was found, should `state` not
/// hold it) and the balance of its currency.
fn payout_reply(state: &SellerLedger, payout_id: PayoutId, held: Payout) -> PayoutAccepted {
    let payout = state.payout(payout_id).unwrap_or(held);
    PayoutAccepted::of(payout_id, payout, state.balance(payout.amount.currency))
}

fn entry_reply(
    seller_id: UserId,
    done: &Executed<SellerLedger>,
    currency: shared_kernel::Currency,
) -> LedgerEntryRecorded {
    LedgerEntryRecorded {
        seller_id: seller_id.to_string(),
        balance: done.state.balance(currency).into(),
    }
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
            entry_reply(seller_id, done, currency)
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
            entry_reply(seller_id, done, currency)
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
        let settle = follow_up(&metadata, SETTLE_STEP);
        let (state, held, settled_at) = self
            .complete(envelope, seller_id, &requested.state, payout_id, &settle)
            .await?;
        Ok(Accepted::of(ledger_stream(seller_id), &requested)
            .with(payout_reply(&state, payout_id, held))
            .ending_at(settled_at)
            .reply(envelope))
    }

    /// The payout completion's command (see [`super::payout_completion`]): pays a payout
    /// still held, e.g. after the process that held it stopped before paying.
    pub(super) async fn pay_payout(&self, envelope: &CommandEnvelope, p: PayPayout) -> Handled {
        require_system(envelope, "only the platform completes payouts")?;
        let stream = ledger_stream(p.seller_id);
        let loaded = self
            .kit
            .load::<SellerLedger>(&stream)
            .await
            .map_err(|e| stop(envelope, e))?;
        let state = Arc::new(loaded.state);
        let (state, held, settled_at) = self
            .complete(
                envelope,
                p.seller_id,
                &state,
                p.payout_id,
                &envelope.event_metadata(),
            )
            .await?;
        Ok(Accepted {
            stream,
            version: loaded.version,
            position: loaded.position,
            body: serde_json::Value::Null,
        }
        .with(payout_reply(&state, p.payout_id, held))
        .ending_at(settled_at)
        .reply(envelope))
    }

    /// Pays `payout_id` if it is still held and records the answer under `metadata`; the
    /// ledger after it, the payout as it was found, and the position of the answer, if one was
    /// recorded now.
    async fn complete(
        &self,
        envelope: &CommandEnvelope,
        seller_id: UserId,
        state: &Arc<SellerLedger>,
        payout_id: PayoutId,
        metadata: &EventMetadata,
    ) -> Result<(Arc<SellerLedger>, Payout, Option<u64>), Stop> {
        let payout = state
            .payout(payout_id)
            .ok_or_else(|| rejected(envelope, &LedgerError::UnknownPayout(payout_id)))?;
        if payout.status != PayoutStatus::Requested {
            return Ok((Arc::clone(state), payout, None));
        }
        let outcome = self.pay(seller_id, payout_id, payout.amount).await?;
        let settle = LedgerCommand::SettlePayout { payout_id, outcome };
        let settled = self
            .execute_ledger(seller_id, settle, metadata)
            .await
            .map_err(|e| stop(envelope, e))?;
        Ok((settled.state, payout, Some(settled.position)))
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
