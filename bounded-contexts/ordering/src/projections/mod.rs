//! Read models of the ordering context.

mod carts;
mod fulfilments;
mod orders;
mod products;

pub use carts::{CARTS, CartView, CartsProjection, find_cart};
pub use fulfilments::{
    FULFILMENTS, FULFILMENTS_CURSOR, FulfilmentLine, FulfilmentPage, FulfilmentReturn,
    FulfilmentView, FulfilmentsProjection, list_fulfilments, order_fulfilments,
};
pub use orders::{
    HistoryEntry, ORDERS, ORDERS_CURSOR, OrderPage, OrderView, OrdersProjection, find_order,
    list_orders,
};
pub use products::{
    ORDERING_PRODUCTS, OrderableProduct, OrderableVariant, ProductsProjection, find_products,
    find_variants,
};
