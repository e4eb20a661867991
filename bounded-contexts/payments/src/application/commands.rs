//! The payments commands as they travel on the command bus: the ones the order saga sends
//! (their payloads are published in `event_schemas::payments::commands`), the admin's wallet
//! grant and a seller's payout request.

use event_schemas::payments::PayoutId;
use event_schemas::payments::commands::{
    AuthorizePayment, CapturePayment, CreditSeller, DebitSeller, RefundPayment, VoidPayment,
};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::UserId;

use crate::CONTEXT;

/// Store credit granted by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditWallet {
    pub user_id: UserId,
    pub amount: Money,
    pub reason: String,
}

pub const CREDIT_WALLET: &str = "credit_wallet";

/// A seller (the command's actor) asks to be paid `amount` of their available balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestPayout {
    /// Chosen by the sender (the HTTP route derives it from the request's command id): a
    /// second request with the same id is the same payout.
    pub payout_id: PayoutId,
    pub amount: Money,
}

pub const REQUEST_PAYOUT: &str = "request_payout";

/// Pay a held payout that has no answer yet (sent by the payout completion process manager
/// for every `PayoutRequested`; nothing happens when the payout was answered already).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayPayout {
    pub seller_id: UserId,
    pub payout_id: PayoutId,
}

pub const PAY_PAYOUT: &str = "pay_payout";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum PaymentsCommand {
    AuthorizePayment(AuthorizePayment),
    CapturePayment(CapturePayment),
    VoidPayment(VoidPayment),
    RefundPayment(RefundPayment),
    CreditWallet(CreditWallet),
    CreditSeller(CreditSeller),
    DebitSeller(DebitSeller),
    RequestPayout(RequestPayout),
    PayPayout(PayPayout),
}

impl shared_kernel::ContextCommand for PaymentsCommand {
    const CONTEXT: &'static str = CONTEXT;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use event_schemas::payments::commands as contract;
    use shared_kernel::ContextCommand as _;
    use shared_kernel::ids::PaymentId;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn command_names_are_the_published_ones() {
        let payment_id = PaymentId::new();
        let cases = [
            (
                PaymentsCommand::CapturePayment(CapturePayment { payment_id }),
                contract::CAPTURE_PAYMENT,
            ),
            (
                PaymentsCommand::VoidPayment(VoidPayment {
                    payment_id,
                    reason: "x".into(),
                }),
                contract::VOID_PAYMENT,
            ),
            (
                PaymentsCommand::RefundPayment(RefundPayment {
                    payment_id,
                    amount: None,
                    reason: "x".into(),
                }),
                contract::REFUND_PAYMENT,
            ),
            (
                PaymentsCommand::CreditSeller(CreditSeller {
                    seller_id: UserId::new(),
                    order_id: shared_kernel::ids::OrderId::new(),
                    entry: "delivered:x".into(),
                    gross: Money::new(100, shared_kernel::Currency::EUR),
                }),
                contract::CREDIT_SELLER,
            ),
            (
                PaymentsCommand::DebitSeller(DebitSeller {
                    seller_id: UserId::new(),
                    order_id: shared_kernel::ids::OrderId::new(),
                    entry: "returned:x:y".into(),
                    gross: Money::new(100, shared_kernel::Currency::EUR),
                }),
                contract::DEBIT_SELLER,
            ),
        ];
        for (command, name) in cases {
            let envelope = command.envelope(Uuid::now_v7(), "system:test").unwrap();
            assert_eq!(envelope.name, name);
            assert_eq!(
                envelope.unwrap_command::<PaymentsCommand>().unwrap(),
                command
            );
        }
        let authorize = serde_json::json!({
            "name": contract::AUTHORIZE_PAYMENT,
            "payload": {
                "payment_id": payment_id, "order_id": Uuid::now_v7(), "payer_id": Uuid::now_v7(),
                "amount": { "amount_minor": 100, "currency": "EUR" },
                "method": "card", "token": "tok_ok"
            }
        });
        assert!(matches!(
            serde_json::from_value::<PaymentsCommand>(authorize).unwrap(),
            PaymentsCommand::AuthorizePayment(_)
        ));
    }
}
