//! `/api/v1/users`, `/api/v1/sessions`, `/api/v1/me`, `/.well-known/jwks.json`.
//!
//! Writes to accounts go through the command bus; logins read the aggregates from the store
//! (see `application::Accounts`). Clear-text passwords exist only inside these handlers: they
//! are hashed here, and neither they nor tokens are ever logged.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use http_kernel::{
    ApiError, Authentication, Caller, CommandIds, Json, KeyedLimiter, OptionalJson, Path, Query,
    SESSION_COOKIE, reply_response,
};
use serde::Deserialize;
use shared_kernel::ids::UserId;
use shared_kernel::{BusError, Clock, CommandBus, CommandOutcome};

use crate::application::{
    Account, Accounts, FailedLogins, IdentityCommand, IdentityConfig, Password, PasswordError,
    Passwords, RefreshError, RefreshTokens, TokenIssuer,
};
use crate::domain::{User, normalize_email};

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

/// The client's address (the TCP peer). Behind a reverse proxy every client shares the
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

fn bus_error(e: BusError) -> ApiError {
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

fn password_error(e: PasswordError) -> ApiError {
    match e {
        PasswordError::Policy(detail) => ApiError::Validation(detail),
        other @ PasswordError::Hashing(_) => ApiError::internal(other),
    }
}

/// Sends `command` on behalf of `actor` under the request's command id.
async fn send(
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
    let body = match &reply.outcome {
        CommandOutcome::Accepted { body, .. } => body.clone(),
        CommandOutcome::Rejected { .. } => serde_json::Value::Null,
    };
    reply_response(reply, status, body)
}

async fn jwks(State(api): State<IdentityApi>) -> Response {
    let mut response =
        Json(serde_json::json!({ "keys": [api.issuer.key().jwk()] })).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    email: String,
    password: Password,
    display_name: String,
}

async fn register(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    ids: CommandIds,
    Json(req): Json<Register>,
) -> Result<Response, ApiError> {
    api.registrations_per_ip.check(&ip)?;
    let password_hash = api
        .passwords
        .hash(req.password)
        .await
        .map_err(password_error)?;
    let user_id = UserId::derived(ids.command_id(), "user");
    let command = IdentityCommand::RegisterUser {
        user_id,
        email: normalize_email(&req.email),
        display_name: req.display_name,
        password_hash,
    };
    let mut response = send(
        &api,
        user_id.to_string(),
        ids,
        &command,
        StatusCode::CREATED,
    )
    .await?;
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/users/{user_id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: Password,
    /// Also set the `agora_session` cookie.
    #[serde(default)]
    cookie: bool,
}

#[derive(Debug, Default, Deserialize)]
struct CookieQuery {
    #[serde(default)]
    cookie: bool,
}

fn invalid_credentials() -> ApiError {
    ApiError::Rejected {
        status: 401,
        code: "invalid_credentials".into(),
        message: "e-mail address or password is wrong".into(),
    }
}

/// The token response of login and refresh, never cached, optionally with the session cookie.
fn session_response(
    api: &IdentityApi,
    account: &Account,
    refresh_token: String,
    cookie: bool,
) -> Result<Response, ApiError> {
    let issued = api
        .issuer
        .issue(
            account.user.id,
            account.user.role_claims(),
            account.version,
            api.clock.now(),
        )
        .map_err(ApiError::internal)?;
    let expires_in = issued.expires_in.as_secs();
    let set_cookie = cookie
        .then(|| {
            let secure = if api.cookie_secure { "; Secure" } else { "" };
            HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={expires_in}{secure}",
                issued.token
            ))
        })
        .transpose()
        .map_err(ApiError::internal)?;
    let mut response = Json(serde_json::json!({
        "access_token": issued.token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "refresh_token": refresh_token,
    }))
    .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = set_cookie {
        headers.insert(header::SET_COOKIE, c);
    }
    Ok(response)
}

fn locked(wait: std::time::Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: "too many failed logins for this account; try again later".into(),
        retry_after_secs: wait.as_secs().max(1),
    }
}

async fn login(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    Query(query): Query<CookieQuery>,
    Json(req): Json<Login>,
) -> Result<Response, ApiError> {
    api.logins_per_ip.check(&ip)?;
    let account = normalize_email(&req.email);
    // Checked before the password: a locked account answers 429 even to the right password,
    // or a brute force could go on and recognise its hit by the different answer.
    if let Some(wait) = api.failed_logins.locked_for(&account) {
        return Err(locked(wait));
    }
    let user = api
        .accounts
        .find_by_email(&account)
        .await
        .map_err(ApiError::internal)?;
    let hash = user.as_ref().and_then(|a| a.user.password_hash.clone());
    let ok = api
        .passwords
        .verify(req.password, hash)
        .await
        .map_err(password_error)?;
    let Some(user) = user.filter(|_| ok) else {
        api.failed_logins.record_failure(&account);
        tracing::info!(ip = %ip, "login failed");
        return Err(invalid_credentials());
    };
    api.failed_logins.record_success(&account);
    let refresh_token = api
        .refresh
        .start_family(user.user.id, api.clock.now())
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.user.id, "logged in");
    session_response(&api, &user, refresh_token, req.cookie || query.cookie)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
    #[serde(default)]
    cookie: bool,
}

