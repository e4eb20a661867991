//! What the ordering commands answer (the bus carries them as JSON; the routes read them back
//! typed, and the API document describes these very types).

use event_schemas::cart::CartLine;
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::OrderId;
use utoipa::ToSchema;

use crate::domain::{Cart, Order};

/// An order's id and status after a write.
///
/// Placing answers it with 202: the order goes on without the caller. When the reply is late
/// that 202's body is the pending command's instead, whose `id` is the order's too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({ "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "pending" }))]
pub struct OrderState {
    #[schema(format = Uuid)]
    pub id: String,
    /// The order's status (all of it, every seller's lines): `pending`, `payment_authorized`,
    /// `stock_reserved`, `paid`, `partially_shipped`, `shipped`, `delivered`, `cancelled` or
    /// `rejected`.
    pub status: String,
}

impl OrderState {
    /// `order` (of id `order_id`) as a command left it.
    #[must_use]
    pub fn of(order_id: OrderId, order: &Order) -> Self {
        Self {
            id: order_id.to_string(),
            status: order.status.as_str().to_owned(),
        }
    }
}

/// The order after a return step, with the return's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "status": "delivered",
    "return_id": "0190f0a4-5b7c-7d2e-8f00-0123456789ac"
}))]
pub struct ReturnState {
    #[schema(format = Uuid)]
    pub id: String,
    /// The order's status (a return does not change it).
    pub status: String,
    #[schema(format = Uuid)]
    pub return_id: String,
}

/// The cart after a write: its lines at the prices recorded (those shown to the buyer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CartState {
    pub lines: Vec<CartLine>,
    pub line_count: usize,
    /// The sum at the recorded prices; null for an empty cart.
    pub total: Option<Money>,
    /// The cart stream's version.
    pub version: u64,
}

impl From<&Cart> for CartState {
    fn from(cart: &Cart) -> Self {
        Self {
            lines: cart.lines.clone(),
            line_count: cart.lines.len(),
            total: cart.total().ok().flatten(),
            version: cart.version,
        }
    }
}
