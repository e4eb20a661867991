//! The inventory commands as they travel on the command bus, one enum per aggregate they act
//! on. The wire form is each inner enum's `{"name", "payload"}`; the outer enum only says which
//! aggregate's, so the handler dispatches once. The order saga's commands use the payloads
//! published in `event_schemas::inventory::commands`.

use event_schemas::inventory::commands::{
    CommitStock, ReleaseStock, ReleaseStockLines, ReserveStock,
};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, ProductId};

use crate::CONTEXT;

/// Every command the inventory context takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InventoryCommand {
    /// A seller's command on the stock of one of their skus (a `StockItem`).
    StockItem(StockItemRequest),
    /// The order saga's and the expiry timer's commands on an order's `Reservation`.
    Reservation(ReservationRequest),
}

/// A seller's command on a sku's stock item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum StockItemRequest {
    /// Goods arrived (opens the stock item of `product_id` on first use).
    ReceiveStock {
        sku: String,
        product_id: ProductId,
        quantity: i64,
    },
    /// A correction of what is on hand.
    AdjustStock {
        sku: String,
        product_id: ProductId,
        delta: i64,
        reason: String,
    },
    /// Alert when available falls under `threshold`.
    SetLowStockThreshold {
        sku: String,
        product_id: ProductId,
        threshold: i64,
    },
}

/// The platform's commands on an order's reservation (never a user's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum ReservationRequest {
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

impl StockItemRequest {
    /// The command as the bus carries it.
    #[must_use]
    pub fn into_command(self) -> InventoryCommand {
        InventoryCommand::StockItem(self)
    }
}

impl From<StockItemRequest> for InventoryCommand {
    fn from(request: StockItemRequest) -> Self {
        Self::StockItem(request)
    }
}

impl From<ReservationRequest> for InventoryCommand {
    fn from(request: ReservationRequest) -> Self {
        Self::Reservation(request)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_inner_command_s() {
        let order_id = OrderId::new();
        let command = InventoryCommand::from(ReservationRequest::ExpireReservation { order_id });
        let wire = serde_json::to_value(&command).unwrap();
        assert_eq!(wire["name"], "expire_reservation");
        assert_eq!(
            serde_json::from_value::<InventoryCommand>(wire).unwrap(),
            command
        );
        let receive = serde_json::json!({
            "name": "receive_stock",
            "payload": { "sku": "A-1", "product_id": ProductId::new(), "quantity": 3 }
        });
        assert!(matches!(
            serde_json::from_value::<InventoryCommand>(receive).unwrap(),
            InventoryCommand::StockItem(StockItemRequest::ReceiveStock { quantity: 3, .. })
        ));
    }
}
