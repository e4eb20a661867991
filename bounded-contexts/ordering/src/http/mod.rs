//! The ordering HTTP routes (`/api/v1/orders...`, see shared/API.md, and `/api/v1/cart...`).

mod cart;
mod cart_checkout;
mod cart_openapi;
mod fulfilments;
pub mod openapi;
mod orders;
mod reads;
mod returns;

pub use orders::{OrderingApi, router};
