//! The payments command handler: asks the provider (or the wallet), then records the outcome.
//!
//! Idempotency: `execute` skips a command whose events are stored; a command that touches two
//! streams (a wallet payment) runs the second with a sub-command id derived from its own, and
//! every provider call carries a key derived from the payment id, so a redelivered command
//! neither charges nor gives back twice.
//!
//! Races: the saga may void a payment while its authorization is still at the provider (a slow
//! card, the order cancelled by the payment timeout). The void then declines the payment
//! (`cancelled`); when the provider answers, recording the authorization is refused and the
//! hold is released at once (compensation). Capture, void and refund of one payment take turns
//! (a lock per payment in this process), so the provider never sees a capture and a void of
//! the same authorization cross.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::{AuthorizePayment, RefundPayment, VoidPayment};
use shared_kernel::application::{
    ExecuteError, Executed, Rejection, event_id_for, execute, prepare, reply_for,
};
use shared_kernel::ids::PaymentId;
use shared_kernel::payments::{Authorization, PaymentProvider, ProviderError};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventMetadata,
    EventStore, StoreError, StreamId,
};

use super::{CreditWallet, PaymentsCommand};
use crate::domain::{
    DECLINED_INVALID_TOKEN, Payment, PaymentCommand, PaymentError, PaymentStatus, Wallet,
    WalletCommand, check_request,
};

/// Sub-command ordinals of the streams one command touches besides its payment.
const WALLET_STEP: usize = 1;
const WALLET_COMPENSATION_STEP: usize = 2;

type PaymentLock = Arc<tokio::sync::Mutex<()>>;

#[derive(Debug)]
pub struct PaymentsHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
    provider: Arc<dyn PaymentProvider>,
    /// Authorizations under way at the provider, so a void that overtakes one can record what
    /// the payment was for.
    in_flight: Mutex<HashMap<PaymentId, AuthorizePayment>>,
    locks: Mutex<HashMap<PaymentId, PaymentLock>>,
}

impl PaymentsHandler {
    #[must_use]
    pub fn new(
        store: Arc<dyn EventStore>,
        clock: Arc<dyn Clock>,
        provider: Arc<dyn PaymentProvider>,
    ) -> Self {
        Self {
            store,
            clock,
            provider,
            in_flight: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl CommandHandler for PaymentsHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match PaymentsCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        match command {
            PaymentsCommand::AuthorizePayment(request) => self.authorize(&envelope, request).await,
            PaymentsCommand::CapturePayment(c) => {
                let _turn = self.turn(c.payment_id).await;
                self.capture(&envelope, c.payment_id).await
            }
            PaymentsCommand::VoidPayment(v) => {
                let _turn = self.turn(v.payment_id).await;
                self.void(&envelope, v).await
            }
            PaymentsCommand::RefundPayment(r) => {
                let _turn = self.turn(r.payment_id).await;
                self.refund(&envelope, r).await
            }
            PaymentsCommand::CreditWallet(c) => self.credit_wallet(&envelope, c).await,
        }
    }
}

/// The provider's failure as a reply: unavailable -> 503 (try later), refused -> 409.
fn provider_rejection(envelope: &CommandEnvelope, error: &ProviderError) -> CommandReply {
    match error {
        ProviderError::Unavailable(_) => {
            envelope.reject(503, "payment_provider_unavailable", error.to_string())
        }
        ProviderError::UnknownAuthorization(_) | ProviderError::Refused(_) => {
            envelope.reject(409, "payment_provider_refused", error.to_string())
        }
    }
}

/// A domain rejection met before anything was executed.
fn rejection(envelope: &CommandEnvelope, error: &(impl Rejection + ToString)) -> CommandReply {
    let (code, status) = error.code_and_status();
    envelope.reject(status, code, error.to_string())
}

/// Infrastructure failures of an `execute` whose domain errors the caller already handled.
fn store_failure<E: std::error::Error>(error: ExecuteError<E>) -> StoreError {
    match error {
        ExecuteError::Store(e) => e,
        // Still contended after the retries: the bus tries the whole command again.
        ExecuteError::Conflict => StoreError::Unavailable(error.to_string().into()),
        other => StoreError::Corrupt(other.to_string()),
    }
}

fn payment_stream(payment_id: PaymentId) -> StreamId {
    StreamId::of(Payment::KIND, payment_id)
}

fn payment_body(done: &Executed<Payment>) -> serde_json::Value {
    let state = &done.state;
    serde_json::json!({
        "id": state.id,
        "status": state.status.as_str(),
        "decline_reason": state.decline_reason,
        "refunded": state
            .captured
            .map(|c| shared_kernel::Money::new(state.refunded_minor, c.currency)),
    })
}

/// The metadata of the `step`-th sub-command of `envelope` (another stream than its own).
fn sub_command(envelope: &CommandEnvelope, step: usize) -> EventMetadata {
    let mut metadata = envelope.event_metadata();
    metadata.command_id = Some(event_id_for(envelope.command_id, step));
    metadata
}

impl PaymentsHandler {
    /// Waits for this payment's turn; the lock is dropped from the table once nobody holds it.
    async fn turn(&self, payment_id: PaymentId) -> Turn<'_> {
        let lock = Arc::clone(
            self.locks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(payment_id)
                .or_default(),
        );
        let guard = Arc::clone(&lock).lock_owned().await;
        Turn {
            handler: self,
            payment_id,
            guard: Some(guard),
        }
    }

