//! The `communities` bounded context: communities (forums) with members, moderators and bans;
//! posts, nested comments, votes and reports.
//!
//! - [`domain`]: the aggregates (pure decide/evolve) and the facts they decide on.
//! - [`application`]: the command handler behind the command bus.
//! - [`http`]: the `/api/v1` routes (writes send commands, reads query the read models).
//! - [`projections`]: the read models (feeds, comment trees, karma, directory, reports, modlog).
//!
//! It may depend on `shared-kernel` and `event-schemas`, never on another context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "communities";
