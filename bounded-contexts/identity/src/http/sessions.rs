//! `/api/v1/sessions...`: login (access and refresh tokens, optionally as a cookie), refresh,
//! logout.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{
    AGORA_POSITION, ApiError, Authentication, CommandIds, Json, OptionalJson, Query,
    SESSION_COOKIE, Written,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ClientIp, IdentityApi, locked, password_error};
use crate::application::{
    Account, IdentityCommand, Password, RefreshError, UserRef, WrongCredentials,
};
use crate::domain::normalize_email;

/// Credentials.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "email": "ada@example.org", "password": "correct horse battery staple" }))]
pub(super) struct Login {
    #[schema(format = Email)]
    email: String,
    #[schema(value_type = String, format = Password)]
    password: Password,
    /// Also set the `agora_session` cookie.
    #[serde(default)]
    cookie: bool,
}

/// Whether to set the session cookie.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CookieQuery {
    /// Also set the `agora_session` cookie (HTTP-only, SameSite=Strict).
    #[serde(default)]
    #[param(default = false)]
    cookie: bool,
}

/// The tokens of a session.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Tokens {
    /// An EdDSA JWT: send it as `Authorization: Bearer <token>`.
    access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    expires_in: u64,
    /// Exchanges for new tokens at `POST /api/v1/sessions/refresh` (once).
    refresh_token: String,
}

/// The token response of login and refresh, never cached, optionally with the session cookie.
fn session_response(
    api: &IdentityApi,
    account: &Account,
    refresh_token: String,
    cookie: bool,
) -> Result<Response, ApiError> {
    let services = &api.extra;
    let issued = services
        .issuer
        .issue(
            account.user.id,
            account.user.role_claims(),
            account.version,
            services.clock.now(),
        )
        .map_err(ApiError::internal)?;
    let expires_in = issued.expires_in.as_secs();
    let set_cookie = cookie
        .then(|| {
            let secure = if services.cookie_secure { "; Secure" } else { "" };
            HeaderValue::from_str(&format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={expires_in}{secure}",
                issued.token
            ))
        })
        .transpose()
        .map_err(ApiError::internal)?;
    let mut response = Json(Tokens {
        access_token: issued.token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
    })
    .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(c) = set_cookie {
        headers.insert(header::SET_COOKIE, c);
    }
    Ok(response)
}

#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    summary = "Log in: an access token and a refresh token",
    params(CookieQuery),
    request_body = Login,
    responses(
        (status = 200, description = "Tokens (never cached)", body = Tokens,
            headers(("Set-Cookie" = String, description = "With `cookie`: `agora_session=<access token>; HttpOnly; SameSite=Strict; Path=/`"))),
        (status = 401, description = "`invalid_credentials`: the e-mail address or the password is wrong"),
        (status = 429, description = "`rate_limited`: too many logins from this address, or too many failed logins for the account"),
    ),
    // `http_kernel::openapi::ANSWERS_DIRECTLY` (the macro takes a literal): no command, no 202.
    extensions(("x-agora-answers-directly" = json!(true))),
)]
pub(super) async fn login(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    Query(query): Query<CookieQuery>,
    Json(req): Json<Login>,
) -> Result<Response, ApiError> {
    let services = &api.extra;
    services.logins_per_ip.check(&ip)?;
    let account = normalize_email(&req.email);
    // Checked before the password: a locked account answers 429 even to the right password,
    // or a brute force could go on and recognise its hit by the different answer.
    if let Some(wait) = services.failed_logins.locked_for(&account) {
        return Err(locked(wait));
    }
    let user = services
        .accounts
        .find_by_email(&account)
        .await
        .map_err(ApiError::internal)?;
    let hash = user.as_ref().and_then(|a| a.user.password_hash.clone());
    let ok = services
        .passwords
        .verify(req.password, hash)
        .await
        .map_err(password_error)?;
    let Some(user) = user.filter(|_| ok) else {
        services.failed_logins.record_failure(&account);
        tracing::info!(ip = %ip, "login failed");
        return Err(ApiError::rejection(&WrongCredentials::Login));
    };
    services.failed_logins.record_success(&account);
    let refresh_token = services
        .refresh
        .start_family(user.user.id, services.clock.now())
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(user_id = %user.user.id, "logged in");
    session_response(&api, &user, refresh_token, req.cookie || query.cookie)
}

