//! Writes about a post: create, edit, delete, vote, and a moderator's actions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path};
use serde::Deserialize;
use shared_kernel::ids::PostId;

use super::{CastVote, OptionalReason, Reason};
use crate::application::{CommunitiesCommand, PostModeration};

use super::super::CommunitiesApi;
use super::parse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    title: String,
    body: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditPost {
    title: Option<String>,
    body: Option<String>,
    url: Option<String>,
}

pub(super) async fn create_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<CreatePost>,
) -> Result<Response, ApiError> {
    let post_id = PostId::derived(ids.command_id(), "post");
    let command = CommunitiesCommand::CreatePost {
        community: name,
        post_id,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    api.send_created(&caller, ids, &command, &format!("/api/v1/posts/{post_id}"))
        .await
}

pub(super) async fn edit_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditPost>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::EditPost {
        post_id: parse(&id, "post")?,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn delete_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::DeletePost {
        post_id: parse(&id, "post")?,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn vote_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::VotePost {
        post_id: parse(&id, "post")?,
        value: req.value,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

async fn moderate_post(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    id: &str,
    action: PostModeration,
    reason: Option<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModeratePost {
        post_id: parse(id, "post")?,
        action,
        reason,
    };
    api.send(caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn remove_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    moderate_post(
        &api,
        &caller,
        ids,
        &id,
        PostModeration::Remove,
        Some(req.reason),
    )
    .await
}

pub(super) async fn restore_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    moderate_post(
        &api,
        &caller,
        ids,
        &id,
        PostModeration::Restore,
        Some(req.reason),
    )
    .await
}

pub(super) async fn lock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Lock, req.reason).await
}

pub(super) async fn unlock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unlock, req.reason).await
}

pub(super) async fn pin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Pin, None).await
}

pub(super) async fn unpin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unpin, None).await
}
