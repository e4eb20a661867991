//! How the identity context plugs into the platform: its handler and routes. The signing key
//! and refresh-token storage come from the composition root, which also verifies tokens on
//! every route (and keeps the revoked ones) whatever contexts a process runs.

use std::sync::Arc;

use context_kit::{Context, Services};

use crate::application::{
    Accounts, IdentityConfig, IdentityHandler, PasswordError, RefreshTokens, TokenIssuer,
};
use crate::http::IdentityServices;

/// The identity context, wired to the platform's services, issuing tokens with `issuer`.
///
/// # Errors
/// Password hashing cannot be set up.
pub fn context(
    services: &Services,
    issuer: Arc<TokenIssuer>,
    refresh: RefreshTokens,
    config: &IdentityConfig,
) -> Result<Context, PasswordError> {
    let s = services;
    let extra = IdentityServices::new(
        Accounts::new(Arc::clone(&s.store)),
        issuer,
        refresh,
        Arc::clone(&s.clock),
        config,
    )?;
    Ok(Context::new(crate::CONTEXT)
        .with_handler(Arc::new(IdentityHandler::new(
            Arc::clone(&s.store),
            Arc::clone(&s.clock),
        )))
        .with_routes(crate::http::routes(s.api(crate::CONTEXT).with(extra))))
}
