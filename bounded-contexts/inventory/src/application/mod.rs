//! Application layer: commands as messages, the handler that runs them, and the process
//! manager that expires reservations.

mod commands;
mod expiry;
mod handler;
mod replies;
mod reservations;

pub use commands::{InventoryCommand, ReservationRequest, StockItemRequest};
pub use expiry::{EXPIRE_RESERVATION, RESERVATION_EXPIRY, ReservationExpiry, expiry_timer_key};
pub use handler::{InventoryHandler, reservation_stream, stock_stream, valid_sku};
pub use replies::{ReservationState, SkuStock};
pub use reservations::MAX_LINES;
pub use shared_kernel::application::ConflictRetry;
