//! Events of the `ordering` context: the life of an order (stream `order-<order id>`).
//!
//! The order saga is stateless: each event carries what the next step needs (the lines to
//! reserve travel with `OrderPaymentAuthorized`, the previous status with `OrderCancelled`).
//!
//! The payment is authorised before any stock is held (`pending -> payment_authorized ->
//! stock_reserved -> paid`), so an order whose card is declined never keeps stock from a
//! paying buyer. `OrderStockReserved` keeps its v1 shape, the payment instruction included,
//! although the saga now only needs its payment id.
//!
//! | type | version |
//! |---|---|
//! | `agora.ordering.order_placed` | 1 |
//! | `agora.ordering.order_payment_authorized` | 1 |
//! | `agora.ordering.order_stock_reserved` | 1 |
//! | `agora.ordering.order_paid` | 1 |
//! | `agora.ordering.order_shipped` | 1 |
//! | `agora.ordering.order_delivered` | 1 |
//! | `agora.ordering.order_cancelled` | 1 |
//! | `agora.ordering.order_rejected` | 1 |
//! | `agora.ordering.fulfilment_shipped` | 1 |
//! | `agora.ordering.fulfilment_delivered` | 1 |
//! | `agora.ordering.order_lines_cancelled` | 1 |
//! | `agora.ordering.return_requested` | 1 |
//! | `agora.ordering.return_received` | 1 |
//!
//! `order_shipped` and `order_delivered` (the whole order at once) are no longer recorded:
//! each seller ships and delivers their own fulfilment ([`fulfilment`]). Old streams keep them
//! and still load.

use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};

use crate::inventory::SkuQuantity;
use crate::payments::PaymentMethod;
use crate::upcast::{Catalogue, Upcaster};

pub const CONTEXT: &str = "ordering";

pub const ORDER_PLACED: &str = "agora.ordering.order_placed";
pub const ORDER_PAYMENT_AUTHORIZED: &str = "agora.ordering.order_payment_authorized";
pub const ORDER_STOCK_RESERVED: &str = "agora.ordering.order_stock_reserved";
pub const ORDER_PAID: &str = "agora.ordering.order_paid";
pub const ORDER_SHIPPED: &str = "agora.ordering.order_shipped";
pub const ORDER_DELIVERED: &str = "agora.ordering.order_delivered";
pub const ORDER_CANCELLED: &str = "agora.ordering.order_cancelled";
pub const ORDER_REJECTED: &str = "agora.ordering.order_rejected";
pub const FULFILMENT_SHIPPED: &str = "agora.ordering.fulfilment_shipped";
pub const FULFILMENT_DELIVERED: &str = "agora.ordering.fulfilment_delivered";
pub const ORDER_LINES_CANCELLED: &str = "agora.ordering.order_lines_cancelled";
pub const RETURN_REQUESTED: &str = "agora.ordering.return_requested";
pub const RETURN_RECEIVED: &str = "agora.ordering.return_received";

mod fulfilment;
mod returns;

pub use fulfilment::{FulfilmentDelivered, FulfilmentShipped, OrderLinesCancelled};
pub use returns::{ReturnId, ReturnReceived, ReturnRequested};

/// The events of an `order-<id>` stream.
pub const ORDER_EVENTS: &[&str] = &[
    ORDER_PLACED,
    ORDER_PAYMENT_AUTHORIZED,
    ORDER_STOCK_RESERVED,
    ORDER_PAID,
    ORDER_SHIPPED,
    ORDER_DELIVERED,
    ORDER_CANCELLED,
    ORDER_REJECTED,
    FULFILMENT_SHIPPED,
    FULFILMENT_DELIVERED,
    ORDER_LINES_CANCELLED,
    RETURN_REQUESTED,
    RETURN_RECEIVED,
];

pub const CATALOGUE: Catalogue = &[
    (ORDER_PLACED, 1),
    (ORDER_PAYMENT_AUTHORIZED, 1),
    (ORDER_STOCK_RESERVED, 1),
    (ORDER_PAID, 1),
    (ORDER_SHIPPED, 1),
    (ORDER_DELIVERED, 1),
    (ORDER_CANCELLED, 1),
    (ORDER_REJECTED, 1),
    (FULFILMENT_SHIPPED, 1),
    (FULFILMENT_DELIVERED, 1),
    (ORDER_LINES_CANCELLED, 1),
    (RETURN_REQUESTED, 1),
    (RETURN_RECEIVED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// Order statuses as API.md names them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    #[default]
    Pending,
    /// The buyer's payment is held; no stock is yet.
    PaymentAuthorized,
    StockReserved,
    Paid,
    /// Some sellers shipped their fulfilment, others not yet.
    PartiallyShipped,
    Shipped,
    Delivered,
    Cancelled,
    Rejected,
}

impl OrderStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::PaymentAuthorized => "payment_authorized",
            Self::StockReserved => "stock_reserved",
            Self::Paid => "paid",
            Self::PartiallyShipped => "partially_shipped",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Rejected => "rejected",
        }
    }
}

