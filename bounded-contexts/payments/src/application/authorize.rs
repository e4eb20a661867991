//! Authorizing a payment: ask the provider (card) or debit the wallet, then record the
//! answer; an answer that arrives after the payment was voided is released at once.

use std::sync::PoisonError;

use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::AuthorizePayment;
use shared_kernel::application::{
    ExecuteError, Handled, Rejection as _, accept, conflicted, rejected, store_failure,
};
use shared_kernel::ids::PaymentId;
use shared_kernel::payments::Authorization;
use shared_kernel::{CommandEnvelope, CommandReply, StoreError};

use super::handler::{PaymentsHandler, payment_body, payment_stream, provider_rejection};
use crate::domain::{
    DECLINED_INVALID_TOKEN, PaymentCommand, PaymentError, WalletCommand, check_request,
};

/// The follow-up steps one command takes on the payer's wallet.
pub(super) const WALLET_STEP: &str = "wallet";
pub(super) const WALLET_COMPENSATION_STEP: &str = "wallet-compensation";

impl PaymentsHandler {
    pub(super) async fn authorize(
        &self,
        envelope: &CommandEnvelope,
        request: AuthorizePayment,
    ) -> Handled {
        if let Err(e) = check_request(&request) {
            return Ok(rejected(envelope, &e));
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
        let record = PaymentCommand::RecordAuthorization {
            request: request.clone(),
            outcome: outcome.clone(),
        };
        let result = self.execute_payment(envelope, payment_id, record).await;
        if matches!(result, Err(ExecuteError::Domain(PaymentError::Cancelled))) {
            // Voided while the answer was on its way: nothing may stay held.
            self.release_late_authorization(envelope, &request, &outcome, asked)
                .await?;
        }
        accept(envelope, &payment_stream(payment_id), result, payment_body)
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
                        reason: e.code_and_kind().0.to_owned(),
                    })),
                    Err(ExecuteError::Conflict) => Ok(Err(conflicted(envelope))),
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
