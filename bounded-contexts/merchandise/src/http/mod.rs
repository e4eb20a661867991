//! The merchandise HTTP routes (`/api/v1/products...`, see shared/API.md).

mod products;

pub use products::{MerchandiseApi, router};
