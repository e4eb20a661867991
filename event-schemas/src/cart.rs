//! Events of the `ordering` context's carts (stream `cart-<buyer id>`: one open cart per buyer,
//! emptied by a checkout or an abandonment, and the next line added starts the next cart).
//!
//! Every line records the unit price the buyer was shown when it was added or its quantity
//! changed (`unit_price`); a checkout charges exactly those prices, and a cart whose prices
//! moved is repriced (`cart_repriced`) before it may be checked out.
//!
//! | type | version |
//! |---|---|
//! | `agora.ordering.cart_line_added` | 1 |
//! | `agora.ordering.cart_line_changed` | 1 |
//! | `agora.ordering.cart_line_removed` | 1 |
//! | `agora.ordering.cart_repriced` | 1 |
//! | `agora.ordering.cart_checked_out` | 1 |
//! | `agora.ordering.cart_abandoned` | 1 |
//!
//! Analysts count abandoned carts as `agora.ordering.cart_abandoned` events (each with its
//! line count and value), and checked-out ones as `agora.ordering.cart_checked_out`.

use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::ids::{OrderId, ProductId, UserId};

use crate::upcast::{Catalogue, Upcaster};

pub const CART_LINE_ADDED: &str = "agora.ordering.cart_line_added";
pub const CART_LINE_CHANGED: &str = "agora.ordering.cart_line_changed";
pub const CART_LINE_REMOVED: &str = "agora.ordering.cart_line_removed";
pub const CART_REPRICED: &str = "agora.ordering.cart_repriced";
pub const CART_CHECKED_OUT: &str = "agora.ordering.cart_checked_out";
pub const CART_ABANDONED: &str = "agora.ordering.cart_abandoned";

/// The events of a `cart-<buyer id>` stream.
pub const CART_EVENTS: &[&str] = &[
    CART_LINE_ADDED,
    CART_LINE_CHANGED,
    CART_LINE_REMOVED,
    CART_REPRICED,
    CART_CHECKED_OUT,
    CART_ABANDONED,
];

pub const CATALOGUE: Catalogue = &[
    (CART_LINE_ADDED, 1),
    (CART_LINE_CHANGED, 1),
    (CART_LINE_REMOVED, 1),
    (CART_REPRICED, 1),
    (CART_CHECKED_OUT, 1),
    (CART_ABANDONED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// A line of a cart: one sku (the line's key), its quantity and the unit price the buyer was
/// shown (minor units).
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct CartLine {
    pub product_id: ProductId,
    /// The variant's sku: the line's key in the cart.
    pub sku: String,
    pub seller_id: UserId,
    pub title: String,
    /// 1 to 10,000.
    pub quantity: i64,
    /// The price shown to the buyer when the line was added or last changed.
    pub unit_price: Money,
}

/// A buyer put a sku in their cart, at the price shown then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineAdded {
    pub buyer_id: UserId,
    /// The line after the addition: a sku already in the cart adds up (`quantity` is the sum)
    /// and takes the price shown now.
    pub line: CartLine,
    /// How many units this addition added.
    pub added: i64,
}

/// A buyer changed the quantity of a cart line (repriced at the price shown then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineChanged {
    pub buyer_id: UserId,
    /// The line with its new quantity and the price shown now.
    pub line: CartLine,
}

/// A buyer took a sku out of their cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartLineRemoved {
    pub buyer_id: UserId,
    pub sku: String,
}

/// A line whose recorded price no longer was the catalog's.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct RepricedLine {
    pub sku: String,
    /// The unit price the buyer had been shown.
    pub was: Money,
    /// The unit price shown from now on (the catalog's at the time).
    pub now: Money,
}

/// A checkout found prices changed: the cart now records the catalog's prices, which the next
/// checkout charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartRepriced {
    pub buyer_id: UserId,
    pub lines: Vec<RepricedLine>,
}

/// The cart became order `order_id` (at exactly these lines and prices) and is empty again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartCheckedOut {
    pub buyer_id: UserId,
    pub order_id: OrderId,
    pub lines: Vec<CartLine>,
    /// The sum of the lines at their recorded prices (minor units).
    pub total: Money,
}

/// Nobody touched the cart for the configured time (`--cart-ttl-secs`): it is emptied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CartAbandoned {
    pub buyer_id: UserId,
    pub line_count: u32,
    /// The sum of the lines at their recorded prices (minor units).
    pub value: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CartEvent {
    #[serde(rename = "agora.ordering.cart_line_added")]
    LineAdded(CartLineAdded),
    #[serde(rename = "agora.ordering.cart_line_changed")]
    LineChanged(CartLineChanged),
    #[serde(rename = "agora.ordering.cart_line_removed")]
    LineRemoved(CartLineRemoved),
    #[serde(rename = "agora.ordering.cart_repriced")]
    Repriced(CartRepriced),
    #[serde(rename = "agora.ordering.cart_checked_out")]
    CheckedOut(CartCheckedOut),
    #[serde(rename = "agora.ordering.cart_abandoned")]
    Abandoned(CartAbandoned),
}

impl CartEvent {
    /// The cart's buyer (whose id names the stream).
    #[must_use]
    pub const fn buyer_id(&self) -> UserId {
        match self {
            Self::LineAdded(e) => e.buyer_id,
            Self::LineChanged(e) => e.buyer_id,
            Self::LineRemoved(e) => e.buyer_id,
            Self::Repriced(e) => e.buyer_id,
            Self::CheckedOut(e) => e.buyer_id,
            Self::Abandoned(e) => e.buyer_id,
        }
    }
}

crate::domain_event!(CartEvent, CATALOGUE, UPCASTERS, {
    LineAdded => CART_LINE_ADDED,
    LineChanged => CART_LINE_CHANGED,
    LineRemoved => CART_LINE_REMOVED,
    Repriced => CART_REPRICED,
    CheckedOut => CART_CHECKED_OUT,
    Abandoned => CART_ABANDONED,
});
