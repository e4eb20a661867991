//! The ordering HTTP routes (`/api/v1/orders...`, see shared/API.md).

mod fulfilments;
pub mod openapi;
mod orders;
mod reads;

pub use orders::{OrderingApi, router};
