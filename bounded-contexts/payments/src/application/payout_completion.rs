//! `PayoutCompletion`: every held payout gets paid or failed, even when the process that held
//! it stopped before it asked the provider.
//!
//! | event | reaction |
//! |---|---|
//! | PayoutRequested | send payments `pay_payout {seller_id, payout_id}` |
//!
//! The request's own handler normally pays at once, so the command usually finds the payout
//! answered and does nothing; when it does pay, the provider call carries the payout id as its
//! key, so the seller is paid once. A provider that is unavailable fails the command, and the
//! runtime sends it again until it goes through (the payout stays held meanwhile).

use event_schemas::payments::{PAYOUT_REQUESTED, SellerLedgerEvent};
use projections::Interest;
use projections::saga::{Dispatch, ProcessManager, Reaction};
use shared_kernel::{Aggregate, DomainEvent, Recorded};

use super::commands::{PAY_PAYOUT, PayPayout};
use crate::CONTEXT;
use crate::domain::SellerLedger;

/// The process manager's name (its checkpoint).
pub const PAYOUT_COMPLETION: &str = "payments.payout_completion";

const HANDLES: &[&str] = &[PAYOUT_REQUESTED];

#[derive(Debug, Default, Clone, Copy)]
pub struct PayoutCompletion;

impl ProcessManager for PayoutCompletion {
    fn name(&self) -> &'static str {
        PAYOUT_COMPLETION
    }

    fn handles(&self) -> Interest {
        Interest::Types(HANDLES)
    }

    fn react(&self, event: &Recorded) -> Reaction {
        if event.stream_id.kind() != SellerLedger::KIND {
            return Reaction::default();
        }
        let requested = match SellerLedgerEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        ) {
            Ok(SellerLedgerEvent::PayoutRequested(r)) => r,
            Ok(_) => return Reaction::default(),
            Err(e) => {
                tracing::warn!(error = %e, "seller ledger event not understood; ignored");
                return Reaction::default();
            }
        };
        let command = PayPayout {
            seller_id: requested.seller_id,
            payout_id: requested.payout_id,
        };
        match serde_json::to_value(command) {
            Ok(payload) => Reaction {
                send: vec![Dispatch {
                    context: CONTEXT.to_owned(),
                    name: PAY_PAYOUT.to_owned(),
                    payload,
                }],
                ..Reaction::default()
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot encode pay_payout");
                Reaction::default()
            }
        }
    }

    fn on_timer(&self, _key: &str, _payload: &serde_json::Value) -> Vec<Dispatch> {
        Vec::new()
    }
}
