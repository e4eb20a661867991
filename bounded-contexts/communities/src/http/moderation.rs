//! A moderator's actions on posts (`/api/v1/posts/{id}/remove|restore|lock|unlock|pin|unpin`)
//! and comments (`/api/v1/comments/{id}/remove|restore`), each logged in the modlog.

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path, Written};

use super::comments::COMMENT_ID;
use super::posts::POST_ID;
use super::{CommunitiesApi, OptionalReason, Reason, parse};
use crate::application::{
    CommentModeration, CommentRequest, ModerationReply, PostModeration, PostRequest,
};

async fn moderate_post(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    id: &str,
    action: PostModeration,
    reason: Option<String>,
) -> Result<Written<ModerationReply>, ApiError> {
    let command = PostRequest::ModeratePost {
        post_id: parse(id, "post")?,
        action,
        reason,
    };
    api.command(caller, ids, &command.into_command()).await
}

async fn moderate_comment(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    id: &str,
    action: CommentModeration,
    reason: String,
) -> Result<Written<ModerationReply>, ApiError> {
    let command = CommentRequest::ModerateComment {
        comment_id: parse(id, "comment")?,
        action,
        reason,
    };
    api.command(caller, ids, &command.into_command()).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/remove",
    summary = "Remove a post (moderator)",
    description = "Hides its content from all but its author and the moderators; logged in the \
                   modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn remove_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<ModerationReply>, ApiError> {
    let reason = Some(req.reason);
    moderate_post(&api, &caller, ids, &id, PostModeration::Remove, reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/restore",
    summary = "Restore a removed post (moderator)",
    description = "Logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn restore_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<ModerationReply>, ApiError> {
    let reason = Some(req.reason);
    moderate_post(&api, &caller, ids, &id, PostModeration::Restore, reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/lock",
    summary = "Lock a post (moderator)",
    description = "No new comments but the moderators' ones; the body (an optional reason) may be \
                   empty.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: the reason is too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn lock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Written<ModerationReply>, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Lock, req.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/unlock",
    summary = "Unlock a post (moderator)",
    description = "The body (an optional reason) may be empty.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body(content = Option<OptionalReason>, description = "Optional: an empty body is accepted", content_type = "application/json"),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: the reason is too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn unlock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Written<ModerationReply>, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unlock, req.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/pin",
    summary = "Pin a post (moderator)",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn pin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<ModerationReply>, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Pin, None).await
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/unpin",
    summary = "Unpin a post (moderator)",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no post has this id"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn unpin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<ModerationReply>, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unpin, None).await
}

#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/remove",
    summary = "Remove a comment (moderator)",
    description = "Hides its body; logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no comment has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn remove_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<ModerationReply>, ApiError> {
    let action = CommentModeration::Remove;
    moderate_comment(&api, &caller, ids, &id, action, req.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/restore",
    summary = "Restore a removed comment (moderator)",
    description = "Logged in the modlog with the reason.",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    request_body = Reason,
    responses(
        (status = 200, description = "Done (or already so)", body = ModerationReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no comment has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn restore_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<ModerationReply>, ApiError> {
    let action = CommentModeration::Restore;
    moderate_comment(&api, &caller, ids, &id, action, req.reason).await
}