    /// The payment as the next command will see it, and whether `envelope` already ran on it
    /// (a redelivery: then nothing is asked of the provider again, and `execute` answers with
    /// the first result). From the aggregate cache when it holds the payment: every provider
    /// call is keyed, so a stale view repeats a call to no effect.
    async fn prepared(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
    ) -> Result<(Arc<Payment>, bool), StoreError> {
        prepare::<Payment>(
            self.store.as_ref(),
            &payment_stream(payment_id),
            Some(envelope.command_id),
        )
        .await
        .map(|(state, done)| (state, done.is_some()))
        .map_err(store_failure)
    }

    async fn execute_payment(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
        command: PaymentCommand,
    ) -> Result<Executed<Payment>, ExecuteError<PaymentError>> {
        execute::<Payment>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &payment_stream(payment_id),
            command,
            &envelope.event_metadata(),
        )
        .await
    }

    async fn execute_wallet(
        &self,
        envelope: &CommandEnvelope,
        step: usize,
        command: WalletCommand,
        user_id: shared_kernel::ids::UserId,
    ) -> Result<Executed<Wallet>, ExecuteError<crate::domain::WalletError>> {
        execute::<Wallet>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &StreamId::of(Wallet::KIND, user_id),
            command,
            &sub_command(envelope, step),
        )
        .await
    }

    async fn authorize(
        &self,
        envelope: &CommandEnvelope,
        request: AuthorizePayment,
    ) -> Result<CommandReply, StoreError> {
        if let Err(e) = check_request(&request) {
            return Ok(rejection(envelope, &e));
        }
        let payment_id = request.payment_id;
        let (state, _) = self.prepared(envelope, payment_id).await?;
        // Listed until the answer is recorded, so a void meanwhile knows what it cancels.
        let _under_way = state
            .recorded_outcome()
            .is_none()
            .then(|| UnderWay::new(self, &request));
        // Only a pending payment is worth asking about; otherwise the recorded answer stands.
        let (outcome, asked) = match state.recorded_outcome() {
            Some(recorded) => (recorded, false),
            None => match self.ask(envelope, &request).await? {
                Ok(outcome) => (outcome, true),
                Err(reply) => return Ok(reply),
            },
        };
        let result = self
            .execute_payment(
                envelope,
                payment_id,
                PaymentCommand::RecordAuthorization {
                    request: request.clone(),
                    outcome: outcome.clone(),
                },
            )
            .await;
        if matches!(result, Err(ExecuteError::Domain(PaymentError::Cancelled))) {
            // Voided while the answer was on its way: nothing may stay held.
            self.release_late_authorization(envelope, &request, &outcome, asked)
                .await?;
        }
        reply_for(envelope, &payment_stream(payment_id), result, payment_body)
    }

    /// Asks the provider (card) or debits the wallet; `Err(reply)` when no answer came.
    async fn ask(
        &self,
        envelope: &CommandEnvelope,
        request: &AuthorizePayment,
    ) -> Result<Result<Authorization, CommandReply>, StoreError> {
        match request.method {
            PaymentMethod::Card => {
                let Some(token) = request.token.as_deref() else {
                    return Ok(Ok(Authorization::Declined {
                        reason: DECLINED_INVALID_TOKEN.into(),
                    }));
                };
                let answer = self
                    .provider
                    .authorize(&request.payment_id.to_string(), token, request.amount)
                    .await;
                Ok(answer.map_err(|e| provider_rejection(envelope, &e)))
            }
            PaymentMethod::Wallet => {
                let debit = WalletCommand::Debit {
                    user_id: request.payer_id,
                    payment_id: request.payment_id,
                    amount: request.amount,
                };
                match self
                    .execute_wallet(envelope, WALLET_STEP, debit, request.payer_id)
                    .await
                {
                    Ok(_) => Ok(Ok(Authorization::Authorized {
                        reference: format!("wallet-debit:{}", request.payment_id),
                    })),
                    Err(ExecuteError::Domain(e)) => Ok(Ok(Authorization::Declined {
                        reason: e.code_and_status().0.to_owned(),
                    })),
                    Err(ExecuteError::Conflict) => Ok(Err(envelope.reject(
                        409,
                        "concurrency_conflict",
                        "the wallet changed concurrently; try again",
                    ))),
                    Err(e) => Err(store_failure(e)),
                }
            }
        }
    }

    /// Compensation for an authorization that arrived after the payment was cancelled.
    async fn release_late_authorization(
        &self,
        envelope: &CommandEnvelope,
        request: &AuthorizePayment,
        outcome: &Authorization,
        asked: bool,
    ) -> Result<(), StoreError> {
        match request.method {
            PaymentMethod::Card => {
                if let (true, Authorization::Authorized { reference }) = (asked, outcome) {
                    tracing::info!(payment_id = %request.payment_id, "voiding a late authorization");
                    let key = format!("{}:void", request.payment_id);
                    if let Err(e) = self.provider.void(&key, reference).await {
                        tracing::error!(error = %e, payment_id = %request.payment_id,
                            "cannot void a late authorization");
                    }
                }
            }
            // Checked even on a redelivery: a debit left by an interrupted run goes back too.
            PaymentMethod::Wallet => {
                self.give_back(envelope, WALLET_COMPENSATION_STEP, request, None, "void")
                    .await?;
            }
        }
        Ok(())
    }

    /// Credits the payer's wallet with what the payment debited (`None`: all that is left);
    /// the position of the credit, if one was appended.
    async fn give_back(
        &self,
        envelope: &CommandEnvelope,
        step: usize,
        payment: &AuthorizePayment,
        amount: Option<shared_kernel::Money>,
        reason: &str,
    ) -> Result<Option<u64>, StoreError> {
        let command = WalletCommand::Return {
            user_id: payment.payer_id,
            payment_id: payment.payment_id,
            amount,
            reason: reason.to_owned(),
        };
        match self
            .execute_wallet(envelope, step, command, payment.payer_id)
            .await
        {
            Ok(done) => Ok(done.appended.map(|a| a.position)),
            // Nothing was debited for this payment: nothing to give back.
            Err(ExecuteError::Domain(crate::domain::WalletError::NoDebit(_))) => Ok(None),
            Err(ExecuteError::Domain(e)) => {
                tracing::error!(error = %e, payment_id = %payment.payment_id,
                    "cannot credit the wallet back");
                Ok(None)
            }
            Err(e) => Err(store_failure(e)),
        }
    }

    async fn capture(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
    ) -> Result<CommandReply, StoreError> {
        let (state, done) = self.prepared(envelope, payment_id).await?;
        if let (
            false,
            PaymentStatus::Authorized,
            Some(PaymentMethod::Card),
            Some(r),
            Some(amount),
        ) = (
            done,
            state.status,
            state.method,
            &state.provider_reference,
            state.amount,
        ) {
            let key = format!("{payment_id}:capture");
            if let Err(e) = self.provider.capture(&key, r, amount).await {
                return Ok(provider_rejection(envelope, &e));
            }
        }
        let result = self
            .execute_payment(envelope, payment_id, PaymentCommand::Capture)
            .await;
        reply_for(envelope, &payment_stream(payment_id), result, payment_body)
    }

    async fn void(
        &self,
        envelope: &CommandEnvelope,
        command: VoidPayment,
    ) -> Result<CommandReply, StoreError> {
        let payment_id = command.payment_id;
        let (state, _) = self.prepared(envelope, payment_id).await?;
        if matches!(
            state.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        ) {
            // Captured before the cancellation reached it: the money goes back as a refund.
            let refund = RefundPayment {
                payment_id,
                amount: None,
                reason: command.reason,
            };
            return self.refund(envelope, refund).await;
        }
        let under_way = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&payment_id)
            .cloned();
        let result = self
            .execute_payment(
                envelope,
                payment_id,
                PaymentCommand::Void {
                    payment_id,
                    reason: command.reason,
                    request: under_way,
                },
            )
            .await;
        // Recorded first, released second: a redelivery finds it voided and releases again
        // (both releases are idempotent), so a crash in between leaves nothing held.
        let voided = result
            .as_ref()
            .ok()
            .filter(|done| done.state.status == PaymentStatus::Voided);
        let released = match voided {
            Some(done) => self.release(envelope, &done.state).await?,
            None => None,
        };
        let reply = reply_for(envelope, &payment_stream(payment_id), result, payment_body)?;
        Ok(ending_at(reply, released))
    }

    /// Releases what a voided payment held: the provider's hold, or the wallet debit (then
    /// the position of the wallet's credit).
    async fn release(
        &self,
        envelope: &CommandEnvelope,
        payment: &Payment,
    ) -> Result<Option<u64>, StoreError> {
        match (payment.method, &payment.provider_reference) {
            (Some(PaymentMethod::Card), Some(reference)) => {
                let key = format!("{}:void", payment.id);
                match self.provider.void(&key, reference).await {
                    Ok(()) => Ok(None),
                    // Let the bus retry the whole command; the record step is already done.
                    Err(e @ ProviderError::Unavailable(_)) => {
                        Err(StoreError::Unavailable(Box::new(e)))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, payment_id = %payment.id,
                            "the provider refused to void");
                        Ok(None)
                    }
                }
            }
            (Some(PaymentMethod::Wallet), _) => {
                let request = as_request(payment);
                self.give_back(envelope, WALLET_STEP, &request, None, "void")
                    .await
            }
            _ => Ok(None),
        }
    }

    async fn refund(
        &self,
        envelope: &CommandEnvelope,
        command: RefundPayment,
    ) -> Result<CommandReply, StoreError> {
        let payment_id = command.payment_id;
        let mut amount = command.amount;
        let (state, done) = self.prepared(envelope, payment_id).await?;
        if !done {
            amount = match state.refund_amount(command.amount) {
                Ok(a) => a,
                Err(e) => return Ok(rejection(envelope, &e)),
            };
            if let Some(refund) = amount {
                // Money out first, the record second: a redelivery repeats the same keyed
                // provider call or wallet credit (no-ops the second time), then records.
                match (state.method, &state.provider_reference) {
                    (Some(PaymentMethod::Card), Some(reference)) => {
                        let key = format!("{payment_id}:refund:{}", envelope.command_id);
                        if let Err(e) = self.provider.refund(&key, reference, refund).await {
                            return Ok(provider_rejection(envelope, &e));
                        }
                    }
                    (Some(PaymentMethod::Wallet), _) => {
                        let request = as_request(&state);
                        self.give_back(envelope, WALLET_STEP, &request, Some(refund), "refund")
                            .await?;
                    }
                    _ => {}
                }
            }
        }
        let result = self
            .execute_payment(
                envelope,
                payment_id,
                PaymentCommand::Refund {
                    amount,
                    reason: command.reason,
                },
            )
            .await;
        reply_for(envelope, &payment_stream(payment_id), result, payment_body)
    }

    async fn credit_wallet(
        &self,
        envelope: &CommandEnvelope,
        command: CreditWallet,
    ) -> Result<CommandReply, StoreError> {
        let stream = StreamId::of(Wallet::KIND, command.user_id);
        let user_id = command.user_id;
        let result = execute::<Wallet>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &stream,
            WalletCommand::Grant {
                user_id,
                amount: command.amount,
                reason: command.reason,
            },
            &envelope.event_metadata(),
        )
        .await;
        reply_for(
            envelope,
            &stream,
            result,
            |done| serde_json::json!({ "user_id": user_id, "balance": done.state.balance }),
        )
    }
}

