//! Application layer: commands as messages, the handler that runs them and what it answers.

mod commands;
mod handler;
mod replies;

pub use commands::{MerchandiseCommand, ProductRequest};
pub use handler::{MerchandiseHandler, sku_stream};
pub use replies::ProductState;
