//! The application kit every context's command handler is written with, so a reader learns
//! the shape once:
//! - [`decode`] the envelope into the context's command enum, and check who sent it
//!   ([`Actor`], [`require_user`], [`require_system`]);
//! - load, decide and append through a [`CommandKit`] ([`execute`]: idempotent by command id,
//!   bounded retries on a conflict; [`CommandKit::execute_contended`] for hot streams);
//! - further steps on other streams under derived command ids ([`follow_up`], [`untracked`]);
//! - per-key turns ([`KeyedLocks`]) where calls outside the store must not cross;
//! - and reply: a handler's own `run` returns [`Handled`] (`?` on every check), and
//!   [`finish`] turns it into the bus's reply.

mod envelope;
mod kit;
mod locks;
mod reply;
mod retry;
mod store;

pub use envelope::{
    Actor, SYSTEM_PREFIX, decode, follow_up, require_system, require_user, untracked,
};
pub use kit::CommandKit;
pub use locks::{KeyedLocks, Turn};
pub use reply::{
    Accepted, Handled, Rejection, Stop, accept, conflicted, finish, rejected, reply_for, stop,
    store_failure,
};
pub use retry::{ConflictRetry, execute_with_retry};
pub use store::{
    ExecuteError, Executed, Loaded, MAX_CONFLICT_RETRIES, encode, event_id_for, execute, load,
    prepare,
};
