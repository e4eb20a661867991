//! Moderators' actions on a post: remove and restore, lock and unlock, pin and unpin.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use http_kernel::openapi::IdempotencyKeyHeader;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path, Problem};

use super::super::CommunitiesApi;
use super::super::openapi::schemas::{ModerationReply, PendingCommand};
use super::{OptionalReason, Reason, parse};
use crate::application::{CommunitiesCommand, PostModeration};

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

#[utoipa::path(
    post,
    operation_id = "communities_remove_post",
    path = "/api/v1/posts/{id}/remove",
    tag = "communities",
    summary = "Remove a post (moderator)",
    description = "Hides its content from all but its author and the moderators; logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_restore_post",
    path = "/api/v1/posts/{id}/restore",
    tag = "communities",
    summary = "Restore a removed post (moderator)",
    description = "Logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_lock_post",
    path = "/api/v1/posts/{id}/lock",
    tag = "communities",
    summary = "Lock a post (moderator)",
    description = "No new comments but the moderators' ones; the body (an optional reason) may be empty.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a non-empty body not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn lock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Lock, req.reason).await
}

#[utoipa::path(
    post,
    operation_id = "communities_unlock_post",
    path = "/api/v1/posts/{id}/unlock",
    tag = "communities",
    summary = "Unlock a post (moderator)",
    description = "The body (an optional reason) may be empty.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a non-empty body not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn unlock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unlock, req.reason).await
}

#[utoipa::path(
    post,
    operation_id = "communities_pin_post",
    path = "/api/v1/posts/{id}/pin",
    tag = "communities",
    summary = "Pin a post (moderator)",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn pin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Pin, None).await
}

#[utoipa::path(
    post,
    operation_id = "communities_unpin_post",
    path = "/api/v1/posts/{id}/unpin",
    tag = "communities",
    summary = "Unpin a post (moderator)",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn unpin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unpin, None).await
}
