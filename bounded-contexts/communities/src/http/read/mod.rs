//! The read routes: feeds, posts, comment trees (and their live stream), karma, the report
//! queue and the modlog, all from read models, all lists keyset-paged
//! (`{items, next_cursor}`, `?limit=` default 20, max 100, `?cursor=` opaque).

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use http_kernel::openapi::MinPositionHeader;
use http_kernel::{ApiError, Caller, Json, Path, Problem, Query, min_position};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::CommunitiesApi;
use super::openapi::{
    self,
    schemas::{CommentPage, Community, Post, PostPage, UserKarma},
};
use crate::projections::{
    COMMENTS, CommentSort, CommunityRow, DIRECTORY, FeedError, FeedSort, KARMA, POSTS, TreeQuery,
    comment_page, feed_page, find_comment, find_community, find_post, is_moderator, moderators,
    page_size, user_karma,
};

pub(crate) mod live;
pub(crate) mod moderation;

/// Levels of replies a comment page shows below its comments when `max_depth` is not given.
const DEFAULT_MAX_DEPTH: u32 = 8;

pub fn routes() -> Router<CommunitiesApi> {
    Router::new()
        .route("/api/v1/communities/{name}", get(get_community))
        .route("/api/v1/communities/{name}/posts", get(community_posts))
        .route(
            "/api/v1/communities/{name}/reports",
            get(moderation::community_reports),
        )
        .route(
            "/api/v1/communities/{name}/modlog",
            get(moderation::community_modlog),
        )
        .route("/api/v1/posts/{id}", get(get_post))
        .route("/api/v1/posts/{id}/comments", get(post_comments))
        .route("/api/v1/posts/{id}/comments/live", get(live::live_comments))
        .route("/api/v1/users/{id}/karma", get(karma))
}

/// `?limit=`: a page's size, 1 to 100 (larger ones are capped), 20 when absent.
fn limit_of(limit: Option<&str>) -> Result<i64, ApiError> {
    let limit = limit
        .map(|l| {
            l.parse::<u32>()
                .map_err(|_| ApiError::Validation("limit must be an integer from 1 to 100".into()))
        })
        .transpose()?;
    Ok(page_size(limit))
}

// The query strings of the lists. Values are kept as text and checked by the handlers, so a
// bad one answers problem+json like every other error; the `param` attributes document what
// is accepted.

/// `GET /communities/{name}/posts`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    /// The feed's order (default `hot`).
    #[param(schema_with = openapi::feed_sorts)]
    sort: Option<String>,
    /// The window of `sort=top` (default `all`; ignored by the other sorts).
    #[param(schema_with = openapi::top_windows)]
    t: Option<String>,
    /// The page's size: 1 to 100 (larger ones are capped), default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    limit: Option<String>,
    /// The previous page's `next_cursor` (opaque; only valid with the same `sort` and `t`).
    cursor: Option<String>,
}

/// `GET /posts/{id}/comments`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CommentTreeParams {
    /// The order of each level of the tree (default `top`).
    #[param(schema_with = openapi::comment_sorts)]
    sort: Option<String>,
    /// Levels of replies shown below each comment of the page: 0 to 50, default 8.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 50, example = 8)]
    max_depth: Option<String>,
    /// Page the replies of this comment (of this post) instead of the top-level comments.
    #[param(value_type = Option<String>, format = Uuid)]
    parent_id: Option<String>,
    /// Comments per page at the paged level: 1 to 100 (larger ones are capped), default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    limit: Option<String>,
    /// The previous page's `next_cursor` (opaque; only valid with the same `sort`).
    cursor: Option<String>,
}

/// `GET /communities/{name}/modlog` and `GET /users/{id}/karma`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// The page's size: 1 to 100 (larger ones are capped), default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    limit: Option<String>,
    /// The previous page's `next_cursor` (opaque).
    cursor: Option<String>,
}

