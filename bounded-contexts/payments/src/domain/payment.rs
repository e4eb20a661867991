//! The Payment aggregate: pending -> authorized -> captured -> (partially) refunded, or
//! declined, or voided. One per order, on `payment-<payment id>`.
//!
//! The provider is asked by the application layer; the aggregate only records its answer and
//! guards the rules: capture only after authorization, no void after capture, refunds never
//! above the captured amount, and a payment voided before it was authorized stays declined
//! (`cancelled`) so a late authorization is refused.

use event_schemas::payments::commands::AuthorizePayment;
use event_schemas::payments::{
    PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentEvent, PaymentMethod,
    PaymentRefunded, PaymentVoided,
};
use shared_kernel::RejectionKind;
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::payments::Authorization;
use shared_kernel::{Aggregate, Currency, Money, TextRule, Timestamp};

/// The decline reason of a payment voided before it was authorized.
pub const DECLINED_CANCELLED: &str = "cancelled";
/// Why a payment is refunded, as an admin (or a compensation) states it.
const REFUND_REASON: TextRule = TextRule::multiline("reason", 1, 1_000);
/// The decline reason of a card payment without a usable token.
pub const DECLINED_INVALID_TOKEN: &str = "invalid_token";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Nothing recorded yet (the authorization may be under way).
    #[default]
    Pending,
    Authorized,
    Declined,
    Captured,
    PartiallyRefunded,
    Refunded,
    Voided,
}

