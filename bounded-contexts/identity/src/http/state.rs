//! The state of the identity routes, and what they share: the client's address, sending a
//! command, and the problems of a bus or password failure.

use shared_kernel::ContextCommand as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse as _;
use axum::response::Response;
use http_kernel::{ApiError, CommandIds, KeyedLimiter, Written};
use shared_kernel::{BusError, Clock, CommandBus, CommandOutcome};

use crate::application::{
    Accounts, FailedLogins, IdentityCommand, IdentityConfig, PasswordError, Passwords,
    RefreshTokens, TokenIssuer,
};

/// What the routes need.
#[derive(Debug, Clone)]
pub struct IdentityApi {
    pub bus: Arc<dyn CommandBus>,
    pub accounts: Accounts,
    pub passwords: Passwords,
    pub issuer: Arc<TokenIssuer>,
    pub refresh: RefreshTokens,
    pub clock: Arc<dyn Clock>,
    pub failed_logins: Arc<FailedLogins>,
    pub logins_per_ip: Arc<KeyedLimiter<IpAddr>>,
    pub registrations_per_ip: Arc<KeyedLimiter<IpAddr>>,
    pub cookie_secure: bool,
}

impl IdentityApi {
    /// Assembles the routes' services from configuration.
    ///
    /// # Errors
    /// Password hashing cannot be set up.
    pub fn new(
        bus: Arc<dyn CommandBus>,
        accounts: Accounts,
        issuer: Arc<TokenIssuer>,
        refresh: RefreshTokens,
        clock: Arc<dyn Clock>,
        config: &IdentityConfig,
    ) -> Result<Self, PasswordError> {
        Ok(Self {
            bus,
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
                std::time::Duration::from_secs(60),
                "login attempts from this address",
            )),
            registrations_per_ip: Arc::new(KeyedLimiter::new(
                config.registrations_per_ip_per_hour,
                std::time::Duration::from_secs(3600),
                "sign-ups from this address",
            )),
            cookie_secure: config.cookie_secure,
        })
    }
}

/// The client's address (the TCP peer). Behind a reverse proxy every client shares the
/// proxy's address, so the per-address limits then act as one global limit.
#[derive(Debug, Clone, Copy)]
pub(super) struct ClientIp(pub IpAddr);

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

pub(super) fn bus_error(e: BusError) -> ApiError {
    match e {
        BusError::Timeout(_) => ApiError::Unavailable {
            detail: "the command is taking longer than expected; it may still complete".into(),
            retry_after_secs: 1,
        },
        BusError::NoRoute(_) | BusError::Unavailable(_) => ApiError::Unavailable {
            detail: "the identity service is not reachable".into(),
            retry_after_secs: 2,
        },
    }
}

pub(super) fn password_error(e: PasswordError) -> ApiError {
    match e {
        PasswordError::Policy(detail) => ApiError::Validation(detail),
        other @ PasswordError::Hashing(_) => ApiError::internal(other),
    }
}

/// Sends `command` on behalf of `actor` under the request's command id.
pub(super) async fn send(
    api: &IdentityApi,
    actor: String,
    ids: CommandIds,
    command: &IdentityCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(ids.command_id(), actor)
        .map_err(ApiError::internal)?;
    let reply = api.bus.send(envelope).await.map_err(bus_error)?;
    match reply.outcome {
        CommandOutcome::Accepted { position, body, .. } => Ok(Written::Done {
            status,
            position,
            body,
            location: None,
        }
        .into_response()),
        CommandOutcome::Rejected {
            kind,
            code,
            message,
            details,
        } => Err(ApiError::Refused {
            kind,
            code,
            message,
            details,
        }),
    }
}
