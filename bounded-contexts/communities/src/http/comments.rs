//! `/api/v1/posts/{id}/comments` (a post's comment tree, and commenting) and
//! `/api/v1/comments/{id}`: a comment's author's edits and deletion.

use axum::extract::State;
use http_kernel::{ApiError, Caller, CommandIds, Json, Page, Paged, Path, Query, Written};
use serde::Deserialize;
use shared_kernel::ids::CommentId;
use utoipa::{IntoParams, ToSchema};

use super::posts::{POST_ID, post_row};
use super::{CommunitiesApi, parse};
use crate::application::{CommentCreatedReply, CommentRequest, DeletedReply, IdReply};
use crate::projections::{
    COMMENTS, Comment, CommentSort, MAX_DEPTH_LIMIT, TreeQuery, comment_level, comment_trees,
    find_comment,
};

/// Levels of replies a comment page shows below its comments when `max_depth` is not given.
const DEFAULT_MAX_DEPTH: u32 = 8;

/// The comment's id in a path, as the routes describe it.
pub(super) const COMMENT_ID: &str = "The comment's id";

/// Which comments of a post's tree, in which order, how deep.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct TreeParams {
    /// The order of each level of the tree (default `top`). A cursor is only valid with the
    /// `sort` and `parent_id` it came with.
    #[param(inline)]
    sort: Option<CommentSort>,
    /// Levels of replies shown below each comment of the page: 0 to 50, default 8.
    #[param(minimum = 0, maximum = 50, example = 8)]
    max_depth: Option<u32>,
    /// Page the replies of this comment (of this post) instead of the top-level comments.
    #[param(value_type = Option<String>, format = Uuid)]
    parent_id: Option<String>,
}

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
    get,
    path = "/api/v1/posts/{id}/comments",
    summary = "A post's comment tree",
    description = "A page of the post's top-level comments (or, with `parent_id`, of one \
                   comment's replies), each with its replies nested `max_depth` levels deep; \
                   `more_replies` marks a comment with replies the page did not load.",
    params(("id" = uuid::Uuid, Path, description = POST_ID), Page, TreeParams),
    responses(
        (status = 200, description = "A page of comments", body = Paged<Comment>),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out for this `sort`"),
        (status = 404, description = "`not_found`: no post has this id, or `parent_id` is not a comment of this post"),
        (status = 422, description = "`validation_failed`: `max_depth` is not an integer from 0 to 50"),
    ),
)]
pub(super) async fn post_comments(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
    page: Page,
    Query(params): Query<TreeParams>,
) -> Result<Json<Paged<Comment>>, ApiError> {
    let sort = params.sort.unwrap_or_default();
    let max_depth = params.max_depth.unwrap_or(DEFAULT_MAX_DEPTH);
    if max_depth > MAX_DEPTH_LIMIT {
        return Err(ApiError::Validation(format!(
            "max_depth must be an integer from 0 to {MAX_DEPTH_LIMIT}"
        )));
    }
    let after = page.after(sort.spec())?;
    let post = post_row(&api, &id).await?;
    let parent_id = match params.parent_id {
        None => None,
        Some(parent) => Some(parent_of(&api, &post.id, &parent).await?),
    };
    let q = TreeQuery {
        post_id: &post.id,
        parent_id: parent_id.as_deref(),
        sort,
    };
    let level = comment_level(&api.read, q, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    let Paged { items, next_cursor } = Paged::of(level, &page, |c| sort.cursor_of(c));
    let trees = comment_trees(&api.read, items, max_depth, sort)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(Paged {
        items: trees.into_iter().map(|c| c.view()).collect(),
        next_cursor,
    }))
}

/// `parent`, a comment of `post_id` (looked up again once the read model has caught up with
/// the store, when it does not know it).
async fn parent_of(api: &CommunitiesApi, post_id: &str, parent: &str) -> Result<String, ApiError> {
    let not_found = || ApiError::NotFound("comment".into());
    let parent = uuid::Uuid::parse_str(parent)
        .map_err(|_| not_found())?
        .to_string();
    let find = || async {
        find_comment(&api.read, &parent)
            .await
            .map_err(ApiError::internal)
    };
    let found = match find().await? {
        Some(c) => Some(c),
        None => {
            api.caught_up(COMMENTS).await?;
            find().await?
        }
    };
    found
        .filter(|c| c.post_id == post_id)
        .map(|c| c.id)
        .ok_or_else(not_found)
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/comments",
    summary = "Comment on a post",
    description = "A top-level comment, or with `parent_id` a reply to a comment of the same post.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = CreateComment,
    responses(
        (status = 201, description = "Created", body = CommentCreatedReply,
            headers(("Location" = String, description = "The comment: `/api/v1/comments/{id}`"))),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no post has this id, or no comment the id `parent_id`"),
        (status = 409, description = "`locked`: the post is locked (moderators may still comment); `deleted`: the post or the parent comment was deleted; `removed`: the post or the parent comment was removed"),
        (status = 422, description = "`validation_failed`: the body is blank or too long, `parent_id` is not a comment id, or the parent is a comment on another post"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn create_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CreateComment>,
) -> Result<Written<CommentCreatedReply>, ApiError> {
    let parent_id = req
        .parent_id
        .as_deref()
        .map(|p| {
            p.parse::<CommentId>()
                .map_err(|_| ApiError::Validation("parent_id is not a comment id".into()))
        })
        .transpose()?;
    let comment_id = CommentId::derived(ids.command_id(), "comment");
    let command = CommentRequest::CreateComment {
        post_id: parse(&id, "post")?,
        comment_id,
        parent_id,
        body: req.body,
    };
    let written: Written<CommentCreatedReply> = api
        .command_creating(
            &caller,
            ids,
            &command.into_command(),
            Some(comment_id.to_string()),
        )
        .await?;
    Ok(written.created(|c| format!("/api/v1/comments/{}", c.id)))
}

#[utoipa::path(
    patch,
    path = "/api/v1/comments/{id}",
    summary = "Edit a comment",
    description = "The author only.",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    request_body = EditComment,
    responses(
        (status = 200, description = "Edited (or unchanged)", body = IdReply),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no comment has this id"),
        (status = 409, description = "`deleted`: the comment was deleted; `removed`: the comment was removed by a moderator"),
        (status = 422, description = "`validation_failed`: the body is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn edit_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditComment>,
) -> Result<Written<IdReply>, ApiError> {
    let command = CommentRequest::EditComment {
        comment_id: parse(&id, "comment")?,
        body: req.body,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}",
    summary = "Delete a comment",
    description = "The author only (not while banned). Its body is hidden; its replies stay.",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    responses(
        (status = 200, description = "Deleted (or already)", body = DeletedReply),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community"),
        (status = 404, description = "`not_found`: no comment has this id"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<DeletedReply>, ApiError> {
    let command = CommentRequest::DeleteComment {
        comment_id: parse(&id, "comment")?,
    };
    api.command(&caller, ids, &command.into_command()).await
}