fn bad_cursor() -> ApiError {
    ApiError::Edge {
        status: axum::http::StatusCode::BAD_REQUEST,
        code: "invalid_cursor",
        message: "the cursor is not one this list gave out (or belongs to another sort)".into(),
    }
}

fn feed_error(e: FeedError) -> ApiError {
    match e {
        FeedError::InvalidCursor => bad_cursor(),
        FeedError::Database(e) => ApiError::internal(e),
    }
}

fn page_json(items: Vec<Value>, next_cursor: Option<String>) -> Response {
    Json(json!({ "items": items, "next_cursor": next_cursor })).into_response()
}

async fn community(api: &CommunitiesApi, name: &str) -> Result<CommunityRow, ApiError> {
    find_community(&api.read, name)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("community".into()))
}

/// Ids in paths are UUIDs; anything else names nothing.
fn uuid_of(id: &str, what: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| ApiError::NotFound(what.into()))
}

#[utoipa::path(
    get,
    operation_id = "communities_get_community",
    path = "/api/v1/communities/{name}",
    tag = "communities",
    summary = "A community",
    description = "With its rules and moderators.",
    params(("name" = String, Path, description = "The community's name (any case)"), MinPositionHeader),
    responses(
        (status = 200, description = "The community", body = Community),
        (status = 400, description = "`invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
)]
async fn get_community(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    api.wait_for(&headers, &[DIRECTORY]).await?;
    let c = community(&api, &name).await?;
    let mods = moderators(&api.read, &c.id)
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(c.to_json(&mods)).into_response())
}

#[utoipa::path(
    get,
    operation_id = "communities_community_posts",
    path = "/api/v1/communities/{name}/posts",
    tag = "communities",
    summary = "A community's feed",
    description = "Keyset-paged: `sort=hot|new|top|controversial` (`t` windows `top`); pinned posts are not set apart.",
    params(("name" = String, Path, description = "The community's name (any case)"), FeedParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of posts", body = PostPage),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out (or belongs to another sort); `invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `sort` or `t` is not one of the listed values, or `limit` is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
)]
async fn community_posts(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
    Query(params): Query<FeedParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sort = FeedSort::parse(params.sort.as_deref(), params.t.as_deref()).ok_or_else(|| {
        ApiError::Validation(
            "sort must be hot, new, top or controversial; t must be day, week, month, year or all"
                .into(),
        )
    })?;
    let limit = limit_of(params.limit.as_deref())?;
    api.wait_for(&headers, &[DIRECTORY, POSTS]).await?;
    let c = community(&api, &name).await?;
    let page = feed_page(
        &api.read,
        &c.id,
        sort,
        params.cursor.as_deref(),
        limit,
        Utc::now(),
    )
    .await
    .map_err(feed_error)?;
    Ok(page_json(
        page.items
            .iter()
            .map(crate::projections::PostRow::to_json)
            .collect(),
        page.next_cursor,
    ))
}

/// A post with its score and comment count. A removed post's content shows only to its
/// author, the community's moderators and admins.
#[utoipa::path(
    get,
    operation_id = "communities_get_post",
    path = "/api/v1/posts/{id}",
    tag = "communities",
    summary = "A post",
    description = "With its score and comment count. A removed post's content shows only to its author, the community's moderators and admins (authenticated); anyone may read without credentials.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), MinPositionHeader),
    responses(
        (status = 200, description = "The post", body = Post),
        (status = 400, description = "`invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: the credentials sent are invalid (expired, revoked): without any, the post is read anonymously", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security((), ("bearer" = []))
)]
async fn get_post(
    State(api): State<CommunitiesApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let id = uuid_of(&id, "post")?;
    api.wait_for(&headers, &[POSTS]).await?;
    let post = find_post(&api.read, &id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("post".into()))?;
    let sees_removed = match &caller {
        Some(caller) if post.removed != 0 => {
            let user = caller.user_id.to_string();
            user == post.author_id
                || caller.is_admin()
                || is_moderator(&api.read, &post.community_id, &user)
                    .await
                    .map_err(ApiError::internal)?
        }
        _ => false,
    };
    Ok(Json(post.to_json_for(sees_removed)).into_response())
}

