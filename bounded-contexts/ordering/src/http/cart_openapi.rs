//! The cart routes' part of the ordering API document, and the bodies they answer with.

use event_schemas::cart::CartLine;
use serde::Serialize;
use shared_kernel::Money;
use utoipa::{OpenApi, ToSchema};

use super::{cart, cart_checkout};

/// The cart routes' document (merged into the ordering context's).
#[must_use]
pub fn openapi() -> utoipa::openapi::OpenApi {
    CartDoc::openapi()
}

#[derive(OpenApi)]
#[openapi(
    paths(
        cart::get_cart,
        cart::add_line,
        cart::change_line,
        cart::remove_line,
        cart_checkout::check_out,
    ),
    components(schemas(
        cart::AddCartLine,
        cart::ChangeCartLine,
        cart_checkout::CartCheckout,
        CartLine,
        CartState,
        CartView,
        CartLineView,
        ChangedLine,
    ))
)]
struct CartDoc;

/// The cart after a write: its lines at the prices recorded (those shown to the buyer).
#[derive(Debug, Serialize, ToSchema)]
#[allow(dead_code)] // documentation: the handler builds this body as JSON
pub(super) struct CartState {
    lines: Vec<CartLine>,
    line_count: u64,
    /// The sum at the recorded prices; null for an empty cart.
    total: Option<Money>,
    /// The cart stream's version.
    version: u64,
}

/// A line of `GET /cart`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CartLineView {
    #[schema(format = Uuid)]
    product_id: String,
    /// The line's key (`/cart/lines/{sku}`).
    sku: String,
    #[schema(format = Uuid)]
    seller_id: String,
    title: String,
    quantity: i64,
    /// The unit price recorded when the line was added or last changed: what a checkout
    /// charges.
    unit_price: Money,
    /// `unit_price` times `quantity`; null on overflow.
    line_total: Option<Money>,
    /// The catalog's unit price now; null when the product cannot be ordered now.
    current_unit_price: Option<Money>,
    /// The catalog's price differs from the recorded one: a checkout answers 409 and records it.
    pub(super) price_changed: bool,
    /// The product can be ordered now.
    available: bool,
}

impl CartLineView {
    pub(super) fn new(line: CartLine, now: Option<Money>) -> Self {
        Self {
            product_id: line.product_id.to_string(),
            seller_id: line.seller_id.to_string(),
            line_total: line.unit_price.checked_mul(line.quantity).ok(),
            price_changed: now.is_some_and(|n| n != line.unit_price),
            available: now.is_some(),
            current_unit_price: now,
            sku: line.sku,
            title: line.title,
            quantity: line.quantity,
            unit_price: line.unit_price,
        }
    }
}

/// `GET /cart`.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct CartView {
    pub(super) lines: Vec<CartLineView>,
    pub(super) line_count: usize,
    /// The sum at the recorded prices (what a checkout charges); null for an empty cart.
    pub(super) total: Option<Money>,
    /// The sum at the catalog's prices now; null when empty or a product cannot be ordered.
    pub(super) current_total: Option<Money>,
    /// Some line's price changed since it was recorded.
    pub(super) prices_changed: bool,
    /// RFC 3339: the last change; null when the caller never had a cart.
    #[schema(format = DateTime)]
    pub(super) updated_at: Option<String>,
    /// The cart stream's version as the read model has it (0: none).
    pub(super) version: i64,
}

/// A line of a 409 `prices_changed` answer (its `changed_lines` member).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct ChangedLine {
    pub(super) sku: String,
    #[schema(format = Uuid)]
    pub(super) product_id: String,
    pub(super) title: String,
    pub(super) quantity: i64,
    /// The unit price the buyer had been shown.
    pub(super) seen: Money,
    /// The unit price now, recorded in the cart: the next checkout charges it.
    pub(super) now: Money,
}
