//! Reports of a post or comment, and their resolution by a moderator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use event_schemas::communities::ContentRef;
use http_kernel::openapi::IdempotencyKeyHeader;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path, Problem};
use serde::Deserialize;
use shared_kernel::ids::ReportId;
use utoipa::ToSchema;

use super::Reason;
use crate::application::CommunitiesCommand;

use super::super::CommunitiesApi;
use super::super::openapi::schemas::{IdReply, PendingCommand, ReportResolvedReply};
use super::parse;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResolveReport)]
pub(super) struct Resolve {
    /// What was done about it.
    /// 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    resolution: String,
}

async fn file_report(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    target: ContentRef,
    reason: String,
) -> Result<Response, ApiError> {
    let report_id = ReportId::derived(ids.command_id(), "report");
    let command = CommunitiesCommand::FileReport {
        report_id,
        target,
        reason,
    };
    api.send_created(
        caller,
        ids,
        &command,
        &format!("/api/v1/reports/{report_id}"),
    )
    .await
}

#[utoipa::path(
    post,
    operation_id = "communities_report_post",
    path = "/api/v1/posts/{id}/reports",
    tag = "communities",
    summary = "Report a post",
    description = "To the community's moderators (`GET /communities/{name}/reports`).",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 201, description = "Filed: the report's id", body = IdReply, headers(("Location" = String, description = "The report: `/api/v1/reports/{id}`"), ("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
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
pub(super) async fn report_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Post(parse(&id, "post")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

#[utoipa::path(
    post,
    operation_id = "communities_report_comment",
    path = "/api/v1/comments/{id}/reports",
    tag = "communities",
    summary = "Report a comment",
    description = "To the community's moderators (`GET /communities/{name}/reports`).",
    params(("id" = uuid::Uuid, Path, description = "The comment's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Reason,
    responses(
        (status = 201, description = "Filed: the report's id", body = IdReply, headers(("Location" = String, description = "The report: `/api/v1/reports/{id}`"), ("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member", body = Problem, content_type = "application/problem+json"),
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
pub(super) async fn report_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Comment(parse(&id, "comment")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

#[utoipa::path(
    post,
    operation_id = "communities_resolve_report",
    path = "/api/v1/reports/{id}/resolve",
    tag = "communities",
    summary = "Resolve a report (moderator)",
    description = "Logged in the modlog with the resolution.",
    params(("id" = uuid::Uuid, Path, description = "The report's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body = Resolve,
    responses(
        (status = 200, description = "Resolved", body = ReportResolvedReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no report has this id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_resolved`: the report is already resolved; `concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the resolution is empty or too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn resolve_report(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Resolve>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ResolveReport {
        report_id: parse(&id, "report")?,
        resolution: req.resolution,
    };
    api.send(&caller, ids, &command, StatusCode::OK).await
}
