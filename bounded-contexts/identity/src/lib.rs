//! The `identity` bounded context: accounts, passwords, roles and sessions.
//!
//! - [`domain`]: the `User` and `EmailClaim` aggregates (pure decide/evolve).
//! - [`application`]: the command handler behind the command bus, password hashing (argon2id),
//!   signing keys and access tokens (EdDSA JWT), refresh-token families, login limits.
//! - [`http`]: `/api/v1/users`, `/api/v1/sessions`, `/api/v1/me` and `/.well-known/jwks.json`.
//! - [`projections`]: which access tokens are refused before they expire (revoked roles,
//!   password changes, logouts), in memory for the token verifier of every process.
//!
//! It depends on `shared-kernel`, `event-schemas`, `http-kernel` and `projections`, never on another
//! context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "identity";
