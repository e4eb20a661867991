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

/// Every command the payments context takes, by the aggregate it acts on. The wire form is
/// each inner enum's `{"name", "payload"}`; the outer enum only says which aggregate's, so the
/// handler dispatches once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PaymentsCommand {
    /// The order saga's commands on an order's `Payment`.
    Payment(PaymentRequest),
    /// An admin's grant of store credit to a user's `Wallet`.
    Wallet(WalletRequest),
    /// The order saga's credits and debits, a seller's payout request and the payout
    /// completion's command, on a seller's `SellerLedger`.
    SellerLedger(LedgerRequest),
}

/// A command on a payment (the order saga's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum PaymentRequest {
    AuthorizePayment(AuthorizePayment),
    CapturePayment(CapturePayment),
    VoidPayment(VoidPayment),
    RefundPayment(RefundPayment),
}

/// A command on a user's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum WalletRequest {
    CreditWallet(CreditWallet),
}

/// A command on a seller's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum LedgerRequest {
    CreditSeller(CreditSeller),
    DebitSeller(DebitSeller),
    RequestPayout(RequestPayout),
    PayPayout(PayPayout),
}

impl shared_kernel::ContextCommand for PaymentsCommand {
    const CONTEXT: &'static str = CONTEXT;
}

impl From<PaymentRequest> for PaymentsCommand {
    fn from(request: PaymentRequest) -> Self {
        Self::Payment(request)
    }
}

impl From<WalletRequest> for PaymentsCommand {
    fn from(request: WalletRequest) -> Self {
        Self::Wallet(request)
    }
}

impl From<LedgerRequest> for PaymentsCommand {
    fn from(request: LedgerRequest) -> Self {
        Self::SellerLedger(request)
    }
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
        let cases: [(PaymentsCommand, &str); 7] = [
            (
                PaymentRequest::CapturePayment(CapturePayment { payment_id }).into(),
                contract::CAPTURE_PAYMENT,
            ),
            (
                PaymentRequest::VoidPayment(VoidPayment {
                    payment_id,
                    reason: "x".into(),
                })
                .into(),
                contract::VOID_PAYMENT,
            ),
            (
                PaymentRequest::RefundPayment(RefundPayment {
                    payment_id,
                    amount: None,
                    reason: "x".into(),
                })
                .into(),
                contract::REFUND_PAYMENT,
            ),
            (
                LedgerRequest::CreditSeller(CreditSeller {
                    seller_id: UserId::new(),
                    order_id: shared_kernel::ids::OrderId::new(),
                    entry: "delivered:x".into(),
                    gross: Money::new(100, shared_kernel::Currency::EUR),
                })
                .into(),
                contract::CREDIT_SELLER,
            ),
            (
                LedgerRequest::DebitSeller(DebitSeller {
                    seller_id: UserId::new(),
                    order_id: shared_kernel::ids::OrderId::new(),
                    entry: "returned:x:y".into(),
                    gross: Money::new(100, shared_kernel::Currency::EUR),
                })
                .into(),
                contract::DEBIT_SELLER,
            ),
            (
                WalletRequest::CreditWallet(CreditWallet {
                    user_id: UserId::new(),
                    amount: Money::new(100, shared_kernel::Currency::EUR),
                    reason: "x".into(),
                })
                .into(),
                CREDIT_WALLET,
            ),
            (
                LedgerRequest::PayPayout(PayPayout {
                    seller_id: UserId::new(),
                    payout_id: PayoutId::new(),
                })
                .into(),
                PAY_PAYOUT,
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
            PaymentsCommand::Payment(PaymentRequest::AuthorizePayment(_))
        ));
    }
}
