//! The `inventory` bounded context: the stock of every sku as a ledger of movements, and the
//! reservations orders hold on it until they are paid, released or expire.
//!
//! - [`domain`]: the `StockItem` and `Reservation` aggregates (pure decide/evolve).
//! - [`application`]: the command handler behind the command bus, and the `ReservationExpiry`
//!   process manager.
//! - [`http`]: the `/api/v1/inventory` routes.
//! - [`projections`]: stock levels with their ledger, sku owners, restock alerts.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "inventory";