impl PaymentStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Authorized => "authorized",
            Self::Declined => "declined",
            Self::Captured => "captured",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
        }
    }

    const fn was_captured(self) -> bool {
        matches!(
            self,
            Self::Captured | Self::PartiallyRefunded | Self::Refunded
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payment {
    pub id: PaymentId,
    pub order_id: OrderId,
    pub payer_id: UserId,
    pub status: PaymentStatus,
    pub amount: Option<Money>,
    pub method: Option<PaymentMethod>,
    /// The provider's authorization (card) or the wallet debit's reference.
    pub provider_reference: Option<String>,
    pub decline_reason: Option<String>,
    pub captured: Option<Money>,
    /// Refunded so far (minor units of the captured currency).
    pub refunded_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentCommand {
    /// Records the provider's (or the wallet's) answer to the authorization request.
    RecordAuthorization {
        request: AuthorizePayment,
        outcome: Authorization,
    },
    Capture,
    /// Drops the authorization. Before one was recorded, the payment is declined
    /// (`cancelled`); `request` is what is known of the authorization under way, if anything.
    Void {
        payment_id: PaymentId,
        reason: String,
        request: Option<AuthorizePayment>,
    },
    /// Gives back `amount`, or everything not yet refunded when `None`.
    Refund {
        amount: Option<Money>,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    #[error("payment not found")]
    NotFound,
    #[error("the payment was cancelled before it was authorized")]
    Cancelled,
    #[error("the payment is already {0} with another outcome")]
    AlreadyDecided(&'static str),
    #[error("payment is {0} and cannot be {1}")]
    InvalidTransition(&'static str, &'static str),
    #[error("refund of {requested} exceeds the {refundable} still refundable")]
    RefundExceedsCaptured { requested: Money, refundable: Money },
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for PaymentError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::NotFound => ("not_found", RejectionKind::NotFound),
            Self::Cancelled => ("payment_cancelled", RejectionKind::Conflict),
            Self::AlreadyDecided(_) => ("payment_already_decided", RejectionKind::Conflict),
            Self::InvalidTransition(..) => ("invalid_payment_state", RejectionKind::Conflict),
            Self::RefundExceedsCaptured { .. } => {
                ("refund_exceeds_captured", RejectionKind::Invalid)
            }
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }

    /// The amounts an over-refund names, in minor units.
    fn details(&self) -> Option<serde_json::Value> {
        match self {
            Self::RefundExceedsCaptured {
                requested,
                refundable,
            } => Some(serde_json::json!({ "requested": requested, "refundable": refundable })),
            _ => None,
        }
    }
}

/// The checks an authorization request must pass before anyone is asked to hold money.
///
/// # Errors
/// A non-positive amount.
pub fn check_request(request: &AuthorizePayment) -> Result<(), PaymentError> {
    if request.amount.amount_minor <= 0 {
        return Err(PaymentError::Invalid(
            "a payment's amount must be greater than zero".into(),
        ));
    }
    Ok(())
}

impl Payment {
    /// The answer already recorded, in the provider's terms (`None` while pending).
    #[must_use]
    pub fn recorded_outcome(&self) -> Option<Authorization> {
        match (&self.provider_reference, &self.decline_reason) {
            (Some(reference), _) => Some(Authorization::Authorized {
                reference: reference.clone(),
            }),
            (None, Some(reason)) => Some(Authorization::Declined {
                reason: reason.clone(),
            }),
            (None, None) => None,
        }
    }

    /// Whether the payment was declined because it was voided before its authorization.
    #[must_use]
    pub fn was_cancelled(&self) -> bool {
        self.status == PaymentStatus::Declined
            && self.decline_reason.as_deref() == Some(DECLINED_CANCELLED)
    }

    /// What a refund of `requested` (everything left when `None`) gives back: `None` when there
    /// is nothing left to refund.
    ///
    /// # Errors
    /// Not captured, a non-positive amount or another currency, or more than is refundable.
    pub fn refund_amount(&self, requested: Option<Money>) -> Result<Option<Money>, PaymentError> {
        let captured = match (self.status, self.captured) {
            (PaymentStatus::Pending, _) => return Err(PaymentError::NotFound),
            (s, Some(captured)) if s.was_captured() => captured,
            (s, _) => return Err(PaymentError::InvalidTransition(s.as_str(), "refunded")),
        };
        let refundable = Money::new(
            captured.amount_minor.saturating_sub(self.refunded_minor),
            captured.currency,
        );
        let Some(amount) = requested else {
            return Ok((refundable.amount_minor > 0).then_some(refundable));
        };
        if amount.amount_minor <= 0 {
            return Err(PaymentError::Invalid(
                "a refund must be greater than zero".into(),
            ));
        }
        if amount.currency != captured.currency {
            return Err(PaymentError::Invalid(format!(
                "the payment is in {}, not {}",
                captured.currency, amount.currency
            )));
        }
        if amount.amount_minor > refundable.amount_minor {
            return Err(PaymentError::RefundExceedsCaptured {
                requested: amount,
                refundable,
            });
        }
        Ok(Some(amount))
    }

    fn record_authorization(
        &self,
        request: AuthorizePayment,
        outcome: Authorization,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        check_request(&request)?;
        if self.status == PaymentStatus::Pending {
            return Ok(vec![match outcome {
                Authorization::Authorized { reference } => {
                    PaymentEvent::Authorized(PaymentAuthorized {
                        payment_id: request.payment_id,
                        order_id: request.order_id,
                        payer_id: request.payer_id,
                        amount: request.amount,
                        method: request.method,
                        provider_reference: reference,
                    })
                }
                Authorization::Declined { reason } => PaymentEvent::Declined(PaymentDeclined {
                    payment_id: request.payment_id,
                    order_id: request.order_id,
                    payer_id: request.payer_id,
                    amount: request.amount,
                    method: request.method,
                    reason,
                }),
            }]);
        }
        if self.was_cancelled() {
            return Err(PaymentError::Cancelled);
        }
        // A repeated request with the answer already recorded changes nothing.
        if self.recorded_outcome() == Some(outcome) {
            Ok(vec![])
        } else {
            Err(PaymentError::AlreadyDecided(self.status.as_str()))
        }
    }

    fn void(
        &self,
        payment_id: PaymentId,
        reason: String,
        request: Option<AuthorizePayment>,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        match self.status {
            PaymentStatus::Pending => {
                // Nothing is held yet: decline, so the authorization under way is refused
                // when it reports back. What the request said is kept when it is known.
                let request = request.unwrap_or_else(|| AuthorizePayment {
                    payment_id,
                    order_id: OrderId::default(),
                    payer_id: UserId::default(),
                    amount: Money::zero(Currency::EUR),
                    method: PaymentMethod::Card,
                    token: None,
                });
                Ok(vec![PaymentEvent::Declined(PaymentDeclined {
                    payment_id: request.payment_id,
                    order_id: request.order_id,
                    payer_id: request.payer_id,
                    amount: request.amount,
                    method: request.method,
                    reason: DECLINED_CANCELLED.into(),
                })])
            }
            PaymentStatus::Authorized => Ok(vec![PaymentEvent::Voided(PaymentVoided {
                payment_id: self.id,
                order_id: self.order_id,
                reason,
            })]),
            // Nothing is held: voiding again (or a declined payment) changes nothing.
            PaymentStatus::Voided | PaymentStatus::Declined => Ok(vec![]),
            s => Err(PaymentError::InvalidTransition(s.as_str(), "voided")),
        }
    }
}

impl Aggregate for Payment {
    const KIND: &'static str = "payment";
    type Command = PaymentCommand;
    type Event = PaymentEvent;
    type Error = PaymentError;

    fn creates(command: &PaymentCommand) -> bool {
        matches!(command, PaymentCommand::RecordAuthorization { .. })
    }

    fn decide(
        &self,
        command: PaymentCommand,
        _now: Timestamp,
    ) -> Result<Vec<PaymentEvent>, PaymentError> {
        match command {
            PaymentCommand::RecordAuthorization { request, outcome } => {
                self.record_authorization(request, outcome)
            }
            PaymentCommand::Capture => match (self.status, self.amount) {
                (PaymentStatus::Authorized, Some(amount)) => {
                    Ok(vec![PaymentEvent::Captured(PaymentCaptured {
                        payment_id: self.id,
                        order_id: self.order_id,
                        amount,
                    })])
                }
                (PaymentStatus::Pending, _) => Err(PaymentError::NotFound),
                // Capturing twice is a no-op, so a redelivered capture succeeds.
                (s, _) if s.was_captured() => Ok(vec![]),
                (s, _) => Err(PaymentError::InvalidTransition(s.as_str(), "captured")),
            },
            PaymentCommand::Void {
                payment_id,
                reason,
                request,
            } => self.void(payment_id, reason, request),
            PaymentCommand::Refund { amount, reason } => {
                REFUND_REASON
                    .check(&reason)
                    .map_err(|e| PaymentError::Invalid(e.to_string()))?;
                let Some(amount) = self.refund_amount(amount)? else {
                    return Ok(vec![]);
                };
                let refunded_total = Money::new(
                    self.refunded_minor.saturating_add(amount.amount_minor),
                    amount.currency,
                );
                Ok(vec![PaymentEvent::Refunded(PaymentRefunded {
                    payment_id: self.id,
                    order_id: self.order_id,
                    amount,
                    refunded_total,
                    reason,
                })])
            }
        }
    }

    fn evolve(self, event: &PaymentEvent) -> Self {
        match event {
            PaymentEvent::Authorized(e) => Self {
                id: e.payment_id,
                order_id: e.order_id,
                payer_id: e.payer_id,
                status: PaymentStatus::Authorized,
                amount: Some(e.amount),
                method: Some(e.method),
                provider_reference: Some(e.provider_reference.clone()),
                ..self
            },
            PaymentEvent::Declined(e) => Self {
                id: e.payment_id,
                order_id: e.order_id,
                payer_id: e.payer_id,
                status: PaymentStatus::Declined,
                amount: Some(e.amount),
                method: Some(e.method),
                decline_reason: Some(e.reason.clone()),
                ..self
            },
            PaymentEvent::Captured(e) => Self {
                status: PaymentStatus::Captured,
                captured: Some(e.amount),
                ..self
            },
            PaymentEvent::Voided(_) => Self {
                status: PaymentStatus::Voided,
                ..self
            },
            PaymentEvent::Refunded(e) => {
                let fully = self
                    .captured
                    .is_some_and(|c| e.refunded_total.amount_minor >= c.amount_minor);
                Self {
                    status: if fully {
                        PaymentStatus::Refunded
                    } else {
                        PaymentStatus::PartiallyRefunded
                    },
                    refunded_minor: e.refunded_total.amount_minor,
                    ..self
                }
            }
        }
    }
}
