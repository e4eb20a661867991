//! The ordering routes: `/api/v1/orders...` (a buyer's orders, their sellers' fulfilments and
//! returns), `/api/v1/sellers/me/fulfilments` and `/api/v1/cart...`. Writes go to the bus;
//! reads come from the read models, and an order's own events for `?as_of=` and a seller's
//! part of an order. One file per resource: [`orders`], [`fulfilments`], [`returns`],
//! [`cart`], [`checkout`]; [`pricing`] prices lines for the order and cart routes.

mod cart;
mod checkout;
mod fulfilments;
mod orders;
mod pricing;
mod returns;

use std::sync::Arc;

use http_kernel::{ApiError, ContextApi, Routes, routes};
use shared_kernel::EventStore;
use shared_kernel::ids::OrderId;
use utoipa::OpenApi;

/// The state of the ordering routes; `extra` is the event store, for what the read models do
/// not hold: an order as it was (`?as_of=`), a seller's part of an order, the cart a write
/// decides on.
pub type OrderingApi = ContextApi<Arc<dyn EventStore>>;

#[derive(OpenApi)]
#[openapi(tags((
    name = "ordering",
    description = "Orders: a buyer places one (the payment is authorized, then stock reserved, \
                   then the payment captured, by a saga), follows it, cancels it or lines not \
                   yet shipped, returns delivered lines; each seller ships and delivers their \
                   own fulfilment and receives returns. A seller of some of an order's lines \
                   sees only their part of it: their lines, fulfilment and returns and the \
                   shipping address, never another seller's lines nor the payment. Status: \
                   `pending` -> `payment_authorized` -> `stock_reserved` -> `paid` -> \
                   `partially_shipped` -> `shipped` -> `delivered`, or `cancelled` / \
                   `rejected`. Carts: one per buyer, checked out at the prices they show."
)))]
struct Doc;

/// Every ordering route, served and described.
pub fn routes(api: OrderingApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(orders::place_order, orders::my_orders))
        .routes(routes!(orders::get_order))
        .routes(routes!(orders::cancel_order))
        .routes(routes!(fulfilments::ship_order))
        .routes(routes!(fulfilments::deliver_order))
        .routes(routes!(fulfilments::my_fulfilments))
        .routes(routes!(returns::request_return))
        .routes(routes!(returns::receive_return))
        .routes(routes!(cart::get_cart))
        .routes(routes!(cart::add_line))
        .routes(routes!(cart::change_line, cart::remove_line))
        .routes(routes!(checkout::check_out))
        .with_state(api)
}

/// The order of a path's `{id}`: one that is no order id names no order.
fn order_id(id: &str) -> Result<OrderId, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound("order".into()))
}

/// An order's path, as `Location` names it.
fn order_location(order_id: OrderId) -> String {
    format!("/api/v1/orders/{order_id}")
}

/// The order id of a path, as the routes describe it.
const ORDER_ID: &str = "The order id (UUID)";