async fn refresh(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    Query(query): Query<CookieQuery>,
    Json(req): Json<Refresh>,
) -> Result<Response, ApiError> {
    api.logins_per_ip.check(&ip)?;
    let rotated = match api
        .refresh
        .rotate(&req.refresh_token, api.clock.now())
        .await
    {
        Ok(r) => r,
        Err(RefreshError::Database(e)) => return Err(ApiError::internal(e)),
        Err(e) => {
            tracing::info!(reason = %e, "refresh refused");
            return Err(ApiError::Unauthenticated);
        }
    };
    // Fresh roles, and no token for an account that is gone.
    let account = api
        .accounts
        .find(rotated.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Unauthenticated)?;
    session_response(
        &api,
        &account,
        rotated.refresh_token,
        req.cookie || query.cookie,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Logout {
    refresh_token: Option<String>,
}

/// Ends a session: the access token presented (header or cookie) is signed out, so every
/// process refuses it from now on though it has not expired; the refresh token's family is
/// revoked; the cookie is cleared. A token that is already refused (expired, revoked) only
/// has nothing left to sign out.
async fn logout(
    State(api): State<IdentityApi>,
    ids: CommandIds,
    authentication: Option<Extension<Authentication>>,
    // The body is optional: a cookie-only client has no refresh token to hand in.
    OptionalJson(body): OptionalJson<Logout>,
) -> Result<Response, ApiError> {
    if let Some(Extension(Authentication::Verified(caller))) = authentication {
        let command = IdentityCommand::SignOut {
            user_id: caller.user_id,
            token_id: caller.token_id.clone(),
            expires_at: caller.expires_at,
        };
        send(
            &api,
            caller.user_id.to_string(),
            ids,
            &command,
            StatusCode::NO_CONTENT,
        )
        .await?;
    }
    if let Some(token) = body.refresh_token {
        api.refresh
            .revoke(&token, api.clock.now())
            .await
            .map_err(ApiError::internal)?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("agora_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}

fn profile_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": user.role_claims(),
    })
}

async fn me(State(api): State<IdentityApi>, caller: Caller) -> Result<Response, ApiError> {
    let account = api
        .accounts
        .find(caller.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("user".into()))?;
    let mut response = Json(profile_json(&account.user)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateProfile {
    display_name: String,
}

async fn update_profile(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<UpdateProfile>,
) -> Result<Response, ApiError> {
    let command = IdentityCommand::UpdateProfile {
        user_id: caller.user_id,
        display_name: req.display_name,
    };
    send(
        &api,
        caller.user_id.to_string(),
        ids,
        &command,
        StatusCode::OK,
    )
    .await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePassword {
    current_password: Password,
    new_password: Password,
}

async fn change_password(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<ChangePassword>,
) -> Result<Response, ApiError> {
    let user = api
        .accounts
        .find(caller.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Unauthenticated)?
        .user;
    // The same lock-out as login: a stolen access token must not become a password oracle.
    if let Some(wait) = api.failed_logins.locked_for(&user.email) {
        return Err(locked(wait));
    }
    let ok = api
        .passwords
        .verify(req.current_password, user.password_hash.clone())
        .await
        .map_err(password_error)?;
    if !ok {
        api.failed_logins.record_failure(&user.email);
        return Err(invalid_credentials());
    }
    let password_hash = api
        .passwords
        .hash(req.new_password)
        .await
        .map_err(password_error)?;
    let command = IdentityCommand::ChangePassword {
        user_id: caller.user_id,
        password_hash,
    };
    let response = send(
        &api,
        caller.user_id.to_string(),
        ids,
        &command,
        StatusCode::OK,
    )
    .await?;
    // Every other session ends with the old password.
    api.refresh
        .revoke_user(caller.user_id, api.clock.now())
        .await
        .map_err(ApiError::internal)?;
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scope {
    scope: Option<String>,
}

async fn change_role(
    api: &IdentityApi,
    caller: &Caller,
    ids: CommandIds,
    id: &str,
    role: String,
    scope: Option<String>,
    grant: bool,
) -> Result<Response, ApiError> {
    // A quick answer from the token; the handler checks the admin's current roles again.
    if !caller.is_admin() {
        return Err(ApiError::Forbidden(
            "only an admin may grant or revoke roles".into(),
        ));
    }
    let user_id = id
        .parse::<UserId>()
        .map_err(|_| ApiError::NotFound("user".into()))?;
    let command = if grant {
        IdentityCommand::GrantRole {
            user_id,
            role,
            scope,
        }
    } else {
        IdentityCommand::RevokeRole {
            user_id,
            role,
            scope,
        }
    };
    send(
        api,
        caller.user_id.to_string(),
        ids,
        &command,
        StatusCode::OK,
    )
    .await
}

async fn grant_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, true).await
}

async fn revoke_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, false).await
}
