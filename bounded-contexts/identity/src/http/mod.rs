//! The identity routes: sign-up and roles ([`users`]), the caller's profile and password
//! ([`me`]), sessions ([`sessions`]: login, refresh, logout) and the public keys that verify
//! tokens ([`keys`], at the root: `/.well-known/jwks.json`).
//!
//! Writes to accounts go through the command bus; logins read the aggregates from the store
//! (see `application::Accounts`) and answer directly. Clear-text passwords exist only inside
//! these handlers: they are hashed here, and neither they nor tokens are ever logged.

mod keys;
mod me;
mod sessions;
mod users;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use http_kernel::{ApiError, ContextApi, KeyedLimiter, Routes, routes};
use shared_kernel::Clock;
use utoipa::OpenApi;

use crate::application::{
    Accounts, FailedLogins, IdentityConfig, PasswordError, Passwords, RefreshTokens, TokenIssuer,
};

/// The state of the identity routes.
pub type IdentityApi = ContextApi<IdentityServices>;

/// What the identity routes need besides the shared state: accounts and passwords, the token
/// issuer and refresh-token families, the abuse limits and the cookie's flag.
#[derive(Debug, Clone)]
pub struct IdentityServices {
    pub accounts: Accounts,
    pub passwords: Passwords,
    pub issuer: Arc<TokenIssuer>,
    pub refresh: RefreshTokens,
    pub clock: Arc<dyn Clock>,
    pub failed_logins: Arc<FailedLogins>,
    pub logins_per_ip: Arc<KeyedLimiter<IpAddr>>,
    pub registrations_per_ip: Arc<KeyedLimiter<IpAddr>>,
    /// Mark the session cookie `Secure`.
    pub cookie_secure: bool,
}

impl IdentityServices {
    /// The routes' services, with the limits of `config`.
    ///
    /// # Errors
    /// Password hashing cannot be set up.
    pub fn new(
        accounts: Accounts,
        issuer: Arc<TokenIssuer>,
        refresh: RefreshTokens,
        clock: Arc<dyn Clock>,
        config: &IdentityConfig,
    ) -> Result<Self, PasswordError> {
        Ok(Self {
            accounts,
            passwords: Passwords::new()?,
            issuer,
            refresh,
            clock,
            failed_logins: Arc::new(FailedLogins::new(
                config.login_failures_per_account,
                config.login_failure_window,
            )),
            logins_per_ip: Arc::new(KeyedLimiter::new(
                config.logins_per_ip_per_minute,
                Duration::from_secs(60),
                "login attempts from this address",
            )),
            registrations_per_ip: Arc::new(KeyedLimiter::new(
                config.registrations_per_ip_per_hour,
                Duration::from_secs(3600),
                "sign-ups from this address",
            )),
            cookie_secure: config.cookie_secure,
        })
    }
}

#[derive(OpenApi)]
#[openapi(tags((
    name = "identity",
    description = "Accounts, sessions (EdDSA JWT access tokens, rotating refresh tokens, an \
                   optional session cookie), profiles and roles, and the public keys that \
                   verify tokens."
)))]
struct Doc;

/// Every identity route, served and described.
pub fn routes(api: IdentityApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(keys::jwks))
        .routes(routes!(users::register))
        .routes(routes!(users::grant_role, users::revoke_role))
        .routes(routes!(sessions::login, sessions::logout))
        .routes(routes!(sessions::refresh))
        .routes(routes!(me::profile, me::update_profile))
        .routes(routes!(me::change_password))
        .with_state(api)
}

/// The client's address: the TCP peer, or the address a trusted proxy forwarded (the server
/// loop decides, `--trusted-proxies`). Behind a proxy not trusted every client shares the
/// proxy's address, so the per-address limits then act as one global limit.
#[derive(Debug, Clone, Copy)]
struct ClientIp(IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip()),
        ))
    }
}

fn password_error(e: PasswordError) -> ApiError {
    match e {
        PasswordError::Policy(detail) => ApiError::Validation(detail),
        other @ PasswordError::Hashing(_) => ApiError::internal(other),
    }
}

/// A lock-out after too many failed logins for an account, for `wait`.
fn locked(wait: Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: "too many failed logins for this account; try again later".into(),
        retry_after_secs: wait.as_secs().max(1),
    }
}
