//! The ordering HTTP routes (`/api/v1/orders...`, see shared/API.md).

pub mod openapi;
mod orders;
mod reads;

pub use orders::{OrderingApi, router};
