//! The payments commands as they travel on the command bus: the four the order saga sends
//! (their payloads are published in `event_schemas::payments::commands`) and the admin's
//! wallet grant.

use event_schemas::payments::commands::{
    AuthorizePayment, CapturePayment, RefundPayment, VoidPayment,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum PaymentsCommand {
    AuthorizePayment(AuthorizePayment),
    CapturePayment(CapturePayment),
    VoidPayment(VoidPayment),
    RefundPayment(RefundPayment),
    CreditWallet(CreditWallet),
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
