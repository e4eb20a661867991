//! The payments command handler: asks the provider (or the wallet), then records the outcome.
//!
//! Idempotency: `execute` skips a command whose events are stored; a command that touches two
//! streams (a wallet payment) runs the second as a follow-up step with a command id derived
//! from its own, and every provider call carries a key derived from the payment id, so a
//! redelivered command neither charges nor gives back twice.
//!
//! Races: the saga may void a payment while its authorization is still at the provider (a slow
//! card, the order cancelled by the payment timeout). The void then declines the payment
//! (`cancelled`); when the provider answers, recording the authorization is refused and the
//! hold is released at once (compensation). Capture, void and refund of one payment take turns
//! (a lock per payment in this process), so the provider never sees a capture and a void of
//! the same authorization cross.
//!
//! Authorization lives in [`super::authorize`], capture, void and refund in
//! [`super::settle`].

use shared_kernel::RejectionKind;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use event_schemas::payments::commands::AuthorizePayment;
use shared_kernel::application::{
    CommandKit, ExecuteError, Executed, Handled, KeyedLocks, accept, decode, finish, follow_up,
    store_failure,
};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::payments::{PaymentProvider, ProviderError};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::{
    CreditWallet, LedgerRequest, PaymentRequest, PaymentState, PaymentsCommand, WalletCredited,
    WalletRequest,
};
use crate::domain::{
    CommissionRate, Payment, PaymentCommand, PaymentError, Wallet, WalletCommand, WalletError,
};

#[derive(Debug)]
pub struct PaymentsHandler {
    pub(super) kit: CommandKit,
    pub(super) provider: Arc<dyn PaymentProvider>,
    /// Authorizations under way at the provider, so a void that overtakes one can record what
    /// the payment was for.
    pub(super) in_flight: Mutex<HashMap<PaymentId, AuthorizePayment>>,
    /// Capture, void and refund of one payment take turns.
    turns: KeyedLocks<PaymentId>,
    /// The platform's commission on sellers' credits.
    pub(super) commission: CommissionRate,
}

/// The provider's failure as a reply: unavailable -> 503 (try later), refused -> 409.
pub(super) fn provider_rejection(
    envelope: &CommandEnvelope,
    error: &ProviderError,
) -> CommandReply {
    match error {
        ProviderError::Unavailable(_) => envelope.reject(
            RejectionKind::Unavailable,
            "payment_provider_unavailable",
            error.to_string(),
        ),
        ProviderError::UnknownAuthorization(_) | ProviderError::Refused(_) => envelope.reject(
            RejectionKind::Conflict,
            "payment_provider_refused",
            error.to_string(),
        ),
    }
}

pub(super) fn payment_stream(payment_id: PaymentId) -> StreamId {
    StreamId::of(Payment::KIND, payment_id)
}

/// What a command on a payment answers: the payment's state after it.
pub(super) fn payment_body(done: &Executed<Payment>) -> PaymentState {
    PaymentState::from(&*done.state)
}

impl PaymentsHandler {
    #[must_use]
    pub fn new(
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
            provider,
            in_flight: Mutex::new(HashMap::new()),
            turns: KeyedLocks::default(),
            commission: CommissionRate::DEFAULT,
        }
    }

    /// The same handler, keeping `rate` of what it credits to sellers.
    #[must_use]
    pub const fn with_commission(mut self, rate: CommissionRate) -> Self {
        self.commission = rate;
        self
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        match decode(envelope)? {
            PaymentsCommand::Payment(request) => self.payment(envelope, request).await,
            PaymentsCommand::Wallet(WalletRequest::CreditWallet(c)) => {
                self.credit_wallet(envelope, c).await
            }
            PaymentsCommand::SellerLedger(request) => self.ledger(envelope, request).await,
        }
    }

    async fn payment(&self, envelope: &CommandEnvelope, request: PaymentRequest) -> Handled {
        match request {
            PaymentRequest::AuthorizePayment(request) => self.authorize(envelope, request).await,
            PaymentRequest::CapturePayment(c) => {
                let _turn = self.turns.lock(c.payment_id).await;
                self.capture(envelope, c.payment_id).await
            }
            PaymentRequest::VoidPayment(v) => {
                let _turn = self.turns.lock(v.payment_id).await;
                self.void(envelope, v).await
            }
            PaymentRequest::RefundPayment(r) => {
                let _turn = self.turns.lock(r.payment_id).await;
                self.refund(envelope, r).await
            }
        }
    }

    async fn ledger(&self, envelope: &CommandEnvelope, request: LedgerRequest) -> Handled {
        match request {
            LedgerRequest::CreditSeller(c) => self.credit_seller(envelope, c).await,
            LedgerRequest::DebitSeller(d) => self.debit_seller(envelope, d).await,
            LedgerRequest::RequestPayout(r) => self.request_payout(envelope, r).await,
            LedgerRequest::PayPayout(p) => self.pay_payout(envelope, p).await,
        }
    }

    /// The payment as the next command will see it, and whether `envelope` already ran on it
    /// (a redelivery: then nothing is asked of the provider again, and `execute` answers with
    /// the first result). From the aggregate cache when it holds the payment: every provider
    /// call is keyed, so a stale view repeats a call to no effect.
    pub(super) async fn prepared(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
    ) -> Result<(Arc<Payment>, bool), StoreError> {
        self.kit
            .prepare::<Payment>(&payment_stream(payment_id), Some(envelope.command_id))
            .await
            .map(|(state, done)| (state, done.is_some()))
            .map_err(store_failure)
    }

    pub(super) async fn execute_payment(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
        command: PaymentCommand,
    ) -> Result<Executed<Payment>, ExecuteError<PaymentError>> {
        self.kit
            .execute::<Payment>(
                &payment_stream(payment_id),
                command,
                &envelope.event_metadata(),
            )
            .await
    }

    /// `command` on `user_id`'s wallet, as the command's follow-up `step`.
    pub(super) async fn execute_wallet(
        &self,
        envelope: &CommandEnvelope,
        step: &str,
        command: WalletCommand,
        user_id: UserId,
    ) -> Result<Executed<Wallet>, ExecuteError<WalletError>> {
        self.kit
            .execute::<Wallet>(
                &StreamId::of(Wallet::KIND, user_id),
                command,
                &follow_up(&envelope.event_metadata(), step),
            )
            .await
    }

    async fn credit_wallet(&self, envelope: &CommandEnvelope, command: CreditWallet) -> Handled {
        let stream = StreamId::of(Wallet::KIND, command.user_id);
        let user_id = command.user_id;
        let grant = WalletCommand::Grant {
            user_id,
            amount: command.amount,
            reason: command.reason,
        };
        let result = self
            .kit
            .execute::<Wallet>(&stream, grant, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| {
            WalletCredited::of(user_id, done.state.balance)
        })
    }
}

#[async_trait]
impl CommandHandler for PaymentsHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
