//! `PUT /api/v1/posts/{id}/vote` and `PUT /api/v1/comments/{id}/vote`: a user's vote.

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Written};
use serde::Deserialize;
use utoipa::ToSchema;

use super::comments::COMMENT_ID;
use super::posts::POST_ID;
use super::{CommunitiesApi, parse};
use crate::application::{VoteReply, VoteRequest};

/// A vote on a post or comment (the value rules are the vote aggregate's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CastVote {
    /// `1` up, `-1` down, `0` no vote.
    #[schema(minimum = -1, maximum = 1, example = 1)]
    value: i32,
}

#[utoipa::path(
    put,
    path = "/api/v1/posts/{id}/vote",
    summary = "Vote on a post",
    description = "`1` up, `-1` down, `0` withdraws the vote. Voting the same again changes nothing.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = CastVote,
    responses(
        (status = 200, description = "Recorded", body = VoteReply),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member; `forbidden`: the post was deleted or removed: only `0` is accepted"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: `value` is not 1, -1 or 0"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn vote_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Written<VoteReply>, ApiError> {
    let command = VoteRequest::VotePost {
        post_id: parse(&id, "post")?,
        value: req.value,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    put,
    path = "/api/v1/comments/{id}/vote",
    summary = "Vote on a comment",
    description = "`1` up, `-1` down, `0` withdraws the vote. Voting the same again changes nothing.",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    request_body = CastVote,
    responses(
        (status = 200, description = "Recorded", body = VoteReply),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member; `forbidden`: the comment was deleted or removed: only `0` is accepted"),
        (status = 404, description = "`not_found`: no comment has this id"),
        (status = 422, description = "`validation_failed`: `value` is not 1, -1 or 0"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn vote_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Written<VoteReply>, ApiError> {
    let command = VoteRequest::VoteComment {
        comment_id: parse(&id, "comment")?,
        value: req.value,
    };
    api.command(&caller, ids, &command.into_command()).await
}
