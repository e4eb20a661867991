//! Application layer: commands as messages and the handler that runs them.

mod commands;
mod handler;

pub use commands::MerchandiseCommand;
pub use handler::{MerchandiseHandler, sku_stream};
