//! The communities routes: `/api/v1/communities/...`, `/posts/...`, `/comments/...`,
//! `/reports/...` and `/users/{id}/karma`. Writes send one command over the bus (a community
//! `{name}` is resolved by the handler, which derives its id, so no write waits for a read
//! model); reads answer from the read models, every list keyset-paged (`Page`, `Paged`). One
//! file per resource: `communities` (and their moderators), `members` (and bans),
//! `posts` (and feeds), `comments` (and trees), `votes`, `moderation` (of posts and
//! comments), `reports` (and the modlog), `karma`, `live` (new comments as Server-Sent
//! Events).

mod as_of;
mod comments;
mod communities;
mod karma;
mod live;
mod members;
mod moderation;
mod posts;
mod reports;
mod votes;

use http_kernel::{ApiError, ContextApi, Routes, routes};
use serde::Deserialize;
use utoipa::{OpenApi, ToSchema};

use crate::projections::{DIRECTORY, find_community};

/// The state of the communities routes; `extra`: the new comments as the comments projection
/// applies them (`/posts/{id}/comments/live`), and the store (`?as_of=`).
pub type CommunitiesApi = ContextApi<Communities>;

/// What the communities routes need besides the read models: the live comments, and the store
/// (a post as it was is folded from the events).
#[derive(Debug, Clone)]
pub struct Communities {
    pub live: crate::projections::LiveComments,
    pub store: std::sync::Arc<dyn shared_kernel::EventStore>,
}

#[derive(OpenApi)]
#[openapi(tags((
    name = "communities",
    description = "Communities (forums) with members, moderators and bans; posts, threaded \
                   comments, votes, karma, reports and the moderation log. Writes send a \
                   command and answer its reply; reads come from read models, lists are \
                   keyset-paged (`{items, next_cursor}`)."
)))]
struct Doc;

/// Every communities route, served and described.
pub fn routes(api: CommunitiesApi) -> Routes {
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(communities::create_community))
        .routes(routes!(
            communities::get_community,
            communities::change_settings
        ))
        .routes(routes!(communities::appoint_moderator))
        .routes(routes!(communities::remove_moderator))
        .routes(routes!(members::join, members::leave))
        .routes(routes!(members::ban))
        .routes(routes!(members::unban))
        .routes(routes!(posts::community_posts, posts::create_post))
        .routes(routes!(
            posts::get_post,
            posts::edit_post,
            posts::delete_post
        ))
        .routes(routes!(comments::post_comments, comments::create_comment))
        .routes(routes!(comments::edit_comment, comments::delete_comment))
        .routes(routes!(live::live_comments))
        .routes(routes!(votes::vote_post))
        .routes(routes!(votes::vote_comment))
        .routes(routes!(moderation::remove_post))
        .routes(routes!(moderation::restore_post))
        .routes(routes!(moderation::lock_post))
        .routes(routes!(moderation::unlock_post))
        .routes(routes!(moderation::pin_post))
        .routes(routes!(moderation::unpin_post))
        .routes(routes!(moderation::remove_comment))
        .routes(routes!(moderation::restore_comment))
        .routes(routes!(reports::report_post))
        .routes(routes!(reports::report_comment))
        .routes(routes!(reports::resolve_report))
        .routes(routes!(reports::community_reports))
        .routes(routes!(reports::community_modlog))
        .routes(routes!(karma::karma))
        .with_state(api)
}

/// Why (a report, a moderator's removal or restoration).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Reason {
    /// 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// An optional reason (the body may also be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct OptionalReason {
    /// Up to 1,000 characters.
    #[schema(max_length = 1000)]
    reason: Option<String>,
}

/// The community's name in a path, as the routes describe it.
const NAME: &str = "The community's name (any case)";

/// The id in a path, or 404 naming `what` when it is not one.
fn parse<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound(what.into()))
}

/// The community named `name`. A name the directory does not know may belong to a community
/// it has not applied yet: it is looked up again once the directory has caught up with the
/// store (at once when it is idle).
async fn community(
    api: &CommunitiesApi,
    name: &str,
) -> Result<crate::projections::CommunityRow, ApiError> {
    let find = || async {
        find_community(&api.read, name)
            .await
            .map_err(ApiError::internal)
    };
    if let Some(found) = find().await? {
        return Ok(found);
    }
    api.caught_up(DIRECTORY).await?;
    find()
        .await?
        .ok_or_else(|| ApiError::NotFound("community".into()))
}
