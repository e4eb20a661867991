//! The inventory commands as they travel on the command bus. The cross-context ones (from the
//! order saga) use the payloads published in `event_schemas::inventory::commands`.

use event_schemas::inventory::commands::{
    CommitStock, ReleaseStock, ReleaseStockLines, ReserveStock,
};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, ProductId};

use crate::CONTEXT;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum InventoryCommand {
    /// Seller: goods arrived (opens the stock item of `product_id` on first use).
    ReceiveStock {
        sku: String,
        product_id: ProductId,
        quantity: i64,
    },
    /// Seller: a correction of what is on hand.
    AdjustStock {
        sku: String,
        product_id: ProductId,
        delta: i64,
        reason: String,
    },
    /// Seller: alert when available falls under `threshold`.
    SetLowStockThreshold {
        sku: String,
        product_id: ProductId,
        threshold: i64,
    },
    /// Order saga: reserve every line or none.
    ReserveStock(ReserveStock),
    /// Order saga: give the reservation back (returning sold stock).
    ReleaseStock(ReleaseStock),
    /// Order saga: the order is paid.
    CommitStock(CommitStock),
    /// Order saga: lines cancelled before shipping, or returned.
    ReleaseStockLines(ReleaseStockLines),
    /// Expiry timer: the reservation's time is up.
    ExpireReservation { order_id: OrderId },
}

impl shared_kernel::ContextCommand for InventoryCommand {
    const CONTEXT: &'static str = CONTEXT;
}
