//! The ordering HTTP routes (`/api/v1/orders...`, see shared/API.md, and `/api/v1/cart...`).

mod cart;
mod cart_checkout;
mod cart_openapi;
pub mod openapi;
mod orders;
mod reads;

pub use orders::{OrderingApi, router};
