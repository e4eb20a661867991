//! Writes about a post: create, edit, delete, vote, and a moderator's actions.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::openapi::IdempotencyKeyHeader;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Problem};
use serde::Deserialize;
use shared_kernel::ids::PostId;
use utoipa::ToSchema;

use super::CastVote;
use crate::application::CommunitiesCommand;

use super::super::CommunitiesApi;
use super::super::openapi::schemas::{
    DeletedReply, IdReply, PendingCommand, PostCreatedReply, VoteReply,
};
use super::parse;

/// A text post (`title`, `body`) or a link post (`title`, `url`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    /// 1 to 300 characters, one line.
    #[schema(min_length = 1, max_length = 300)]
    title: String,
    /// A text post's body: up to 40,000 characters.
    #[schema(max_length = 40000)]
    body: Option<String>,
    /// A link post's `http(s)` URL.
    url: Option<String>,
}

/// The fields to change (a text post has no url, a link post no body).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EditPost {
    #[schema(min_length = 1, max_length = 300)]
    title: Option<String>,
    #[schema(max_length = 40000)]
    body: Option<String>,
    url: Option<String>,
}

#[utoipa::path(
    post,
    operation_id = "communities_create_post",
    path = "/api/v1/communities/{name}/posts",
    tag = "communities",
    summary = "Create a post",
    description = "A text post (`title`, `body`) or a link post (`title`, `url`).",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    request_body = CreatePost,
    responses(
        (status = 201, description = "Created", body = PostCreatedReply, headers(("Location" = String, description = "The post: `/api/v1/posts/{id}`"), ("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the title is empty or too long, both or neither of `body` and `url` are sent, the body is too long, or the url is not an http(s) URL; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    patch,
    operation_id = "communities_edit_post",
    path = "/api/v1/posts/{id}",
    tag = "communities",
    summary = "Edit a post",
    description = "The author only; only the fields sent change (a text post keeps no url, a link post no body).",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = EditPost,
    responses(
        (status = 200, description = "Edited (or unchanged)", body = IdReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`deleted`: the post was deleted; `removed`: the post was removed by a moderator; `concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: a field breaks its rules, or a body for a link post or a url for a text post; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    operation_id = "communities_delete_post",
    path = "/api/v1/posts/{id}",
    tag = "communities",
    summary = "Delete a post",
    description = "The author only (also after leaving the community, not while banned). Its content is hidden; it keeps its place.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Deleted (or already)", body = DeletedReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    put,
    operation_id = "communities_vote_post",
    path = "/api/v1/posts/{id}/vote",
    tag = "communities",
    summary = "Vote on a post",
    description = "`1` up, `-1` down, `0` withdraws the vote. Voting the same again changes nothing.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = CastVote,
    responses(
        (status = 200, description = "Recorded", body = VoteReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member; `forbidden`: the post was deleted or removed: only `0` is accepted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: `value` is not 1, -1 or 0; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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
