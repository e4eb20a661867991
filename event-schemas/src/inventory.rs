//! Events of the `inventory` context, and the commands other contexts (the order saga) send it.
//!
//! Two stream kinds:
//! - `stock-<sku>`: the stock ledger of one sku. Every movement is an event with its signed
//!   effect, and also carries the resulting [`StockLevels`], so a read model can show the levels
//!   without summing (and a test can check that the ledger sums to them).
//! - `reservation-<order id>`: one order's reservation across its skus, the outcome the order
//!   saga waits for (`ReservationConfirmed` or `ReservationFailed`).
//!
//! | type | version | stream |
//! |---|---|---|
//! | `agora.inventory.stock_item_opened` | 1 | stock |
//! | `agora.inventory.stock_received` | 1 | stock |
//! | `agora.inventory.stock_adjusted` | 1 | stock |
//! | `agora.inventory.stock_reserved` | 1 | stock |
//! | `agora.inventory.stock_released` | 1 | stock |
//! | `agora.inventory.stock_committed` | 1 | stock |
//! | `agora.inventory.stock_returned` | 1 | stock |
//! | `agora.inventory.low_stock_threshold_set` | 1 | stock |
//! | `agora.inventory.low_stock_detected` | 1 | stock |
//! | `agora.inventory.reservation_confirmed` | 1 | reservation |
//! | `agora.inventory.reservation_failed` | 1 | reservation |
//! | `agora.inventory.reservation_committed` | 1 | reservation |
//! | `agora.inventory.reservation_released` | 1 | reservation |
//! | `agora.inventory.reservation_expired` | 1 | reservation |
//! | `agora.inventory.reservation_lines_released` | 1 | reservation |

use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::{OrderId, ProductId, UserId};

use crate::upcast::{Catalogue, Upcaster};

pub const CONTEXT: &str = "inventory";

pub const STOCK_ITEM_OPENED: &str = "agora.inventory.stock_item_opened";
pub const STOCK_RECEIVED: &str = "agora.inventory.stock_received";
pub const STOCK_ADJUSTED: &str = "agora.inventory.stock_adjusted";
pub const STOCK_RESERVED: &str = "agora.inventory.stock_reserved";
pub const STOCK_RELEASED: &str = "agora.inventory.stock_released";
pub const STOCK_COMMITTED: &str = "agora.inventory.stock_committed";
pub const STOCK_RETURNED: &str = "agora.inventory.stock_returned";
pub const LOW_STOCK_THRESHOLD_SET: &str = "agora.inventory.low_stock_threshold_set";
pub const LOW_STOCK_DETECTED: &str = "agora.inventory.low_stock_detected";
pub const RESERVATION_CONFIRMED: &str = "agora.inventory.reservation_confirmed";
pub const RESERVATION_FAILED: &str = "agora.inventory.reservation_failed";
pub const RESERVATION_COMMITTED: &str = "agora.inventory.reservation_committed";
pub const RESERVATION_RELEASED: &str = "agora.inventory.reservation_released";
pub const RESERVATION_EXPIRED: &str = "agora.inventory.reservation_expired";
pub const RESERVATION_LINES_RELEASED: &str = "agora.inventory.reservation_lines_released";

/// The events of a `stock-<sku>` stream.
pub const STOCK_EVENTS: &[&str] = &[
    STOCK_ITEM_OPENED,
    STOCK_RECEIVED,
    STOCK_ADJUSTED,
    STOCK_RESERVED,
    STOCK_RELEASED,
    STOCK_COMMITTED,
    STOCK_RETURNED,
    LOW_STOCK_THRESHOLD_SET,
    LOW_STOCK_DETECTED,
];
/// The stock events that change a sku's `available` level (a commit moves the units out of
/// both `on_hand` and `reserved`, and leaves it as it was).
pub const AVAILABILITY_EVENTS: &[&str] = &[
    STOCK_ITEM_OPENED,
    STOCK_RECEIVED,
    STOCK_ADJUSTED,
    STOCK_RESERVED,
    STOCK_RELEASED,
    STOCK_RETURNED,
];
/// The events of a `reservation-<order>` stream.
pub const RESERVATION_EVENTS: &[&str] = &[
    RESERVATION_CONFIRMED,
    RESERVATION_FAILED,
    RESERVATION_COMMITTED,
    RESERVATION_RELEASED,
    RESERVATION_EXPIRED,
    RESERVATION_LINES_RELEASED,
];

