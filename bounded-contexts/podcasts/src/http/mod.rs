//! The podcasts routes: shows and episodes for podcasters (`/api/v1/shows`, `/episodes`),
//! subscriptions and OPML for listeners (`/me/subscriptions`), the feed podcast apps read
//! (`/shows/{id}/feed.rss`) and the audio route that counts downloads. Writes go to the bus;
//! reads come from the read models. One file per resource: [`shows`], [`episodes`],
//! [`publishing`], [`feed`] (built by [`rss_feed`]), [`subscriptions`], [`opml`],
//! [`downloads`].

mod downloads;
mod episodes;
mod feed;
mod opml;
mod publishing;
mod rss_feed;
mod shows;
mod subscriptions;

use std::sync::Arc;

use http_kernel::{ApiError, ContextApi, Routes, routes};
use shared_kernel::RejectionKind;
use utoipa::OpenApi;

use crate::application::{ListenerHasher, PodcastsConfig};
use crate::projections::{SHOWS, ShowRow, find_show};

/// What the podcasts routes need besides the shared state: the settings and the hashing of
/// listeners.
#[derive(Debug)]
pub struct Edge {
    pub config: PodcastsConfig,
    pub listeners: ListenerHasher,
}

/// The state of the podcasts routes.
pub type PodcastsApi = ContextApi<Arc<Edge>>;

#[derive(OpenApi)]
#[openapi(tags((
    name = "podcasts",
    description = "Shows and episodes (drafts, publishing now or at a time, unpublishing), \
                   listeners' subscriptions with OPML 2.0 export and import, the RSS 2.0 feed \
                   podcast apps read (itunes, podcast and content namespaces; ETag, 304, 410 \
                   for a deleted show), the audio route that counts downloads as the IAB \
                   guidelines do, and the owner's download figures."
)))]
struct Doc;

/// Every podcasts route, served and described.
pub fn routes(api: ContextApi, config: PodcastsConfig) -> Routes {
    let edge = Edge {
        listeners: ListenerHasher::new(config.listener_secret.clone()),
        config,
    };
    Routes::with_openapi(Doc::openapi())
        .routes(routes!(shows::create_show, shows::list_shows))
        .routes(routes!(
            shows::get_show,
            shows::edit_show,
            shows::delete_show
        ))
        .routes(routes!(
            episodes::draft_episode,
            episodes::list_show_episodes
        ))
        .routes(routes!(episodes::search_episodes))
        .routes(routes!(episodes::get_episode, episodes::edit_episode))
        .routes(routes!(publishing::publish_episode))
        .routes(routes!(publishing::unpublish_episode))
        .routes(routes!(feed::feed, feed::feed_head))
        .routes(routes!(
            subscriptions::subscribe,
            subscriptions::unsubscribe
        ))
        .routes(routes!(subscriptions::my_subscriptions))
        .routes(routes!(opml::export, opml::import))
        .routes(routes!(downloads::audio))
        .routes(routes!(downloads::show_downloads))
        .with_state(api.with(Arc::new(edge)))
}

/// The path's show id, or 404 for text that is no id.
fn show_id(id: &str) -> Result<event_schemas::podcasts::ShowId, ApiError> {
    id.parse().map_err(|_| not_found("show"))
}

/// The path's episode id, or 404 for text that is no id.
fn episode_id(id: &str) -> Result<event_schemas::podcasts::EpisodeId, ApiError> {
    id.parse().map_err(|_| not_found("episode"))
}

fn not_found(what: &str) -> ApiError {
    ApiError::refused(
        RejectionKind::NotFound,
        "not_found",
        format!("{what} not found"),
    )
}

fn show_gone() -> ApiError {
    ApiError::refused(
        RejectionKind::Gone,
        "show_deleted",
        "the show was deleted by its owner",
    )
}

/// The show `id` as the read model has it, deleted or not; 404 when unknown (looked up again
/// once the read model has caught up with the store, at once when it is idle).
async fn known_show(api: &PodcastsApi, id: &str) -> Result<ShowRow, ApiError> {
    show_id(id)?;
    let find = || async { find_show(&api.read, id).await.map_err(ApiError::internal) };
    match find().await? {
        Some(show) => Ok(show),
        None => {
            api.caught_up(SHOWS).await?;
            find().await?.ok_or_else(|| not_found("show"))
        }
    }
}

/// [`known_show`], refusing a deleted one with 410.
async fn live_show(api: &PodcastsApi, id: &str) -> Result<ShowRow, ApiError> {
    let show = known_show(api, id).await?;
    if show.is_deleted() {
        return Err(show_gone());
    }
    Ok(show)
}
