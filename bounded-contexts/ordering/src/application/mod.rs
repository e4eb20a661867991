//! Application layer: commands as messages, the handler that runs them, and the order saga.

mod commands;
mod config;
mod handler;
pub mod saga;

pub use commands::{Actor, ActorMismatch, OrderingCommand, PricedLineInput};
pub use config::OrderingConfig;
pub use handler::OrderingHandler;
pub use saga::OrderSaga;
