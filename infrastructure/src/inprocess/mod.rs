//! In-process adapters for the single-process deployment: the same ports, tokio channels
//! instead of brokers.

mod bus;
mod feed;

pub use bus::InProcessCommandBus;
pub use feed::{DEFAULT_WINDOW, StoreFeed};