pub const CATALOGUE: Catalogue = &[
    (STOCK_ITEM_OPENED, 1),
    (STOCK_RECEIVED, 1),
    (STOCK_ADJUSTED, 1),
    (STOCK_RESERVED, 1),
    (STOCK_RELEASED, 1),
    (STOCK_COMMITTED, 1),
    (STOCK_RETURNED, 1),
    (LOW_STOCK_THRESHOLD_SET, 1),
    (LOW_STOCK_DETECTED, 1),
    (RESERVATION_CONFIRMED, 1),
    (RESERVATION_FAILED, 1),
    (RESERVATION_COMMITTED, 1),
    (RESERVATION_RELEASED, 1),
    (RESERVATION_EXPIRED, 1),
    (RESERVATION_LINES_RELEASED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// The levels of a sku after an event: `available = on_hand - reserved`, never negative.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct StockLevels {
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}

/// The first event of a stock stream: whose sku it is, and when it counts as low.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockItemOpened {
    pub sku: String,
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub low_stock_threshold: i64,
}

/// Goods arrived: `on_hand += quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockReceived {
    pub sku: String,
    pub quantity: i64,
    pub levels: StockLevels,
}

/// A correction (count, damage, loss): `on_hand += delta`, delta may be negative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockAdjusted {
    pub sku: String,
    pub delta: i64,
    pub reason: String,
    pub levels: StockLevels,
}

/// Part of an order's reservation on this sku: `reserved += quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockReserved {
    pub sku: String,
    pub order_id: OrderId,
    pub quantity: i64,
    pub levels: StockLevels,
}

/// A reservation given back (order rejected, cancelled or expired): `reserved -= quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockReleased {
    pub sku: String,
    pub order_id: OrderId,
    pub quantity: i64,
    pub reason: String,
    pub levels: StockLevels,
}

/// A reservation turned into a sale (order paid): `reserved -= quantity, on_hand -= quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockCommitted {
    pub sku: String,
    pub order_id: OrderId,
    pub quantity: i64,
    pub levels: StockLevels,
}

/// A sold quantity back on the shelf (paid order cancelled): `on_hand += quantity`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StockReturned {
    pub sku: String,
    pub order_id: OrderId,
    pub quantity: i64,
    pub reason: String,
    pub levels: StockLevels,
}

/// The seller set the level at or below which the sku raises a low-stock alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LowStockThresholdSet {
    pub sku: String,
    pub threshold: i64,
}

/// Available fell under the threshold (recorded once per crossing, not on every movement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LowStockDetected {
    pub sku: String,
    pub product_id: ProductId,
    pub seller_id: UserId,
    pub available: i64,
    pub threshold: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum StockEvent {
    #[serde(rename = "agora.inventory.stock_item_opened")]
    Opened(StockItemOpened),
    #[serde(rename = "agora.inventory.stock_received")]
    Received(StockReceived),
    #[serde(rename = "agora.inventory.stock_adjusted")]
    Adjusted(StockAdjusted),
    #[serde(rename = "agora.inventory.stock_reserved")]
    Reserved(StockReserved),
    #[serde(rename = "agora.inventory.stock_released")]
    Released(StockReleased),
    #[serde(rename = "agora.inventory.stock_committed")]
    Committed(StockCommitted),
    #[serde(rename = "agora.inventory.stock_returned")]
    Returned(StockReturned),
    #[serde(rename = "agora.inventory.low_stock_threshold_set")]
    ThresholdSet(LowStockThresholdSet),
    #[serde(rename = "agora.inventory.low_stock_detected")]
    LowStockDetected(LowStockDetected),
}

