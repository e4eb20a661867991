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

/// The cart commands, as they travel on the bus (`{"name", "payload"}`, like
/// [`super::OrderingCommand`]); the buyer is always the sending user, except for
/// `abandon_cart`, which only the platform sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum CartMessage {
    /// `line.quantity` more units of `line.sku`, priced now.
    AddCartLine {
        line: PricedLineInput,
    },
    /// The line of `line.sku` at `line.quantity`, priced now.
    ChangeCartLine {
        line: PricedLineInput,
    },
    RemoveCartLine {
        sku: String,
    },
    /// The cart's lines as priced now: their prices become the recorded ones.
    RepriceCart {
        lines: Vec<PricedLineInput>,
    },
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
    AbandonCart {
        buyer_id: UserId,
        version: u64,
    },
}

/// The names of [`CartMessage`]'s commands: the context's handler hands these to
/// [`CartHandler`].
pub const CART_COMMANDS: &[&str] = &[
    "add_cart_line",
    "change_cart_line",
    "remove_cart_line",
    "reprice_cart",
    "check_out_cart",
    "abandon_cart",
];

impl CartMessage {
    /// The command as `(name, payload)`, for a process manager's dispatch.
    #[must_use]
    pub fn name_and_payload(&self) -> Option<(String, serde_json::Value)> {
        let mut value = serde_json::to_value(self).ok()?;
        let name = value.get("name")?.as_str()?.to_owned();
        let payload = value.get_mut("payload").map(serde_json::Value::take)?;
        Some((name, payload))
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_cart_command_name_is_listed() {
        let abandon = CartMessage::AbandonCart {
            buyer_id: UserId::new(),
            version: 3,
        };
        let (name, payload) = abandon.name_and_payload().unwrap();
        assert!(CART_COMMANDS.contains(&name.as_str()));
        assert_eq!(payload["version"], 3);
        let remove = CartMessage::RemoveCartLine { sku: "A-1".into() };
        let (name, _) = remove.name_and_payload().unwrap();
        assert_eq!(name, "remove_cart_line");
        assert!(CART_COMMANDS.contains(&name.as_str()));
    }
}
