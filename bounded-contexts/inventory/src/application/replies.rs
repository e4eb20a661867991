//! What the inventory commands answer (the bus carries them as JSON; the routes read them back
//! typed, and the API document describes these very types).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::StockItem;

/// A sku's stock levels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "sku": "CHESS-WALNUT-45", "product_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab",
    "on_hand": 25, "reserved": 3, "available": 22, "low_stock_threshold": 5
}))]
pub struct SkuStock {
    pub sku: String,
    #[schema(format = Uuid)]
    pub product_id: String,
    pub on_hand: i64,
    /// Held for orders not yet shipped.
    pub reserved: i64,
    /// `on_hand - reserved`.
    pub available: i64,
    pub low_stock_threshold: i64,
}

impl From<&StockItem> for SkuStock {
    fn from(s: &StockItem) -> Self {
        Self {
            sku: s.sku.clone(),
            product_id: s.product_id.to_string(),
            on_hand: s.levels.on_hand,
            reserved: s.levels.reserved,
            available: s.levels.available,
            low_stock_threshold: s.low_stock_threshold,
        }
    }
}

/// An order's reservation after a command of the order saga or the expiry timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationState {
    pub order_id: String,
    /// `confirmed`, `failed`, `committed`, `released` or `expired`.
    pub status: String,
}
