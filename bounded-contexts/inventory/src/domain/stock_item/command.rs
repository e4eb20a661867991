//! What can be asked of a stock item, and why it may refuse.

use shared_kernel::RejectionKind;
use shared_kernel::ids::{OrderId, ProductId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockCommand {
    /// Goods arrived. The first seller command opens the item for `product_id`, owned by `actor`.
    Receive {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        quantity: i64,
    },
    /// A correction of what is on hand (count, damage, loss).
    Adjust {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        delta: i64,
        reason: String,
    },
    SetThreshold {
        sku: String,
        product_id: ProductId,
        actor: UserId,
        threshold: i64,
    },
    /// Part of an order's reservation; a no-op when the order already has one here.
    Reserve { order_id: OrderId, quantity: i64 },
    /// Gives the order's reservation back; a no-op when it holds nothing here.
    Release { order_id: OrderId, reason: String },
    /// Gives back up to `quantity` of what the order holds reserved here; the rest stays held.
    /// A no-op when it holds nothing.
    ReleasePart {
        order_id: OrderId,
        quantity: i64,
        reason: String,
    },
    /// Puts `quantity` units the order bought back on hand. The order's reservation decided
    /// the quantity (it knows what was sold and what came back already); idempotency is the
    /// command id's.
    Return {
        order_id: OrderId,
        quantity: i64,
        reason: String,
    },
    /// Sells what the order reserved.
    Commit { order_id: OrderId },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockError {
    #[error("no stock is kept for this sku")]
    NotFound,
    #[error("only the sku's seller may change its stock")]
    NotSeller,
    #[error("only {available} available, {requested} requested")]
    Insufficient { requested: i64, available: i64 },
    #[error("the order holds no reservation on this sku")]
    NotReserved,
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for StockError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            // Someone else's stock looks like no stock.
            Self::NotFound | Self::NotSeller => ("not_found", RejectionKind::NotFound),
            Self::Insufficient { .. } => ("insufficient_stock", RejectionKind::Conflict),
            Self::NotReserved => ("not_reserved", RejectionKind::Conflict),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }
}