/// One line, priced when the order was placed: later price changes do not touch it.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub product_id: ProductId,
    pub sku: String,
    pub seller_id: UserId,
    pub title: String,
    pub quantity: i64,
    pub unit_price: Money,
    pub line_total: Money,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ShippingAddress {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "GB")]
    pub country: String,
}

/// How the buyer pays.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct PaymentInstruction {
    pub method: PaymentMethod,
    /// The card token of the payment provider (`card`); the simulated provider's `tok_ok`
    /// authorises, `tok_declined` declines, `tok_slow` answers late.
    #[serde(default)]
    pub token: Option<String>,
}

/// A buyer placed an order: its lines priced then, the shipping address and the payment instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPlaced {
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub shipping_address: ShippingAddress,
    pub payment: PaymentInstruction,
    /// The payment this order will use (chosen now, so every retry names the same one).
    pub payment_id: PaymentId,
}

/// The payment is authorised (held, not captured): the order's stock may now be reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPaymentAuthorized {
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    /// The authorised amount: the order total.
    pub amount: Money,
    /// What to reserve: one entry per sku, quantities summed over the order's lines.
    pub lines: Vec<SkuQuantity>,
}

/// Stock for every line of the order is reserved: the payment may be captured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderStockReserved {
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub total: Money,
    pub payment: PaymentInstruction,
    pub payment_id: PaymentId,
}

/// The payment was captured: the order is paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPaid {
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub amount: Money,
}

/// The whole order was shipped (old streams only: sellers now ship their own fulfilment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderShipped {
    pub order_id: OrderId,
    pub shipped_by: UserId,
}

/// The whole order was delivered (old streams only: sellers now deliver their own fulfilment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderDelivered {
    pub order_id: OrderId,
}

/// The order was cancelled: by its buyer, or by the platform (payment timeout, expired reservation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCancelled {
    pub order_id: OrderId,
    /// `buyer_cancelled`, `payment_timeout`, `reservation_expired`.
    pub reason: String,
    /// The buyer, or `None` when the platform cancelled (timeout, expiry).
    pub cancelled_by: Option<UserId>,
    /// What compensation is owed depends on how far the order got.
    pub previous_status: OrderStatus,
    pub payment_id: PaymentId,
}

/// The order was rejected (out of stock, payment declined...), with what to compensate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRejected {
    pub order_id: OrderId,
    /// `out_of_stock`, `unknown_sku`, `payment_declined`, ...
    pub reason: String,
    pub previous_status: OrderStatus,
    pub payment_id: PaymentId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum OrderEvent {
    #[serde(rename = "agora.ordering.order_placed")]
    Placed(OrderPlaced),
    #[serde(rename = "agora.ordering.order_payment_authorized")]
    PaymentAuthorized(OrderPaymentAuthorized),
    #[serde(rename = "agora.ordering.order_stock_reserved")]
    StockReserved(OrderStockReserved),
    #[serde(rename = "agora.ordering.order_paid")]
    Paid(OrderPaid),
    #[serde(rename = "agora.ordering.order_shipped")]
    Shipped(OrderShipped),
    #[serde(rename = "agora.ordering.order_delivered")]
    Delivered(OrderDelivered),
    #[serde(rename = "agora.ordering.order_cancelled")]
    Cancelled(OrderCancelled),
    #[serde(rename = "agora.ordering.order_rejected")]
    Rejected(OrderRejected),
    #[serde(rename = "agora.ordering.fulfilment_shipped")]
    FulfilmentShipped(FulfilmentShipped),
    #[serde(rename = "agora.ordering.fulfilment_delivered")]
    FulfilmentDelivered(FulfilmentDelivered),
    #[serde(rename = "agora.ordering.order_lines_cancelled")]
    LinesCancelled(OrderLinesCancelled),
    #[serde(rename = "agora.ordering.return_requested")]
    ReturnRequested(ReturnRequested),
    #[serde(rename = "agora.ordering.return_received")]
    ReturnReceived(ReturnReceived),
}

crate::domain_event!(OrderEvent, CATALOGUE, UPCASTERS, {
    Placed => ORDER_PLACED,
    PaymentAuthorized => ORDER_PAYMENT_AUTHORIZED,
    StockReserved => ORDER_STOCK_RESERVED,
    Paid => ORDER_PAID,
    Shipped => ORDER_SHIPPED,
    Delivered => ORDER_DELIVERED,
    Cancelled => ORDER_CANCELLED,
    Rejected => ORDER_REJECTED,
    FulfilmentShipped => FULFILMENT_SHIPPED,
    FulfilmentDelivered => FULFILMENT_DELIVERED,
    LinesCancelled => ORDER_LINES_CANCELLED,
    ReturnRequested => RETURN_REQUESTED,
    ReturnReceived => RETURN_RECEIVED,
});
