//! Carts on the command bus: the cart commands (from the `/cart` routes, and the expiry
//! timer's `abandon_cart`), their handler, and the process manager that abandons idle carts.

mod checkout;
mod expiry;
mod handler;

use event_schemas::cart::CartLine;
use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use serde::{Deserialize, Serialize};
use shared_kernel::ids::{OrderId, PaymentId, UserId};

pub use expiry::{CART_EXPIRY, CART_EXPIRY_SAGA, CartExpiry, cart_expiry_key};
pub use handler::CartHandler;

use super::PricedLineInput;

/// A command on a buyer's cart, as it travels on the bus (`{"name", "payload"}`, inside
/// [`super::OrderingCommand`]); the buyer is always the sending user, except for
/// `abandon_cart`, which only the platform sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum CartRequest {
    /// `line.quantity` more units of `line.sku`, priced now.
    AddCartLine { line: PricedLineInput },
    /// The line of `line.sku` at `line.quantity`, priced now.
    ChangeCartLine { line: PricedLineInput },
    /// The line of `sku` goes.
    RemoveCartLine { sku: String },
    /// The cart's lines as priced now: their prices become the recorded ones.
    RepriceCart { lines: Vec<PricedLineInput> },
    /// The cart's lines as priced now (empty: a retry of a checkout the cart already
    /// recorded), placed as order `order_id` paid by `payment_id`.
    CheckOutCart {
        order_id: OrderId,
        payment_id: PaymentId,
        lines: Vec<PricedLineInput>,
        shipping_address: ShippingAddress,
        payment: PaymentInstruction,
    },
    /// The expiry timer of the cart's event number `version`.
    AbandonCart { buyer_id: UserId, version: u64 },
}

/// A priced line as the cart records it.
#[must_use]
pub fn cart_line(line: PricedLineInput) -> CartLine {
    CartLine {
        product_id: line.product_id,
        sku: line.sku,
        seller_id: line.seller_id,
        title: line.title,
        quantity: line.quantity,
        unit_price: line.unit_price,
    }
}

/// A cart line as an order line to place.
#[must_use]
pub fn priced_line(line: CartLine) -> PricedLineInput {
    PricedLineInput {
        product_id: line.product_id,
        sku: line.sku,
        seller_id: line.seller_id,
        title: line.title,
        quantity: line.quantity,
        unit_price: line.unit_price,
    }
}
