//! The `merchandise` bounded context: the catalog of products sellers list.
//!
//! - [`domain`]: the `Product` aggregate (pure decide/evolve).
//! - [`application`]: the command handler behind the command bus.
//! - [`http`]: the `/api/v1/products` routes.
//! - [`projections`]: the catalog read model: the searchable listing, price history and the
//!   stock available per sku (from the inventory's stock events).

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: command route, stream owner, topic segment.
pub const CONTEXT: &str = "merchandise";
