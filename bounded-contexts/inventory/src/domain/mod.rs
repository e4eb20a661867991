//! Pure domain code: no clock, no I/O, no async.

mod reservation;
mod stock_item;

pub use reservation::{
    EXPIRED_REASON, Reservation, ReservationCommand, ReservationError, ReservationStatus,
};
pub use stock_item::{
    CONCLUDED_KEPT, DEFAULT_LOW_STOCK_THRESHOLD, Holding, MAX_QUANTITY, StockCommand, StockError,
    StockItem,
};
