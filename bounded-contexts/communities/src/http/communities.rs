//! `/api/v1/communities[/{name}]`: creating a community, reading it, its settings and its
//! moderators.

use axum::extract::State;
use event_schemas::communities::Visibility;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::Deserialize;
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

use super::{CommunitiesApi, NAME, community, parse};
use crate::application::{CommunityReply, CommunityRequest, CreateCommunity, ModeratorReply};
use crate::projections::{Community, moderators};

/// The settings to change: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangeCommunitySettings)]
pub(super) struct ChangeSettings {
    /// 1 to 100 characters, one line.
    #[schema(max_length = 100)]
    title: Option<String>,
    /// Up to 5,000 characters.
    #[schema(max_length = 5000)]
    description: Option<String>,
    /// Replaces all the rules: each 1 to 500 characters.
    rules: Option<Vec<String>>,
    visibility: Option<Visibility>,
}

/// The user to appoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AppointModerator)]
pub(super) struct UserRef {
    user_id: UserId,
}

#[utoipa::path(
    post,
    path = "/api/v1/communities",
    summary = "Create a community",
    description = "The creator becomes its owner, a moderator and its first member.",
    request_body = CreateCommunity,
    responses(
        (status = 201, description = "Created", body = CommunityReply,
            headers(("Location" = String, description = "The community: `/api/v1/communities/{name}`"))),
        (status = 409, description = "`already_exists`: a community has this name (names are compared lower-case)"),
        (status = 422, description = "`validation_failed`: the name (3 to 21 letters, digits or `_`), title, description or rules break their rules"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn create_community(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CreateCommunity>,
) -> Result<Written<CommunityReply>, ApiError> {
    let command = CommunityRequest::CreateCommunity(req).into_command();
    let written: Written<CommunityReply> = api.command(&caller, ids, &command).await?;
    // The reply's name is the community's, lower-case.
    Ok(written.created(|c| format!("/api/v1/communities/{}", c.name)))
}

#[utoipa::path(
    get,
    path = "/api/v1/communities/{name}",
    summary = "A community",
    description = "With its rules and moderators.",
    params(("name" = String, Path, description = NAME)),
    responses(
        (status = 200, description = "The community", body = Community),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
)]
pub(super) async fn get_community(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
) -> Result<Json<Community>, ApiError> {
    let c = community(&api, &name).await?;
    let mods = moderators(&api.read, &c.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(c.view(mods)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/communities/{name}",
    summary = "Change a community's settings",
    description = "Only the fields sent change. Moderators only.",
    params(("name" = String, Path, description = NAME)),
    request_body = ChangeSettings,
    responses(
        (status = 200, description = "Changed (or already so)", body = CommunityReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no community has this name"),
        (status = 422, description = "`validation_failed`: the title, description or rules break their rules"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn change_settings(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<ChangeSettings>,
) -> Result<Written<CommunityReply>, ApiError> {
    let command = CommunityRequest::ChangeCommunitySettings {
        community: name,
        title: req.title,
        description: req.description,
        rules: req.rules,
        visibility: req.visibility,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/communities/{name}/moderators",
    summary = "Appoint a moderator",
    description = "The owner only.",
    params(("name" = String, Path, description = NAME)),
    request_body = UserRef,
    responses(
        (status = 200, description = "A moderator (or already one)", body = ModeratorReply),
        (status = 403, description = "`not_the_owner`: only the owner appoints moderators"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn appoint_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<UserRef>,
) -> Result<Written<ModeratorReply>, ApiError> {
    let command = CommunityRequest::AppointModerator {
        community: name,
        user_id: req.user_id,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/communities/{name}/moderators/{user_id}",
    summary = "Remove a moderator",
    description = "The owner removes any moderator but themself; a moderator may step down.",
    params(
        ("name" = String, Path, description = NAME),
        ("user_id" = uuid::Uuid, Path, description = "The moderator's user id"),
    ),
    responses(
        (status = 200, description = "Not a moderator (any more)", body = ModeratorReply),
        (status = 403, description = "`not_the_owner`: only the owner removes other moderators; `forbidden`: the owner always moderates their community"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn remove_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
) -> Result<Written<ModeratorReply>, ApiError> {
    let command = CommunityRequest::RemoveModerator {
        community: name,
        user_id: parse(&user_id, "moderator")?,
    };
    api.command(&caller, ids, &command.into_command()).await
}
