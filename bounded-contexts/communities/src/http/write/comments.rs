//! Writes about a comment: create (a reply names its parent), edit, delete, vote, and a
//! moderator's actions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::openapi::IdempotencyKeyHeader;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Problem};
use serde::Deserialize;
use shared_kernel::ids::CommentId;
use utoipa::ToSchema;

use super::{CastVote, Reason};
use crate::application::{CommentModeration, CommunitiesCommand};

use super::super::CommunitiesApi;
use super::super::openapi::schemas::{
    CommentCreatedReply, DeletedReply, IdReply, ModerationReply, PendingCommand, VoteReply,
};
use super::parse;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreateComment {
    /// 1 to 10,000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
    /// The comment (of the same post) this one replies to.
    #[schema(format = Uuid)]
    parent_id: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditComment {
    /// 1 to 10,000 characters.
    #[schema(min_length = 1, max_length = 10000)]
    body: String,
}

#[utoipa::path(
    post,
    operation_id = "communities_create_comment",
    path = "/api/v1/posts/{id}/comments",
    tag = "communities",
    summary = "Comment on a post",
    description = "A top-level comment, or with `parent_id` a reply to a comment of the same post.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = CreateComment,
    responses(
        (status = 201, description = "Created", body = CommentCreatedReply, headers(("Location" = String, description = "The comment: `/api/v1/comments/{id}`"), ("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id; `not_found`: no comment has the id `parent_id`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`locked`: the post is locked (moderators may still comment); `deleted`: the post or the parent comment was deleted; `removed`: the post or the parent comment was removed; `concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the body is empty or too long, `parent_id` is not a comment id, or the parent is a comment on another post; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    patch,
    operation_id = "communities_edit_comment",
    path = "/api/v1/comments/{id}",
    tag = "communities",
    summary = "Edit a comment",
    description = "The author only.",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = EditComment,
    responses(
        (status = 200, description = "Edited (or unchanged)", body = IdReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no comment has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`deleted`: the comment was deleted; `removed`: the comment was removed by a moderator; `concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the body is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    operation_id = "communities_delete_comment",
    path = "/api/v1/comments/{id}",
    tag = "communities",
    summary = "Delete a comment",
    description = "The author only (not while banned). Its body is hidden; its replies stay.",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Deleted (or already)", body = DeletedReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no comment has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    put,
    operation_id = "communities_vote_comment",
    path = "/api/v1/comments/{id}/vote",
    tag = "communities",
    summary = "Vote on a comment",
    description = "`1` up, `-1` down, `0` withdraws the vote. Voting the same again changes nothing.",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = CastVote,
    responses(
        (status = 200, description = "Recorded", body = VoteReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member; `forbidden`: the comment was deleted or removed: only `0` is accepted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no comment has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: `value` is not 1, -1 or 0; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_remove_comment",
    path = "/api/v1/comments/{id}/remove",
    tag = "communities",
    summary = "Remove a comment (moderator)",
    description = "Logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no comment has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_restore_comment",
    path = "/api/v1/comments/{id}/restore",
    tag = "communities",
    summary = "Restore a removed comment (moderator)",
    description = "Logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no comment has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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
