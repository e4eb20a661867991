//! The ordering HTTP routes (`/api/v1/orders...`, see shared/API.md).

mod fulfilments;
pub mod openapi;
mod orders;
mod reads;
mod returns;

pub use orders::{OrderingApi, router};
