//! The identity HTTP routes (see shared/API.md): sign-up, sessions, the caller's profile,
//! roles, and the public keys that verify tokens.
//!
//! Writes to accounts go through the command bus; logins read the aggregates from the store
//! (see `application::Accounts`). Clear-text passwords exist only inside these handlers: they
//! are hashed here, and neither they nor tokens are ever logged. One file per resource:
//! [`accounts`] (sign-up, profile, password, roles, keys), [`sessions`]; [`state`] holds
//! what they share.

mod accounts;
pub mod openapi;
mod sessions;
mod state;

use axum::Router;
use axum::routing::{get, post, put};

use accounts::{change_password, grant_role, jwks, me, register, revoke_role, update_profile};
use sessions::{login, logout, refresh};
pub use state::IdentityApi;

pub fn router(api: IdentityApi) -> Router {
    Router::new()
        .route("/.well-known/jwks.json", get(jwks))
        .route("/api/v1/users", post(register))
        .route(
            "/api/v1/users/{id}/roles/{role}",
            put(grant_role).delete(revoke_role),
        )
        .route("/api/v1/sessions", post(login).delete(logout))
        .route("/api/v1/sessions/refresh", post(refresh))
        .route("/api/v1/me", get(me).patch(update_profile))
        .route("/api/v1/me/password", post(change_password))
        .with_state(api)
}
