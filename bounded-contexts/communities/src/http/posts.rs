//! `/api/v1/communities/{name}/posts` (a community's feed, and posting to it) and
//! `/api/v1/posts/{id}`: a post, its author's edits and deletion.

use axum::extract::State;
use chrono::Utc;
use http_kernel::{ApiError, Caller, CommandIds, Json, Page, Paged, Path, Query, Written};
use serde::Deserialize;
use shared_kernel::ids::PostId;
use utoipa::{IntoParams, ToSchema};

use super::as_of::post_at;
use super::{CommunitiesApi, NAME, community, parse};
use crate::application::{DeletedReply, IdReply, PostCreatedReply, PostRequest};
use crate::projections::{
    FeedOrder, FeedSort, POSTS, Post, PostRow, TopWindow, feed_page, find_post, is_moderator,
};
use http_kernel::AsOf;

/// The post's id in a path, as the routes describe it.
pub(super) const POST_ID: &str = "The post's id";

/// How a community's feed is ordered.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FeedQuery {
    /// The feed's order (default `hot`).
    #[param(inline)]
    sort: Option<FeedOrder>,
    /// The window of `sort=top` (default `all`; ignored by the other sorts). A cursor is only
    /// valid with the `sort` and `t` it came with.
    #[param(inline)]
    t: Option<TopWindow>,
}

/// A text post (`title`, `body`) or a link post (`title`, `url`): one of the two, never both.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CreatePost {
    /// 1 to 300 characters, one line.
    #[schema(min_length = 1, max_length = 300)]
    title: String,
    /// A text post's body: 1 to 40,000 characters, not blank.
    #[schema(min_length = 1, max_length = 40000)]
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
    /// A text post's new body: 1 to 40,000 characters, not blank.
    #[schema(min_length = 1, max_length = 40000)]
    body: Option<String>,
    url: Option<String>,
}

