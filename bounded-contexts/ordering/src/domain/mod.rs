//! Pure domain code: no clock, no I/O, no async.

mod order;

pub use order::{
    CancelledBy, LineStatus, NewOrder, Order, OrderCommand, OrderError, PricedLine,
    buyer_cancelled_reason, check_lines, paid_status,
};
