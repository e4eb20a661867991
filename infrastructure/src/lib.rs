//! Adapters: the concrete implementations of the `shared-kernel` ports.
//!
//! - [`postgres`]: the production event store (gap-free global order, LISTEN/NOTIFY wake-ups).
//! - [`sqlite`]: the embedded default (one file, WAL mode).
//! - [`inprocess`]: the command bus and event feed of a single-process deployment.
//! - [`database`]: picks the store from a URL and opens the read-model pool beside it.

pub mod checkpoints;
pub mod database;
pub mod filtered;
pub mod inprocess;
pub mod kafka;
pub mod payments;
pub mod postgres;
pub mod rabbitmq;
mod sql_error;
pub mod sqlite;
mod tail;
pub mod testing;

pub use database::{Database, DatabaseError, DatabaseKind};