/// A page of the post's comment tree: `sort=top|new|hot` (default `top`); the post's
/// top-level comments, or with `parent_id` one comment's replies, keyset-paged; each with its
/// replies nested `max_depth` levels deep (default 8, at most 50). `more_replies` marks a
/// comment with replies the page did not load.
#[utoipa::path(
    get,
    operation_id = "communities_post_comments",
    path = "/api/v1/posts/{id}/comments",
    tag = "communities",
    summary = "A post's comment tree",
    description = "A page of the post's top-level comments (or, with `parent_id`, of one comment's replies), each with its replies nested `max_depth` levels deep; `more_replies` marks a comment with replies the page did not load.",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)"), CommentTreeParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of comments", body = CommentPage),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out (or belongs to another sort); `invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no post has this id; `not_found`: `parent_id` is not a comment of this post", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `sort` is not top, new or hot, `max_depth` is not an integer from 0 to 50, or `limit` is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
)]
async fn post_comments(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
    Query(params): Query<CommentTreeParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let post_id = uuid_of(&id, "post")?;
    let sort = CommentSort::parse(params.sort.as_deref())
        .ok_or_else(|| ApiError::Validation("sort must be top, new or hot".into()))?;
    let max_depth = match params.max_depth.as_deref() {
        None => DEFAULT_MAX_DEPTH,
        Some(d) => d
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= crate::projections::MAX_DEPTH_LIMIT)
            .ok_or_else(|| {
                ApiError::Validation(format!(
                    "max_depth must be an integer from 0 to {}",
                    crate::projections::MAX_DEPTH_LIMIT
                ))
            })?,
    };
    let limit = limit_of(params.limit.as_deref())?;
    api.wait_for(&headers, &[POSTS, COMMENTS]).await?;
    find_post(&api.read, &post_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("post".into()))?;
    let parent_id = match params.parent_id.as_deref() {
        None => None,
        Some(parent) => {
            let parent = find_comment(&api.read, &uuid_of(parent, "comment")?)
                .await
                .map_err(ApiError::internal)?
                .filter(|c| c.post_id == post_id)
                .ok_or_else(|| ApiError::NotFound("comment".into()))?;
            Some(parent.id)
        }
    };
    let page = comment_page(
        &api.read,
        TreeQuery {
            post_id: &post_id,
            parent_id: parent_id.as_deref(),
            sort,
            max_depth,
            cursor: params.cursor.as_deref(),
            limit,
        },
    )
    .await
    .map_err(feed_error)?;
    Ok(page_json(
        page.items
            .iter()
            .map(crate::projections::CommentNode::to_json)
            .collect(),
        page.next_cursor,
    ))
}

#[utoipa::path(
    get,
    operation_id = "communities_karma",
    path = "/api/v1/users/{id}/karma",
    tag = "communities",
    summary = "A user's karma",
    description = "The total, and a keyset-paged list per community (highest first).",
    params(("id" = uuid::Uuid, Path, description = "The user's id (anything else is 404 `not_found`)"), PageParams, MinPositionHeader),
    responses(
        (status = 200, description = "The karma", body = UserKarma),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out (or belongs to another sort); `invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: the id is not a user id", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
)]
async fn karma(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    min_position(&headers)?;
    let user_id = uuid_of(&id, "user")?;
    let limit = limit_of(params.limit.as_deref())?;
    api.wait_for(&headers, &[KARMA]).await?;
    let (total, page) = user_karma(&api.read, &user_id, params.cursor.as_deref(), limit)
        .await
        .map_err(feed_error)?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|k| json!({ "community_id": k.community_id, "community_name": k.community_name, "karma": k.karma }))
        .collect();
    Ok(Json(json!({
        "user_id": user_id,
        "total": total,
        "items": items,
        "next_cursor": page.next_cursor,
    }))
    .into_response())
}
