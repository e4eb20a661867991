//! The inventory HTTP routes (`/api/v1/inventory...`, see shared/API.md).

mod routes;

pub use routes::{InventoryApi, router};
