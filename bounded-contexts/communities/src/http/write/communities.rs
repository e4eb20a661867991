//! Writes about a community: creation, settings, membership, moderators and bans.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use event_schemas::communities::Visibility;
use http_kernel::openapi::IdempotencyKeyHeader;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path, Problem};
use serde::Deserialize;
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

use crate::application::{CommunitiesCommand, CreateCommunity};

use super::super::CommunitiesApi;
use super::super::openapi::schemas::{
    BanReply, CommunityReply, MembershipReply, ModeratorReply, PendingCommand,
};
use super::{OptionalReason, parse};

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

/// Empty to join oneself; a moderator names the user to admit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JoinCommunity)]
pub(super) struct Join {
    /// The user a moderator admits; absent: the caller joins.
    #[schema(value_type = String, format = Uuid)]
    user_id: Option<UserId>,
}

/// The user to appoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AppointModerator)]
pub(super) struct UserRef {
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BanUser)]
pub(super) struct BanRequest {
    #[schema(value_type = String, format = Uuid)]
    user_id: UserId,
    /// 1 to 1,000 characters; shown in the modlog.
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
    /// When the ban ends (in the future); absent: until unbanned.
    #[schema(value_type = Option<String>, format = DateTime)]
    expires_at: Option<Timestamp>,
}

#[utoipa::path(
    post,
    operation_id = "communities_create_community",
    path = "/api/v1/communities",
    tag = "communities",
    summary = "Create a community",
    description = "The creator becomes its owner, a moderator and its first member.",
    params(IdempotencyKeyHeader),
    request_body = CreateCommunity,
    responses(
        (status = 201, description = "Created", body = CommunityReply, headers(("Location" = String, description = "The community: `/api/v1/communities/{name}`"), ("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`already_exists`: a community has this name (names are compared lower-case); `concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the name (3 to 21 letters, digits or `_`), title, description or rules break their rules; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    patch,
    operation_id = "communities_change_settings",
    path = "/api/v1/communities/{name}",
    tag = "communities",
    summary = "Change a community's settings",
    description = "Only the fields sent change. Moderators only.",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    request_body = ChangeSettings,
    responses(
        (status = 200, description = "Changed (or already so)", body = CommunityReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the title, description or rules break their rules; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_join",
    path = "/api/v1/communities/{name}/members",
    tag = "communities",
    summary = "Join a community",
    description = "An empty body joins the caller. A restricted community admits members only through a moderator, who names the user to admit.",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    request_body(content = Option<Join>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "A member (or already one)", body = MembershipReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: only a moderator may admit another user; `banned`: the caller is banned from the community; `approval_required`: the community is restricted: a moderator admits its members", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a non-empty body not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    operation_id = "communities_leave",
    path = "/api/v1/communities/{name}/members",
    tag = "communities",
    summary = "Leave a community",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Not a member (any more)", body = MembershipReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(super) async fn leave(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::LeaveCommunity { community: name };
    api.send(&caller, ids, &command, StatusCode::OK).await
}

#[utoipa::path(
    post,
    operation_id = "communities_appoint_moderator",
    path = "/api/v1/communities/{name}/moderators",
    tag = "communities",
    summary = "Appoint a moderator",
    description = "The owner only.",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    request_body = UserRef,
    responses(
        (status = 200, description = "A moderator (or already one)", body = ModeratorReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_owner`: only the owner appoints moderators", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    operation_id = "communities_remove_moderator",
    path = "/api/v1/communities/{name}/moderators/{user_id}",
    tag = "communities",
    summary = "Remove a moderator",
    description = "The owner removes any moderator but themself; a moderator may step down.",
    params(("name" = String, Path, description = "The community's name (any case)"), ("user_id" = uuid::Uuid, Path, description = "The user's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "Not a moderator (any more)", body = ModeratorReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_the_owner`: only the owner removes other moderators; `forbidden`: the owner always moderates their community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name; `not_found`: `user_id` is not a user id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    post,
    operation_id = "communities_ban",
    path = "/api/v1/communities/{name}/bans",
    tag = "communities",
    summary = "Ban a user",
    description = "Moderators only. A banned user may not join, post, comment, vote or report, nor edit their content, until `expires_at` (never, without it) or an unban.",
    params(("name" = String, Path, description = "The community's name (any case)"), IdempotencyKeyHeader),
    request_body = BanRequest,
    responses(
        (status = 200, description = "Banned", body = BanReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community; `forbidden`: a moderator cannot be banned", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: the body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is empty or too long, or `expires_at` is not in the future; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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

#[utoipa::path(
    delete,
    operation_id = "communities_unban",
    path = "/api/v1/communities/{name}/bans/{user_id}",
    tag = "communities",
    summary = "Unban a user",
    description = "Moderators only; the body (an optional reason) may be empty.",
    params(("name" = String, Path, description = "The community's name (any case)"), ("user_id" = uuid::Uuid, Path, description = "The user's id (anything else is 404 `not_found`)"), IdempotencyKeyHeader),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Not banned (any more)", body = BanReply, headers(("Agora-Position" = u64, description = "The global position of the write's last event: send it as `Agora-Min-Position` to read the write back"))),
        (status = 202, description = "The reply did not come in time: the command may still run; its outcome will be at `Location` (`GET /api/v1/commands/{command_id}`).", body = PendingCommand, headers(("Location" = String, description = "The command's status: `/api/v1/commands/{command_id}`"))),
        (status = 400, description = "`malformed_json`: the body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name; `not_found`: `user_id` is not a user id", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`concurrency_conflict`: the resource changed concurrently (retries exhausted): try again; `idempotency_key_in_flight`: a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "`payload_too_large`: the body is over the size limit", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`unsupported_media_type`: a non-empty body not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: the body has another shape (unknown or missing fields, wrong types), or text with control characters or over 50,000 characters; `validation_failed`: the reason is too long; `validation_failed`: `Idempotency-Key` is empty or longer than 255 characters; `idempotency_key_reused`: this `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`: too many writes by this user", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`unavailable`: the communities service is not reachable", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
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
