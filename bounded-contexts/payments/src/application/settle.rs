//! Capture, void and refund of an authorized payment: money moves at the provider (or the
//! wallet) first, the record second, so a redelivery repeats a keyed call to no effect.

use std::sync::PoisonError;

use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::{AuthorizePayment, RefundPayment, VoidPayment};
use shared_kernel::application::{ExecuteError, Handled, accept, rejected, store_failure};
use shared_kernel::ids::PaymentId;
use shared_kernel::payments::ProviderError;
use shared_kernel::{CommandEnvelope, Money, StoreError};

use super::authorize::WALLET_STEP;
use super::handler::{PaymentsHandler, payment_body, payment_stream, provider_rejection};
use crate::domain::{Payment, PaymentCommand, PaymentStatus, WalletCommand, WalletError};

impl PaymentsHandler {
    pub(super) async fn capture(
        &self,
        envelope: &CommandEnvelope,
        payment_id: PaymentId,
    ) -> Handled {
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
        accept(envelope, &payment_stream(payment_id), result, payment_body)
    }

    pub(super) async fn void(&self, envelope: &CommandEnvelope, command: VoidPayment) -> Handled {
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
        let void = PaymentCommand::Void {
            payment_id,
            reason: command.reason,
            request: under_way,
        };
        let result = self.execute_payment(envelope, payment_id, void).await;
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
        let stream = payment_stream(payment_id);
        match result {
            Ok(done) => Ok(shared_kernel::application::Accepted::of(stream, &done)
                .with(payment_body(&done))
                .ending_at(released)
                .reply(envelope)),
            Err(e) => accept(envelope, &stream, Err(e), payment_body),
        }
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

    pub(super) async fn refund(
        &self,
        envelope: &CommandEnvelope,
        command: RefundPayment,
    ) -> Handled {
        let payment_id = command.payment_id;
        let mut amount = command.amount;
        let (state, done) = self.prepared(envelope, payment_id).await?;
        if !done {
            amount = match state.refund_amount(command.amount) {
                Ok(a) => a,
                Err(e) => return Ok(rejected(envelope, &e)),
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
        let refund = PaymentCommand::Refund {
            amount,
            reason: command.reason,
        };
        let result = self.execute_payment(envelope, payment_id, refund).await;
        accept(envelope, &payment_stream(payment_id), result, payment_body)
    }

    /// Credits the payer's wallet with what the payment debited (`None`: all that is left);
    /// the position of the credit, if one was appended.
    pub(super) async fn give_back(
        &self,
        envelope: &CommandEnvelope,
        step: &str,
        payment: &AuthorizePayment,
        amount: Option<Money>,
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
            Err(ExecuteError::Domain(WalletError::NoDebit(_))) => Ok(None),
            Err(ExecuteError::Domain(e)) => {
                tracing::error!(error = %e, payment_id = %payment.payment_id,
                    "cannot credit the wallet back");
                Ok(None)
            }
            Err(e) => Err(store_failure(e)),
        }
    }
}

/// The payer and payment a wallet movement concerns, in the shape `give_back` takes.
fn as_request(payment: &Payment) -> AuthorizePayment {
    AuthorizePayment {
        payment_id: payment.id,
        order_id: payment.order_id,
        payer_id: payment.payer_id,
        amount: payment
            .amount
            .unwrap_or(Money::zero(shared_kernel::Currency::EUR)),
        method: PaymentMethod::Wallet,
        token: None,
    }
}
