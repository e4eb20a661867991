//! `/api/v1/me...`: the caller's profile and password.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use http_kernel::{ApiError, Caller, CommandIds, Json, Written};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{IdentityApi, locked, password_error};
use crate::application::{IdentityCommand, Password, UserRef, WrongCredentials};
use crate::domain::User;

/// The caller's profile.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0190f0a4-5b7c-7d2e-8f00-0123456789ab", "email": "ada@example.org",
    "display_name": "Ada", "roles": ["moderator:chess"]
}))]
pub(super) struct Profile {
    #[schema(format = Uuid)]
    id: String,
    #[schema(format = Email)]
    email: String,
    display_name: String,
    /// `admin`, `analyst`, `moderator:<community>`.
    roles: Vec<String>,
}

impl From<&User> for Profile {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            roles: user.role_claims(),
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me",
    summary = "The caller's profile and roles",
    responses(
        (status = 200, description = "The caller's profile (never cached)", body = Profile,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 404, description = "`not_found`: the account is gone"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn profile(
    State(api): State<IdentityApi>,
    caller: Caller,
) -> Result<impl IntoResponse, ApiError> {
    let account = api
        .extra
        .accounts
        .find(caller.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("user".into()))?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Profile::from(&account.user)),
    ))
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
    summary = "Change the caller's display name",
    request_body = UpdateProfile,
    responses(
        (status = 200, description = "Changed", body = UserRef),
        (status = 404, description = "`not_found`: the account is gone"),
        (status = 422, description = "`validation_failed`: the display name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn update_profile(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<UpdateProfile>,
) -> Result<Written<UserRef>, ApiError> {
    let command = IdentityCommand::UpdateProfile {
        user_id: caller.user_id,
        display_name: req.display_name,
    };
    api.command(&caller, ids, &command).await
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
    summary = "Change the caller's password (ends every other session)",
    request_body = ChangePassword,
    responses(
        (status = 200, description = "Changed", body = UserRef),
        (status = 401, description = "`invalid_credentials`: the current password is wrong"),
        (status = 404, description = "`not_found`: the account is gone"),
        (status = 422, description = "`validation_failed`: the new password breaks the policy"),
        (status = 429, description = "`rate_limited`: too many failed logins for the account"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_password(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<ChangePassword>,
) -> Result<Written<UserRef>, ApiError> {
    let services = &api.extra;
    let user = services
        .accounts
        .find(caller.user_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or(ApiError::Unauthenticated(Some(
            "the account is gone".into(),
        )))?
        .user;
    // The same lock-out as login: a stolen access token must not become a password oracle.
    if let Some(wait) = services.failed_logins.locked_for(&user.email) {
        return Err(locked(wait));
    }
    let ok = services
        .passwords
        .verify(req.current_password, user.password_hash.clone())
        .await
        .map_err(password_error)?;
    if !ok {
        services.failed_logins.record_failure(&user.email);
        return Err(ApiError::rejection(&WrongCredentials::CurrentPassword));
    }
    let password_hash = services
        .passwords
        .hash(req.new_password)
        .await
        .map_err(password_error)?;
    let command = IdentityCommand::ChangePassword {
        user_id: caller.user_id,
        password_hash,
    };
    let written = api.command(&caller, ids, &command).await?;
    // Every other session ends with the old password. A late reply (202) ends them too: the
    // caller asked for it, and a session ended early only means logging in again.
    services
        .refresh
        .revoke_user(caller.user_id, services.clock.now())
        .await
        .map_err(ApiError::internal)?;
    Ok(written)
}