/// The post with this id, as the read model has it. An id the read model does not know may
/// be of a post it has not applied yet: looked up again once it has caught up with the store.
pub(super) async fn post_row(api: &CommunitiesApi, id: &str) -> Result<PostRow, ApiError> {
    let id = uuid::Uuid::parse_str(id)
        .map_err(|_| ApiError::NotFound("post".into()))?
        .to_string();
    let find = || async { find_post(&api.read, &id).await.map_err(ApiError::internal) };
    if let Some(post) = find().await? {
        return Ok(post);
    }
    api.caught_up(POSTS).await?;
    find()
        .await?
        .ok_or_else(|| ApiError::NotFound("post".into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/communities/{name}/posts",
    summary = "A community's feed",
    description = "Keyset-paged: `sort=hot|new|top|controversial` (`t` windows `top`); pinned \
                   posts are not set apart. Listed posts only (neither removed nor deleted).",
    params(("name" = String, Path, description = NAME), Page, FeedQuery),
    responses(
        (status = 200, description = "A page of posts", body = Paged<Post>),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this feed gave out for this `sort` and `t`"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
)]
pub(super) async fn community_posts(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
    page: Page,
    Query(query): Query<FeedQuery>,
) -> Result<Json<Paged<Post>>, ApiError> {
    let sort = FeedSort::of(query.sort.unwrap_or_default(), query.t.unwrap_or_default());
    let tag = sort.tag();
    let after = page.after(sort.spec(&tag))?;
    let c = community(&api, &name).await?;
    let rows = feed_page(&api.read, &c.id, sort, after, page.fetch(), Utc::now())
        .await
        .map_err(ApiError::internal)?;
    let posts = Paged::of(rows, &page, |p| sort.cursor_of(p));
    // A listed post is neither removed nor deleted: everyone sees it whole.
    Ok(Json(posts.map(|p| p.view(false))))
}

#[utoipa::path(
    post,
    path = "/api/v1/communities/{name}/posts",
    summary = "Create a post",
    description = "A text post (`title`, `body`) or a link post (`title`, `url`).",
    params(("name" = String, Path, description = NAME)),
    request_body = CreatePost,
    responses(
        (status = 201, description = "Created", body = PostCreatedReply,
            headers(("Location" = String, description = "The post: `/api/v1/posts/{id}`"))),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no community has this name"),
        (status = 422, description = "`validation_failed`: the title is blank or too long; both or neither of `body` and `url` are sent; the body is blank or too long; the url is not an http(s) URL"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn create_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<CreatePost>,
) -> Result<Written<PostCreatedReply>, ApiError> {
    let post_id = PostId::derived(ids.command_id(), "post");
    let command = PostRequest::CreatePost {
        community: name,
        post_id,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    let written: Written<PostCreatedReply> = api
        .command_creating(
            &caller,
            ids,
            &command.into_command(),
            Some(post_id.to_string()),
        )
        .await?;
    Ok(written.created(|p| format!("/api/v1/posts/{}", p.id)))
}

#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    summary = "A post, now or as it was",
    description = "With its score and comment count. A removed post's content shows only to its \
                   author, the community's moderators and admins (authenticated); anyone may \
                   read without credentials. `?as_of=` answers the post as it was at that \
                   instant: its content, revision and status folded from its events, its score \
                   and comment count from the votes and comments recorded by then (ranks: 0); \
                   a post removed or deleted since shows its earlier content only to whoever \
                   may read its content now.",
    params(("id" = uuid::Uuid, Path, description = POST_ID), AsOf),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 422, description = "`validation_failed`: `as_of` is not an RFC 3339 time, or is later than now"),
        (status = 401, description = "`unauthenticated`: the credentials sent are invalid (expired, revoked): without any, the post is read anonymously"),
        (status = 404, description = "`not_found`: no post has this id"),
    ),
    security((), ("bearer" = [])),
)]
pub(super) async fn get_post(
    State(api): State<CommunitiesApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    Query(as_of): Query<AsOf>,
) -> Result<Json<Post>, ApiError> {
    // Time travel shows earlier content only to whoever may read the post's content now.
    let (post, removed_now, deleted_now) = match as_of.instant()? {
        Some(at) => {
            let post_id: PostId = parse(&id, "post")?;
            let then = post_at(api.extra.store.as_ref(), post_id, at)
                .await?
                .ok_or_else(|| ApiError::NotFound("post".into()))?;
            (then.row, then.removed_now, then.deleted_now)
        }
        None => {
            let row = post_row(&api, &id).await?;
            let (removed, deleted) = (row.removed != 0, row.deleted != 0);
            (row, removed, deleted)
        }
    };
    let sees_removed = match &caller {
        Some(caller) if post.removed != 0 || removed_now => {
            let user = caller.user_id.to_string();
            user == post.author_id
                || caller.is_admin()
                || is_moderator(&api.read, &post.community_id, &user)
                    .await
                    .map_err(ApiError::internal)?
        }
        _ => false,
    };
    let mut view = post.view(sees_removed);
    if deleted_now || (removed_now && !sees_removed) {
        (view.title, view.body, view.url) = (None, None, None);
    }
    Ok(Json(view))
}

#[utoipa::path(
    patch,
    path = "/api/v1/posts/{id}",
    summary = "Edit a post",
    description = "The author only; only the fields sent change (a text post keeps no url, a \
                   link post no body).",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = EditPost,
    responses(
        (status = 200, description = "Edited (or unchanged)", body = IdReply),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 409, description = "`deleted`: the post was deleted; `removed`: the post was removed by a moderator"),
        (status = 422, description = "`validation_failed`: a field breaks its rule (a blank title or body...), or a body for a link post or a url for a text post"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn edit_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditPost>,
) -> Result<Written<IdReply>, ApiError> {
    let command = PostRequest::EditPost {
        post_id: parse(&id, "post")?,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}",
    summary = "Delete a post",
    description = "The author only (also after leaving the community, not while banned). Its \
                   content is hidden; it keeps its place.",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    responses(
        (status = 200, description = "Deleted (or already)", body = DeletedReply),
        (status = 403, description = "`not_the_author`: only the author may do this; `banned`: the caller is banned from the community"),
        (status = 404, description = "`not_found`: no post has this id"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<DeletedReply>, ApiError> {
    let command = PostRequest::DeletePost {
        post_id: parse(&id, "post")?,
    };
    api.command(&caller, ids, &command.into_command()).await
}
