//! The inventory HTTP routes (`/api/v1/inventory...`, see shared/API.md).

pub mod openapi;
mod routes;

pub use routes::{InventoryApi, router};
