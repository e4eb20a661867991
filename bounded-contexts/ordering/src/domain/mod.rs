//! Pure domain code: no clock, no I/O, no async.

mod cart;
mod order;

pub use cart::{Cart, CartCommand, CartError, describe_repriced, total_of};
pub use order::{
    CancelledBy, LineStatus, NewOrder, OpenReturn, Order, OrderCommand, OrderError, PricedLine,
    ReturnRequest, buyer_cancelled_reason, check_lines, paid_status,
};
