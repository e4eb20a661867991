//! Pure domain code: no clock, no I/O, no async.

mod order;

pub use order::{
    CancelledBy, NewOrder, Order, OrderCommand, OrderError, PricedLine, buyer_cancelled_reason,
    check_lines,
};
