//! Per-seller fulfilment of an order (issue 13): an order's lines grouped per seller into
//! fulfilments; each seller ships and delivers their own, and the buyer may cancel lines not
//! yet shipped. Lines are named by their sku (one line per sku in an order).
//!
//! Every event carries the order's status after it (`order_status`), so a read model need not
//! recompute it, and what the saga's next step needs (the refund amount, the stock to give
//! back, the gross to credit).

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{Money, Timestamp};

use super::OrderStatus;
use crate::inventory::SkuQuantity;

/// A seller handed their fulfilment (their lines not cancelled) to a carrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentShipped {
    pub order_id: OrderId,
    pub seller_id: UserId,
    /// The carrier's name, e.g. `DHL`.
    pub carrier: String,
    pub tracking_number: String,
    /// The skus of the lines shipped.
    pub skus: Vec<String>,
    /// `partially_shipped` while another seller's fulfilment is not shipped, else `shipped`.
    pub order_status: OrderStatus,
}

/// A seller's shipped fulfilment reached the buyer. The saga credits the seller's ledger
/// with `gross`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentDelivered {
    pub order_id: OrderId,
    pub seller_id: UserId,
    /// The skus of the lines delivered.
    pub skus: Vec<String>,
    /// The delivered lines' totals, summed (minor units of the order's currency).
    pub gross: Money,
    /// When the seller marked it delivered: the return window starts here.
    pub delivered_at: Timestamp,
    /// `delivered` once every fulfilment is, else `shipped` or `partially_shipped`.
    pub order_status: OrderStatus,
}

/// The buyer cancelled some lines of a paid order that were not yet shipped: the saga gives
/// their stock back and refunds `amount`. (Cancelling every remaining line is an
/// `OrderCancelled`.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLinesCancelled {
    pub order_id: OrderId,
    /// The skus of the lines cancelled.
    pub skus: Vec<String>,
    /// The stock to give back, per sku.
    pub lines: Vec<SkuQuantity>,
    /// The cancelled lines' totals, summed: the refund.
    pub amount: Money,
    /// `buyer_cancelled`.
    pub reason: String,
    pub cancelled_by: UserId,
    pub payment_id: PaymentId,
    /// The order's status after the cancel (`paid`, `partially_shipped`, `shipped`, ...).
    pub order_status: OrderStatus,
}
