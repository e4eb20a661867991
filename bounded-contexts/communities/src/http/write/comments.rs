//! Writes about a comment: create (a reply names its parent), edit, delete, vote, and a
//! moderator's actions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::Deserialize;
use shared_kernel::ids::CommentId;

use super::{CastVote, Reason};
use crate::application::{CommentModeration, CommunitiesCommand};

use super::super::CommunitiesApi;
use super::parse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateComment {
    body: String,
    parent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EditComment {
    body: String,
}

pub(super) async fn create_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CreateComment>,
) -> Result<Response, ApiError> {
    let parent_id = req
        .parent_id
        .as_deref()
        .map(|p| {
            p.parse::<CommentId>()
                .map_err(|_| ApiError::Validation("parent_id is not a comment id".into()))
        })
        .transpose()?;
    let comment_id = CommentId::derived(ids.command_id(), "comment");
    let command = CommunitiesCommand::CreateComment {
        post_id: parse(&id, "post")?,
        comment_id,
        parent_id,
        body: req.body,
    };
    api.send_created(
        &caller,
        ids,
        &command,
        &format!("/api/v1/comments/{comment_id}"),
    )
    .await
}

pub(super) async fn edit_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditComment>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::EditComment {
        comment_id: parse(&id, "comment")?,
        body: req.body,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn delete_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::DeleteComment {
        comment_id: parse(&id, "comment")?,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn vote_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::VoteComment {
        comment_id: parse(&id, "comment")?,
        value: req.value,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn remove_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModerateComment {
        comment_id: parse(&id, "comment")?,
        action: CommentModeration::Remove,
        reason: req.reason,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

pub(super) async fn restore_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModerateComment {
        comment_id: parse(&id, "comment")?,
        action: CommentModeration::Restore,
        reason: req.reason,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}
