//! `/api/v1/users...`: sign-up, and roles (admins).

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Query, Written};
use serde::Deserialize;
use shared_kernel::ids::UserId;
use utoipa::{IntoParams, ToSchema};

use super::{ClientIp, IdentityApi, password_error};
use crate::application::{IdentityCommand, Password, UserRef};
use crate::domain::normalize_email;

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
    summary = "Sign up",
    request_body = Register,
    responses(
        (status = 201, description = "Registered", body = UserRef,
            headers(("Location" = String, description = "The user: `/api/v1/users/{id}`"))),
        (status = 409, description = "`email_taken`: an account with this e-mail address exists; `user_exists`"),
        (status = 422, description = "`validation_failed`: the e-mail address, the password policy, the display name"),
        (status = 429, description = "`rate_limited`: too many sign-ups from this address"),
    ),
)]
pub(super) async fn register(
    State(api): State<IdentityApi>,
    ClientIp(ip): ClientIp,
    ids: CommandIds,
    Json(req): Json<Register>,
) -> Result<Written<UserRef>, ApiError> {
    let services = &api.extra;
    services.registrations_per_ip.check(&ip)?;
    let password_hash = services
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
    // The new user is the actor of their own sign-up.
    let id = user_id.to_string();
    let written = api.command_as(id.clone(), ids, &command, Some(id)).await?;
    Ok(written.created(|user: &UserRef| format!("/api/v1/users/{}", user.id)))
}

/// The scope of a role (any other parameter is refused).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct Scope {
    /// The community a `moderator` role is for (required for it, refused for the others).
    scope: Option<String>,
}

/// The path of a role: the user id and the role's name.
const USER: &str = "The user id (UUID)";
const ROLE: &str = "`admin`, `analyst` or `moderator` (with `scope`)";

async fn change_role(
    api: &IdentityApi,
    caller: &Caller,
    ids: CommandIds,
    (id, role): (String, String),
    scope: Option<String>,
    grant: bool,
) -> Result<Written<UserRef>, ApiError> {
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
    api.command(caller, ids, &command).await
}

#[utoipa::path(
    put,
    path = "/api/v1/users/{id}/roles/{role}",
    summary = "Grant a role (admins)",
    params(("id" = String, Path, description = USER), ("role" = String, Path, description = ROLE), Scope),
    responses(
        (status = 200, description = "Granted (or held already)", body = UserRef),
        (status = 403, description = "`forbidden`: the caller is not an admin (now)"),
        (status = 404, description = "`not_found`: no such user"),
        (status = 422, description = "`validation_failed`: an unknown role, a missing or unexpected scope, or an unknown query parameter"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn grant_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path(path): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Written<UserRef>, ApiError> {
    change_role(&api, &caller, ids, path, scope.scope, true).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/roles/{role}",
    summary = "Revoke a role (admins); the user's tokens issued before it stop working",
    params(("id" = String, Path, description = USER), ("role" = String, Path, description = ROLE), Scope),
    responses(
        (status = 200, description = "Revoked (or not held)", body = UserRef),
        (status = 403, description = "`forbidden`: the caller is not an admin (now)"),
        (status = 404, description = "`not_found`: no such user"),
        (status = 422, description = "`validation_failed`: an unknown role, a missing or unexpected scope, or an unknown query parameter"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn revoke_role(
    State(api): State<IdentityApi>,
    caller: Caller,
    ids: CommandIds,
    Path(path): Path<(String, String)>,
    Query(scope): Query<Scope>,
) -> Result<Written<UserRef>, ApiError> {
    change_role(&api, &caller, ids, path, scope.scope, false).await
}
