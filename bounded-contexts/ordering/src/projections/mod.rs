//! Read models of the ordering context.

mod carts;
mod fulfilments;
mod orders;
mod products;

pub use carts::{CARTS, CartView, CartsProjection, find_cart};
pub use fulfilments::{
    FULFILMENTS, FULFILMENTS_CURSOR, FulfilmentLine, FulfilmentReturn, FulfilmentView,
    FulfilmentsProjection, fulfilments_cursor, list_fulfilments, order_fulfilments,
};
pub use orders::{
    HistoryEntry, ORDERS, ORDERS_CURSOR, OrderDetail, OrderPart, OrderPayment, OrderSummary,
    OrdersProjection, find_order, list_orders, orders_cursor,
};
pub use products::{
    ORDERING_PRODUCTS, OrderableProduct, OrderableVariant, ProductsProjection, find_products,
    find_variants,
};
