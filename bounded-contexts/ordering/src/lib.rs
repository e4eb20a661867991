//! The `ordering` bounded context: buyers' orders and the saga that carries them through
//! stock reservation, payment and shipping.
//!
//! - [`domain`]: the `Order` and `Cart` aggregates (pure decide/evolve).
//! - [`application`]: the command handler behind the command bus, the order saga and its
//!   configuration.
//! - [`http`]: the `/api/v1/orders` and `/api/v1/cart` routes.
//! - [`projections`]: ordering's own view of products (prices, skus, sellers) and the orders
//!   read model.
//!
//! It depends on `shared-kernel` and `event-schemas`, never on another context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

pub use application::OrderingConfig;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "ordering";
