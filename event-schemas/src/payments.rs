//! Events of the `payments` context, and the commands the order saga sends it.
//!
//! Streams: `payment-<payment id>` (one payment per order; the order chooses the id),
//! `wallet-<user id>` (a user's store credit, a second payment method with its own balance) and
//! `seller_ledger-<user id>` (what the platform owes a seller, and its payouts: [`ledger`]).
//!
//! | type | version | stream |
//! |---|---|---|
//! | `agora.payments.payment_authorized` | 1 | payment |
//! | `agora.payments.payment_declined` | 1 | payment |
//! | `agora.payments.payment_captured` | 1 | payment |
//! | `agora.payments.payment_voided` | 1 | payment |
//! | `agora.payments.payment_refunded` | 1 | payment |
//! | `agora.payments.wallet_credited` | 1 | wallet |
//! | `agora.payments.wallet_debited` | 1 | wallet |
//! | `agora.payments.seller_credited` | 1 | seller ledger |
//! | `agora.payments.seller_debited` | 1 | seller ledger |
//! | `agora.payments.payout_requested` | 1 | seller ledger |
//! | `agora.payments.payout_paid` | 1 | seller ledger |
//! | `agora.payments.payout_failed` | 1 | seller ledger |

use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, PaymentId, UserId};

use crate::upcast::{Catalogue, Upcaster};

pub mod ledger;

pub use ledger::{
    PAYOUT_FAILED, PAYOUT_PAID, PAYOUT_REQUESTED, PayoutFailed, PayoutId, PayoutPaid,
    PayoutRequested, SELLER_CREDITED, SELLER_DEBITED, SELLER_LEDGER_EVENTS, SellerBalance,
    SellerCredited, SellerDebited, SellerLedgerEvent,
};

pub const CONTEXT: &str = "payments";

pub const PAYMENT_AUTHORIZED: &str = "agora.payments.payment_authorized";
pub const PAYMENT_DECLINED: &str = "agora.payments.payment_declined";
pub const PAYMENT_CAPTURED: &str = "agora.payments.payment_captured";
pub const PAYMENT_VOIDED: &str = "agora.payments.payment_voided";
pub const PAYMENT_REFUNDED: &str = "agora.payments.payment_refunded";
pub const WALLET_CREDITED: &str = "agora.payments.wallet_credited";
pub const WALLET_DEBITED: &str = "agora.payments.wallet_debited";

/// The events of a `payment-<id>` stream.
pub const PAYMENT_EVENTS: &[&str] = &[
    PAYMENT_AUTHORIZED,
    PAYMENT_DECLINED,
    PAYMENT_CAPTURED,
    PAYMENT_VOIDED,
    PAYMENT_REFUNDED,
];
/// The events of a `wallet-<user>` stream.
pub const WALLET_EVENTS: &[&str] = &[WALLET_CREDITED, WALLET_DEBITED];

pub const CATALOGUE: Catalogue = &[
    (PAYMENT_AUTHORIZED, 1),
    (PAYMENT_DECLINED, 1),
    (PAYMENT_CAPTURED, 1),
    (PAYMENT_VOIDED, 1),
    (PAYMENT_REFUNDED, 1),
    (WALLET_CREDITED, 1),
    (WALLET_DEBITED, 1),
    (SELLER_CREDITED, 1),
    (SELLER_DEBITED, 1),
    (PAYOUT_REQUESTED, 1),
    (PAYOUT_PAID, 1),
    (PAYOUT_FAILED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// How a payment is made: a card token at the (simulated) provider, or store credit.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Wallet,
}

impl PaymentMethod {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Card => "card",
            Self::Wallet => "wallet",
        }
    }
}

/// The amount is held (card: at the provider; wallet: debited from the balance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentAuthorized {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub payer_id: UserId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// The provider's authorization id (card) or the wallet debit's reference.
    pub provider_reference: String,
}

/// The payment provider declined the authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentDeclined {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub payer_id: UserId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// `card_declined`, `insufficient_funds`, `cancelled` (voided before it was authorized), ...
    pub reason: String,
}

/// The authorised amount was captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentCaptured {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub amount: Money,
}

/// An authorization released without capture (the hold is dropped, the wallet credited back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentVoided {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub reason: String,
}

