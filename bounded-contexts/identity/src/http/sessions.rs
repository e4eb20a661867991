//! Sessions: login (access and refresh tokens, optionally as a cookie), refresh, logout.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{
    ApiError, Authentication, CommandIds, Json, OptionalJson, Query, SESSION_COOKIE,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::openapi::{IdempotencyKeyHeader, Problem, Tokens};
use super::state::{ClientIp, IdentityApi, password_error, send};
use crate::application::{Account, IdentityCommand, Password, RefreshError};
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

pub(super) fn invalid_credentials() -> ApiError {
    ApiError::refused(
        shared_kernel::RejectionKind::Unauthenticated,
        "invalid_credentials",
        "e-mail address or password is wrong",
    )
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

pub(super) fn locked(wait: std::time::Duration) -> ApiError {
    ApiError::TooManyRequests {
        detail: "too many failed logins for this account; try again later".into(),
        retry_after_secs: wait.as_secs().max(1),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/sessions",
    tag = "identity",
    summary = "Log in: an access token and a refresh token",
    params(CookieQuery),
    request_body = Login,
    responses(
        (status = 200, description = "Tokens (never cached)", body = Tokens,
            headers(("Set-Cookie" = String, description = "With `cookie`: `agora_session=<access token>; HttpOnly; SameSite=Strict; Path=/`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`invalid_credentials`: the e-mail address or the password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body or the query has another shape", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many logins from this address, or too many failed logins for the account", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn login(
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
    tag = "identity",
    summary = "Exchange a refresh token for new tokens",
    params(CookieQuery),
    request_body = Refresh,
    responses(
        (status = 200, description = "Tokens (never cached)", body = Tokens,
            headers(("Set-Cookie" = String, description = "With `cookie`: `agora_session=<access token>; HttpOnly; SameSite=Strict; Path=/`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: the refresh token is unknown, expired, revoked or was already used", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body or the query has another shape", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many refreshes from this address", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn refresh(
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
            return Err(ApiError::Unauthenticated(Some(
                "the refresh token is not valid".into(),
            )));
        }
    };
    // Fresh roles, and no token for an account that is gone.
    let account = api
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
    tag = "identity",
    summary = "Log out: the access token presented, and a refresh token family",
    params(IdempotencyKeyHeader),
    request_body(content = Option<Logout>, description = "Optional: a cookie-only client has no refresh token to hand in"),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "`agora_session=; Max-Age=0`"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn logout(
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
