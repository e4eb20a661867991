//! Accounts: sign-up, the caller's profile and password, roles (admins), and the public
//! keys tokens are verified with.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Query};
use serde::Deserialize;
use shared_kernel::ids::UserId;
use utoipa::{IntoParams, ToSchema};

use super::openapi::{IdempotencyKeyHeader, Jwks, Problem, Profile, UserRef};
use super::sessions::{invalid_credentials, locked};
use super::state::{ClientIp, IdentityApi, password_error, send};
use crate::application::{IdentityCommand, Password};
use crate::domain::{User, normalize_email};

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "identity",
    summary = "The public keys that verify access tokens (JWKS)",
    responses(
        (status = 200, description = "The Ed25519 public keys (`kty` OKP, `alg` EdDSA), by `kid`; cacheable for 5 minutes", body = Jwks,
            headers(("Cache-Control" = String, description = "`public, max-age=300`"))),
    ),
)]
pub(super) async fn jwks(State(api): State<IdentityApi>) -> Response {
    let mut response =
        Json(serde_json::json!({ "keys": [api.issuer.key().jwk()] })).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "email": "ada@example.org", "password": "correct horse battery staple",
    "display_name": "Ada"
}))]
pub(super) struct Register {
    /// At most 254 characters; unique (`email_taken`).
    #[schema(format = Email)]
    email: String,
    /// At least 8 characters, at most 1,024 bytes.
    #[schema(value_type = String, format = Password, min_length = 8)]
    password: Password,
    /// 1 to 100 characters.
    display_name: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "identity",
    summary = "Sign up",
    params(IdempotencyKeyHeader),
    request_body = Register,
    responses(
        (status = 201, description = "Registered", body = UserRef,
            headers(("Location" = String, description = "The user: `/api/v1/users/{id}`"), ("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`email_taken`: an account with this e-mail address exists; `user_exists`; `concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed` (e-mail address, password policy, display name); `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many sign-ups from this address", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(super) async fn register(
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

fn profile_json(user: &User) -> serde_json::Value {
    serde_json::json!({
        "id": user.id,
        "email": user.email,
        "display_name": user.display_name,
        "roles": user.role_claims(),
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "identity",
    summary = "The caller's profile and roles",
    responses(
        (status = 200, description = "The caller's profile (never cached)", body = Profile),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the account is gone", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn me(
    State(api): State<IdentityApi>,
    caller: Caller,
) -> Result<Response, ApiError> {
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

/// The caller's new profile.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdateProfile {
    /// 1 to 100 characters.
    display_name: String,
}

#[utoipa::path(
    patch,
    path = "/api/v1/me",
    tag = "identity",
    summary = "Change the caller's display name",
    params(IdempotencyKeyHeader),
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "Changed", body = UserRef,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the account is gone", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: display name; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn update_profile(
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

/// A new password, authorised by the current one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePassword {
    #[schema(value_type = String, format = Password)]
    current_password: Password,
    /// At least 8 characters, at most 1,024 bytes.
    #[schema(value_type = String, format = Password, min_length = 8)]
    new_password: Password,
}

#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    tag = "identity",
    summary = "Change the caller's password (ends every other session)",
    params(IdempotencyKeyHeader),
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Changed", body = UserRef,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 400, description = "`malformed_json`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`; `invalid_credentials`: the current password is wrong", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the account is gone", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the new password breaks the policy; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many failed logins for the account, or too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_password(
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
        .ok_or(ApiError::Unauthenticated(Some(
            "the account is gone".into(),
        )))?
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

/// The scope of a role (any other parameter is refused).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct Scope {
    /// The community a `moderator` role is for (required for it, refused for the others).
    scope: Option<String>,
}

pub(super) async fn change_role(
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

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/roles/{role}",
    tag = "identity",
    summary = "Grant a role (admins)",
    params(("id" = String, Path, description = "The user id (UUID)"), ("role" = String, Path, description = "`admin`, `analyst` or `moderator` (with `scope`)"), Scope, IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Done", body = UserRef,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the caller is not an admin (now)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown role, a missing or unexpected scope, or an unknown query parameter; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn grant_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, true).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/roles/{role}",
    tag = "identity",
    summary = "Revoke a role (admins)",
    params(("id" = String, Path, description = "The user id (UUID)"), ("role" = String, Path, description = "`admin`, `analyst` or `moderator` (with `scope`)"), Scope, IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Done", body = UserRef,
            headers(("Agora-Position" = u64, description = "Global position of the write's last event: send it as Agora-Min-Position to read your write"))),
        (status = 401, description = "`unauthenticated`", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: the caller is not an admin (now)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`; `idempotency_key_in_flight`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an unknown role, a missing or unexpected scope, or an unknown query parameter; `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the identity service is not reachable, or the command is taking longer than expected (it may still complete)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn revoke_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, false).await
}