/// Money given back after capture; partial refunds add up to at most the captured amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRefunded {
    pub payment_id: PaymentId,
    pub order_id: OrderId,
    pub amount: Money,
    /// Everything refunded so far, this refund included.
    pub refunded_total: Money,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum PaymentEvent {
    #[serde(rename = "agora.payments.payment_authorized")]
    Authorized(PaymentAuthorized),
    #[serde(rename = "agora.payments.payment_declined")]
    Declined(PaymentDeclined),
    #[serde(rename = "agora.payments.payment_captured")]
    Captured(PaymentCaptured),
    #[serde(rename = "agora.payments.payment_voided")]
    Voided(PaymentVoided),
    #[serde(rename = "agora.payments.payment_refunded")]
    Refunded(PaymentRefunded),
}

crate::domain_event!(PaymentEvent, CATALOGUE, UPCASTERS, {
    Authorized => PAYMENT_AUTHORIZED,
    Declined => PAYMENT_DECLINED,
    Captured => PAYMENT_CAPTURED,
    Voided => PAYMENT_VOIDED,
    Refunded => PAYMENT_REFUNDED,
});

/// Store credit was added to a user's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletCredited {
    pub user_id: UserId,
    pub amount: Money,
    /// `grant` (by an admin), `refund`, `void`.
    pub reason: String,
    pub payment_id: Option<PaymentId>,
    pub balance: Money,
}

/// Store credit was spent from a user's wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WalletDebited {
    pub user_id: UserId,
    pub amount: Money,
    pub payment_id: PaymentId,
    pub balance: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum WalletEvent {
    #[serde(rename = "agora.payments.wallet_credited")]
    Credited(WalletCredited),
    #[serde(rename = "agora.payments.wallet_debited")]
    Debited(WalletDebited),
}

crate::domain_event!(WalletEvent, CATALOGUE, UPCASTERS, {
    Credited => WALLET_CREDITED,
    Debited => WALLET_DEBITED,
});

/// Commands the order saga sends to `payments` over the bus.
pub mod commands {
    use serde::{Deserialize, Serialize};
    use shared_kernel::Money;
    use shared_kernel::ids::{OrderId, PaymentId, UserId};

    use super::PaymentMethod;

    pub const AUTHORIZE_PAYMENT: &str = "authorize_payment";
    pub const CAPTURE_PAYMENT: &str = "capture_payment";
    pub const VOID_PAYMENT: &str = "void_payment";
    pub const REFUND_PAYMENT: &str = "refund_payment";
    pub const CREDIT_SELLER: &str = "credit_seller";
    pub const DEBIT_SELLER: &str = "debit_seller";

    /// Answered by `PaymentAuthorized` or `PaymentDeclined`. The provider is called with the
    /// payment id as its idempotency key, so a redelivered command never charges twice.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct AuthorizePayment {
        pub payment_id: PaymentId,
        pub order_id: OrderId,
        pub payer_id: UserId,
        pub amount: Money,
        pub method: PaymentMethod,
        /// The card token (`tok_ok`, `tok_declined`, `tok_slow` at the simulated provider).
        pub token: Option<String>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CapturePayment {
        pub payment_id: PaymentId,
    }

    /// Drop an authorization; sent before the authorization arrived, it prevents it (the
    /// payment is then declined with reason `cancelled`).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct VoidPayment {
        pub payment_id: PaymentId,
        pub reason: String,
    }

    /// Refund `amount` (everything not yet refunded when `None`).
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RefundPayment {
        pub payment_id: PaymentId,
        pub amount: Option<Money>,
        pub reason: String,
    }

    /// Credit a seller's ledger with the gross amount (sum of line totals, minor units) of
    /// lines delivered to a buyer; payments keeps the platform commission out of it. Sent by
    /// the order saga when a seller's fulfilment is delivered. `entry` names the ledger entry
    /// (`delivered:<order id>`): a second command with the same entry changes nothing.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CreditSeller {
        pub seller_id: UserId,
        pub order_id: OrderId,
        pub entry: String,
        pub gross: Money,
    }

    /// Debit a seller's ledger by the gross amount of credited lines that were refunded
    /// (a return); the commission kept on them is given back in the same proportion. Sent by
    /// the order saga when a return is refunded. `entry` names the ledger entry
    /// (`returned:<order id>:<return id>`): a second command with the same entry changes
    /// nothing.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct DebitSeller {
        pub seller_id: UserId,
        pub order_id: OrderId,
        pub entry: String,
        pub gross: Money,
    }
}