crate::domain_event!(StockEvent, CATALOGUE, UPCASTERS, {
    Opened => STOCK_ITEM_OPENED,
    Received => STOCK_RECEIVED,
    Adjusted => STOCK_ADJUSTED,
    Reserved => STOCK_RESERVED,
    Released => STOCK_RELEASED,
    Committed => STOCK_COMMITTED,
    Returned => STOCK_RETURNED,
    ThresholdSet => LOW_STOCK_THRESHOLD_SET,
    LowStockDetected => LOW_STOCK_DETECTED,
});

/// A quantity of one sku.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SkuQuantity {
    pub sku: String,
    pub quantity: i64,
}

/// Every line of the order is reserved until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationConfirmed {
    pub order_id: OrderId,
    pub lines: Vec<SkuQuantity>,
    pub expires_at: Timestamp,
}

/// Not every line could be reserved; nothing stays reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationFailed {
    pub order_id: OrderId,
    /// `out_of_stock` or `unknown_sku`.
    pub reason: String,
    pub sku: String,
    pub requested: i64,
    pub available: i64,
}

/// The reserved stock was sold (committed on every sku).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationCommitted {
    pub order_id: OrderId,
}

/// The reservation was given back; `returned` when it had been committed (stock back on hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationReleased {
    pub order_id: OrderId,
    pub reason: String,
    pub returned: bool,
}

/// Not committed before `expires_at`: released by the expiry timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationExpired {
    pub order_id: OrderId,
}

/// Part of the reservation given back (lines cancelled before shipping), or part of the sold
/// stock back on hand (`returned`: lines returned by the buyer). What is left stays held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationLinesReleased {
    pub order_id: OrderId,
    /// What was given back, per sku (never more than was held).
    pub lines: Vec<SkuQuantity>,
    pub reason: String,
    pub returned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum ReservationEvent {
    #[serde(rename = "agora.inventory.reservation_confirmed")]
    Confirmed(ReservationConfirmed),
    #[serde(rename = "agora.inventory.reservation_failed")]
    Failed(ReservationFailed),
    #[serde(rename = "agora.inventory.reservation_committed")]
    Committed(ReservationCommitted),
    #[serde(rename = "agora.inventory.reservation_released")]
    Released(ReservationReleased),
    #[serde(rename = "agora.inventory.reservation_expired")]
    Expired(ReservationExpired),
    #[serde(rename = "agora.inventory.reservation_lines_released")]
    LinesReleased(ReservationLinesReleased),
}

crate::domain_event!(ReservationEvent, CATALOGUE, UPCASTERS, {
    Confirmed => RESERVATION_CONFIRMED,
    Failed => RESERVATION_FAILED,
    Committed => RESERVATION_COMMITTED,
    Released => RESERVATION_RELEASED,
    Expired => RESERVATION_EXPIRED,
    LinesReleased => RESERVATION_LINES_RELEASED,
});

/// Commands other contexts send to `inventory` over the bus (`CommandEnvelope::name` is the
/// constant, `payload` the struct).
pub mod commands {
    use serde::{Deserialize, Serialize};
    use shared_kernel::Timestamp;
    use shared_kernel::ids::OrderId;

    use super::SkuQuantity;

    pub const RESERVE_STOCK: &str = "reserve_stock";
    pub const RELEASE_STOCK: &str = "release_stock";
    pub const COMMIT_STOCK: &str = "commit_stock";
    pub const RELEASE_STOCK_LINES: &str = "release_stock_lines";

    /// Reserve every line or none; answered by `ReservationConfirmed` or `ReservationFailed`.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReserveStock {
        pub order_id: OrderId,
        pub lines: Vec<SkuQuantity>,
        pub expires_at: Timestamp,
    }

    /// Give the order's reservation back (returning committed stock); a no-op when there is none.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReleaseStock {
        pub order_id: OrderId,
        pub reason: String,
    }

    /// Give back part of the order's reservation: reserved stock of cancelled lines, or sold
    /// stock of returned lines back on hand. Never more than the order holds of a sku; a
    /// no-op when the reservation holds nothing any more.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ReleaseStockLines {
        pub order_id: OrderId,
        pub lines: Vec<SkuQuantity>,
        pub reason: String,
    }

    /// The order is paid: its reserved stock is sold.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CommitStock {
        pub order_id: OrderId,
    }
}
