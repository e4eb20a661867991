//! `/api/v1/communities/{name}/members` and `/bans`: joining, leaving, and a moderator's bans.

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path, Written};
use serde::Deserialize;
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;
use utoipa::ToSchema;

use super::{CommunitiesApi, NAME, OptionalReason, parse};
use crate::application::{BanReply, MembershipReply, MembershipRequest};

/// Empty to join oneself; a moderator names the user to admit.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = JoinCommunity)]
pub(super) struct Join {
    /// The user a moderator admits; absent: the caller joins.
    user_id: Option<UserId>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BanUser)]
pub(super) struct BanRequest {
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
    path = "/api/v1/communities/{name}/members",
    summary = "Join a community",
    description = "An empty body joins the caller. A restricted community admits members only \
                   through a moderator, who names the user to admit.",
    params(("name" = String, Path, description = NAME)),
    request_body(content = Option<Join>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "A member (or already one)", body = MembershipReply),
        (status = 403, description = "`not_a_moderator`: only a moderator may admit another user; `banned`: the caller is banned from the community; `approval_required`: the community is restricted: a moderator admits its members"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn join(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<Join>,
) -> Result<Written<MembershipReply>, ApiError> {
    let command = MembershipRequest::JoinCommunity {
        community: name,
        user_id: req.user_id,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/communities/{name}/members",
    summary = "Leave a community",
    params(("name" = String, Path, description = NAME)),
    responses(
        (status = 200, description = "Not a member (any more)", body = MembershipReply),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn leave(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
) -> Result<Written<MembershipReply>, ApiError> {
    let command = MembershipRequest::LeaveCommunity { community: name };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/communities/{name}/bans",
    summary = "Ban a user",
    description = "Moderators only. A banned user may not join, post, comment, vote or report, \
                   nor edit their content, until `expires_at` (never, without it) or an unban.",
    params(("name" = String, Path, description = NAME)),
    request_body = BanRequest,
    responses(
        (status = 200, description = "Banned", body = BanReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community; `forbidden`: a moderator cannot be banned"),
        (status = 404, description = "`not_found`: no community has this name"),
        (status = 422, description = "`validation_failed`: the reason is empty or too long, or `expires_at` is not in the future"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn ban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<BanRequest>,
) -> Result<Written<BanReply>, ApiError> {
    let command = MembershipRequest::BanUser {
        community: name,
        user_id: req.user_id,
        reason: req.reason,
        expires_at: req.expires_at,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/communities/{name}/bans/{user_id}",
    summary = "Unban a user",
    description = "Moderators only; the body (an optional reason) may be empty.",
    params(
        ("name" = String, Path, description = NAME),
        ("user_id" = uuid::Uuid, Path, description = "The banned user's id"),
    ),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Not banned (any more)", body = BanReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no community has this name"),
        (status = 422, description = "`validation_failed`: the reason is too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn unban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Written<BanReply>, ApiError> {
    let command = MembershipRequest::UnbanUser {
        community: name,
        user_id: parse(&user_id, "ban")?,
        reason: req.reason,
    };
    api.command(&caller, ids, &command.into_command()).await
}
