//! Pure domain code: no clock, no I/O, no async.

mod order;

pub use order::{
    CancelledBy, LineStatus, NewOrder, OpenReturn, Order, OrderCommand, OrderError, PricedLine,
    ReturnRequest, buyer_cancelled_reason, check_lines, paid_status,
};
