//! Accounts: sign-up, the caller's profile and password, roles (admins), and the public
//! keys tokens are verified with.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Query};
use serde::Deserialize;
use shared_kernel::ids::UserId;

use super::sessions::{invalid_credentials, locked};
use super::state::{ClientIp, IdentityApi, password_error, send};
use crate::application::{IdentityCommand, Password};
use crate::domain::{User, normalize_email};

pub(super) async fn jwks(State(api): State<IdentityApi>) -> Response {
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
pub(super) struct Register {
    email: String,
    password: Password,
    display_name: String,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpdateProfile {
    display_name: String,
}

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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePassword {
    current_password: Password,
    new_password: Password,
}

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
pub(super) struct Scope {
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

pub(super) async fn grant_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, true).await
}

pub(super) async fn revoke_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path((id, role)): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Response, ApiError> {
    change_role(&api, &caller, ids, &id, role, scope.scope, false).await
}
