//! The identity HTTP routes (see shared/API.md): sign-up, sessions, the caller's profile,
//! roles, and the public keys that verify tokens.

mod routes;

pub use routes::{IdentityApi, router};
