//! Read models of the ordering context.

mod fulfilments;
mod orders;
mod products;

pub use fulfilments::{
    FULFILMENTS, FULFILMENTS_CURSOR, FulfilmentLine, FulfilmentPage, FulfilmentReturn,
    FulfilmentView, FulfilmentsProjection, list_fulfilments, order_fulfilments,
};
pub use orders::{
    HistoryEntry, ORDERS, ORDERS_CURSOR, OrderPage, OrderView, OrdersProjection, find_order,
    list_orders,
};
pub use products::{ORDERING_PRODUCTS, OrderableProduct, ProductsProjection, find_products};
