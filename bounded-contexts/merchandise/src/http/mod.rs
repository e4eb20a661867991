//! The merchandise HTTP routes (`/api/v1/products...`, see shared/API.md).

pub mod openapi;
mod products;

pub use products::{MerchandiseApi, router};
