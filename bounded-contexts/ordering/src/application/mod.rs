//! Application layer: commands as messages, the handler that runs them, and the order saga.

pub mod cart;
mod commands;
mod config;
mod handler;
mod place_order;
mod replies;
pub mod saga;

pub use commands::{ActorMismatch, OrderRequest, OrderingCommand, PricedLineInput};
pub use config::OrderingConfig;
pub use handler::OrderingHandler;
pub use place_order::{LineRequest, PricingError, priced_lines};
pub use replies::{CartState, OrderState, ReturnState};
pub use saga::OrderSaga;
pub use shared_kernel::application::Actor;