/// A refresh token to exchange (it is rotated: the old one stops working).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Refresh {
    refresh_token: String,
    /// Also set the `agora_session` cookie.
    #[serde(default)]
    cookie: bool,
}

#[utoipa::path(
    post,
    path = "/api/v1/sessions/refresh",
    summary = "Exchange a refresh token for new tokens",
    params(CookieQuery),
    request_body = Refresh,
    responses(
        (status = 200, description = "Tokens (never cached)", body = Tokens,
            headers(("Set-Cookie" = String, description = "With `cookie`: `agora_session=<access token>; HttpOnly; SameSite=Strict; Path=/`"))),
        (status = 401, description = "`unauthenticated`: the refresh token is unknown, expired, revoked or was already used"),
        (status = 429, description = "`rate_limited`: too many refreshes from this address"),
    ),
    // `http_kernel::openapi::ANSWERS_DIRECTLY` (the macro takes a literal): no command, no 202.
    extensions(("x-agora-answers-directly" = json!(true))),
)]
pub(super) async fn refresh(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    Query(query): Query<CookieQuery>,
    Json(req): Json<Refresh>,
) -> Result<Response, ApiError> {
    let services = &api.extra;
    services.logins_per_ip.check(&ip)?;
    let rotated = match services
        .refresh
        .rotate(&req.refresh_token, services.clock.now())
        .await
    {
        Ok(r) => r,
        Err(RefreshError::Database(e)) => return Err(ApiError::internal(e)),
        Err(e) => {
            tracing::info!(reason = %e, "refresh refused");
            return Err(ApiError::Unauthenticated(Some(
                "the refresh token is not valid".into(),
            )));
        }
    };
    // Fresh roles, and no token for an account that is gone.
    let account = services
        .accounts
        .find(rotated.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Unauthenticated(Some(
            "the account is gone".into(),
        )))?;
    session_response(
        &api,
        &account,
        rotated.refresh_token,
        req.cookie || query.cookie,
    )
}

/// What else to end: the refresh token's family.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Logout {
    /// Revokes this refresh token and every token rotated from the same login.
    refresh_token: Option<String>,
}

/// Ends a session: the access token presented (header or cookie) is signed out, so every
/// process refuses it from now on though it has not expired; the refresh token's family is
/// revoked; the cookie is cleared. A token that is already refused (expired, revoked) only
/// has nothing left to sign out.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions",
    summary = "Log out: the access token presented, and a refresh token family",
    request_body(content = Option<Logout>, description = "Optional: a cookie-only client has no refresh token to hand in"),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "`agora_session=; Max-Age=0`"))),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn logout(
    State(api): State<IdentityApi>,
    ids: CommandIds,
    authentication: Option<Extension<Authentication>>,
    OptionalJson(body): OptionalJson<Logout>,
) -> Result<Response, ApiError> {
    let services = &api.extra;
    let signed_out: Option<Written<UserRef>> = match authentication {
        Some(Extension(Authentication::Verified(caller))) => {
            let command = IdentityCommand::SignOut {
                user_id: caller.user_id,
                token_id: caller.token_id.clone(),
                expires_at: caller.expires_at,
            };
            Some(api.command(&caller, ids, &command).await?)
        }
        _ => None,
    };
    if let Some(token) = body.refresh_token {
        services
            .refresh
            .revoke(&token, services.clock.now())
            .await
            .map_err(ApiError::internal)?;
    }
    let mut response = match signed_out {
        // The sign-out's reply is late: say where its outcome will be.
        Some(Written::Pending(pending)) => pending.into_response(),
        done => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            if let Some(position) = done.as_ref().and_then(Written::position) {
                response
                    .headers_mut()
                    .insert(AGORA_POSITION, HeaderValue::from(position));
            }
            response
        }
    };
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("agora_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    Ok(response)
}