/// The reply with the position of the command's last event when a second stream's append
/// came after the payment's: reading at it shows both.
fn ending_at(mut reply: CommandReply, later: Option<u64>) -> CommandReply {
    if let (CommandOutcome::Accepted { position, .. }, Some(later)) = (&mut reply.outcome, later) {
        *position = (*position).max(later);
    }
    reply
}

/// The payer and payment a wallet movement concerns, in the shape `give_back` takes.
fn as_request(payment: &Payment) -> AuthorizePayment {
    AuthorizePayment {
        payment_id: payment.id,
        order_id: payment.order_id,
        payer_id: payment.payer_id,
        amount: payment
            .amount
            .unwrap_or(shared_kernel::Money::zero(shared_kernel::Currency::EUR)),
        method: PaymentMethod::Wallet,
        token: None,
    }
}

/// An authorization being asked for: listed in `in_flight` until dropped.
struct UnderWay<'a> {
    handler: &'a PaymentsHandler,
    payment_id: PaymentId,
}

impl<'a> UnderWay<'a> {
    fn new(handler: &'a PaymentsHandler, request: &AuthorizePayment) -> Self {
        handler
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request.payment_id, request.clone());
        Self {
            handler,
            payment_id: request.payment_id,
        }
    }
}

impl Drop for UnderWay<'_> {
    fn drop(&mut self) {
        self.handler
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.payment_id);
    }
}

/// A payment's turn: while held, no other capture, void or refund of it runs here.
struct Turn<'a> {
    handler: &'a PaymentsHandler,
    payment_id: PaymentId,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut locks = self
            .handler
            .locks
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Only the table still refers to it: nobody waits, forget it.
        if locks
            .get(&self.payment_id)
            .is_some_and(|l| Arc::strong_count(l) == 1)
        {
            locks.remove(&self.payment_id);
        }
    }
}
