//! Writes about a community: creation, settings, membership, moderators and bans.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use event_schemas::communities::Visibility;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path};
use serde::Deserialize;
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;

use crate::application::{CommunitiesCommand, CreateCommunity};

use super::super::CommunitiesApi;
use super::{OptionalReason, parse};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeSettings {
    title: Option<String>,
    description: Option<String>,
    rules: Option<Vec<String>>,
    visibility: Option<Visibility>,
}

/// Empty to join oneself; a moderator names the user to admit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Join {
    user_id: Option<UserId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserRef {
    user_id: UserId,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BanRequest {
    user_id: UserId,
    reason: String,
    expires_at: Option<Timestamp>,
}

pub(super) async fn create_community(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CreateCommunity>,
) -> Result<Response, ApiError> {
    let location = format!(
        "/api/v1/communities/{}",
        crate::domain::normalize_name(&req.name)
    );
    let command = CommunitiesCommand::CreateCommunity(req);
    api.send_created(&caller, ids, &command, &location).await
}

pub(super) async fn change_settings(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<ChangeSettings>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ChangeCommunitySettings {
        community: name,
        title: req.title,
        description: req.description,
        rules: req.rules,
        visibility: req.visibility,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn join(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<Join>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::JoinCommunity {
        community: name,
        user_id: req.user_id,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn leave(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::LeaveCommunity { community: name };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn appoint_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<UserRef>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::AppointModerator {
        community: name,
        user_id: req.user_id,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn remove_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::RemoveModerator {
        community: name,
        user_id: parse(&user_id, "moderator")?,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn ban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<BanRequest>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::BanUser {
        community: name,
        user_id: req.user_id,
        reason: req.reason,
        expires_at: req.expires_at,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn unban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::UnbanUser {
        community: name,
        user_id: parse(&user_id, "ban")?,
        reason: req.reason,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}
