//! Read models of the inventory context.

mod restock_alerts;
mod sku_owners;
mod stock_levels;

pub use restock_alerts::{RESTOCK_ALERTS, RestockAlert, RestockAlertsProjection, alerts_of};
pub use sku_owners::{SKU_OWNERS, SkuOwner, SkuOwnersProjection, find_owner};
pub use stock_levels::{
    LedgerEntry, STOCK_LEVELS, StockLevelsProjection, StockLevelsRow, find_levels, ledger_page,
};
