//! Returns (issue 13): the buyer sends back delivered lines of one seller within the return
//! window; the seller receives them; the saga then refunds their amount, puts their stock back
//! on hand and debits the seller's ledger. Lines are named by their sku.

use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, PaymentId, UserId};

use super::OrderStatus;
use crate::inventory::SkuQuantity;

shared_kernel::define_id!(
    /// A buyer's return of delivered lines of an order (one seller's).
    ReturnId
);

/// The buyer asked to send back delivered lines of one seller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequested {
    pub order_id: OrderId,
    pub return_id: ReturnId,
    pub buyer_id: UserId,
    /// Whose lines come back: they receive them.
    pub seller_id: UserId,
    /// The skus of the lines returned.
    pub skus: Vec<String>,
    /// The buyer's words, if any.
    #[serde(default)]
    pub reason: Option<String>,
    /// The order's status (unchanged by a return).
    pub order_status: OrderStatus,
}

/// The seller received the returned lines: the saga refunds `amount`, returns `lines` to stock
/// and debits the seller's ledger by `amount` (entry `returned:<order id>:<return id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnReceived {
    pub order_id: OrderId,
    pub return_id: ReturnId,
    pub seller_id: UserId,
    /// The skus of the lines returned.
    pub skus: Vec<String>,
    /// Their stock, per sku, back on hand.
    pub lines: Vec<SkuQuantity>,
    /// Their totals, summed: the refund, and the seller's debit.
    pub amount: Money,
    pub payment_id: PaymentId,
    /// The order's status (unchanged by a return).
    pub order_status: OrderStatus,
}
