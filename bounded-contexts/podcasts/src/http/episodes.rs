//! Episodes: draft one (`POST /shows/{id}/episodes`), list a show's (`GET`, the owner also sees
//! drafts and schedules), search every show's (`GET /episodes?q=`), read one and edit it
//! (`/episodes/{id}`). A draft is invisible to anyone but its owner: 404, as an unknown id.

use axum::extract::State;
use chrono::Utc;
use event_schemas::podcasts::EpisodeId;
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    Query, SortKey, Written,
};

use super::shows::{SHOW, SearchParams};
use super::{PodcastsApi, episode_id, live_show, not_found, show_gone, show_id};
use crate::application::{EpisodeRequest, EpisodeWritten, PodcastsCommand};
use crate::domain::{EpisodeInput, EpisodePatch};
use crate::projections::{
    EPISODES, EpisodeFilter, EpisodeRow, EpisodeView, EpisodesAfter, find_episode, find_show,
    list_episodes, stored_time,
};

const NEWEST: CursorSpec<'static> = CursorSpec {
    sort: "newest",
    key: KeyKind::Time,
    id: IdKind::Uuid,
};
const RELEVANCE: CursorSpec<'static> = CursorSpec {
    sort: "relevance",
    key: KeyKind::FINITE,
    id: IdKind::Uuid,
};

/// An episode's id in a path.
pub(super) const EPISODE: &str = "The episode's id";

fn caller_is(caller: Option<&Caller>, owner_id: &str) -> bool {
    caller.is_some_and(|c| c.user_id.to_string() == owner_id)
}

/// The episode `id` as `caller` may see it: published (and its time has come) for anyone,
/// anything for its owner; 404 otherwise, and 410 once its show is deleted.
pub(super) async fn visible_episode(
    api: &PodcastsApi,
    caller: Option<&Caller>,
    id: &str,
) -> Result<EpisodeRow, ApiError> {
    episode_id(id)?;
    let find = || async {
        find_episode(&api.read, id)
            .await
            .map_err(ApiError::internal)
    };
    let episode = match find().await? {
        Some(e) => e,
        None => {
            api.caught_up(EPISODES).await?;
            find().await?.ok_or_else(|| not_found("episode"))?
        }
    };
    let now = stored_time(Utc::now());
    if !episode.is_public(&now) && !caller_is(caller, &episode.owner_id) {
        return Err(not_found("episode"));
    }
    let show = find_show(&api.read, &episode.show_id)
        .await
        .map_err(ApiError::internal)?;
    if show.is_some_and(|s| s.is_deleted()) {
        return Err(show_gone());
    }
    Ok(episode)
}

async fn page_of(
    api: &PodcastsApi,
    filter: &EpisodeFilter,
    text: Option<&str>,
    page: &Page,
) -> Result<Paged<EpisodeView>, ApiError> {
    let spec = if text.is_some() { RELEVANCE } else { NEWEST };
    let after = match page.after(spec)? {
        None => EpisodesAfter::Start,
        Some(PageCursor {
            key: SortKey::Text(t),
            id,
            ..
        }) => EpisodesAfter::Time(t, id),
        Some(PageCursor {
            key: SortKey::Float(s),
            id,
            ..
        }) => EpisodesAfter::Score(s, id),
        Some(_) => return Err(http_kernel::InvalidCursor("not an episode cursor").into()),
    };
    let rows = list_episodes(&api.read, filter, text, &after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    let paged = Paged::of(rows, page, |(row, score)| match text {
        Some(_) => PageCursor::new(spec.sort, SortKey::Float(*score), row.id.clone()),
        None => PageCursor::new(
            spec.sort,
            SortKey::Text(row.sort_at.clone()),
            row.id.clone(),
        ),
    });
    Ok(Paged {
        items: paged.items.iter().map(|(row, _)| row.view()).collect(),
        next_cursor: paged.next_cursor,
    })
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/episodes",
    summary = "Draft an episode of a show (its owner)",
    params(("id" = String, Path, description = SHOW)),
    request_body = EpisodeInput,
    responses(
        (status = 201, description = "Drafted: its id and feed guid", body = EpisodeWritten),
        (status = 403, description = "`not_owner`: the show is someone else's"),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
        (status = 422, description = "`validation_failed`: a field breaks its rule (an enclosure type Apple does not accept, ...); `episode_number_required`: a serial show's episode without its number"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn draft_episode(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(episode): Json<EpisodeInput>,
) -> Result<Written<EpisodeWritten>, ApiError> {
    let show_id = show_id(&id)?;
    let episode_id = EpisodeId::from(ids.derive("episode"));
    let command = PodcastsCommand::from(EpisodeRequest::DraftEpisode {
        episode_id,
        show_id,
        episode,
    });
    let written: Written<EpisodeWritten> = api
        .command_creating(&caller, ids, &command, Some(episode_id.to_string()))
        .await?;
    Ok(written.created(|e| format!("/api/v1/episodes/{}", e.id)))
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/episodes",
    summary = "A show's episodes, newest first, or searched (`q`); its owner also sees drafts and schedules",
    params(("id" = String, Path, description = SHOW), SearchParams, Page),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "A page of episodes", body = Paged<EpisodeView>),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
    ),
)]
pub(super) async fn list_show_episodes(
    State(api): State<PodcastsApi>,
    caller: Option<Caller>,
    page: Page,
    Path(id): Path<String>,
    Query(params): Query<SearchParams>,
) -> Result<Json<Paged<EpisodeView>>, ApiError> {
    let show = live_show(&api, &id).await?;
    let filter = EpisodeFilter {
        show_id: Some(show.id.clone()),
        unpublished: caller_is(caller.as_ref(), &show.owner_id),
        now: stored_time(Utc::now()),
    };
    Ok(Json(page_of(&api, &filter, params.text(), &page).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/episodes",
    summary = "Published episodes of every show, newest first, or searched (`q`) by relevance",
    params(SearchParams, Page),
    responses((status = 200, description = "A page of episodes", body = Paged<EpisodeView>)),
)]
pub(super) async fn search_episodes(
    State(api): State<PodcastsApi>,
    page: Page,
    Query(params): Query<SearchParams>,
) -> Result<Json<Paged<EpisodeView>>, ApiError> {
    let filter = EpisodeFilter {
        show_id: None,
        unpublished: false,
        now: stored_time(Utc::now()),
    };
    Ok(Json(page_of(&api, &filter, params.text(), &page).await?))
}

#[utoipa::path(
    get,
    path = "/api/v1/episodes/{id}",
    summary = "An episode (a draft or a scheduled one only for its owner)",
    params(("id" = String, Path, description = EPISODE)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The episode", body = EpisodeView),
        (status = 404, description = "`not_found`: no such episode, or a draft that is not the caller's"),
        (status = 410, description = "`show_deleted`: its show was deleted"),
    ),
)]
pub(super) async fn get_episode(
    State(api): State<PodcastsApi>,
    caller: Option<Caller>,
    Path(id): Path<String>,
) -> Result<Json<EpisodeView>, ApiError> {
    Ok(Json(
        visible_episode(&api, caller.as_ref(), &id).await?.view(),
    ))
}

#[utoipa::path(
    patch,
    path = "/api/v1/episodes/{id}",
    summary = "Edit an episode (its show's owner); it keeps its guid, published or not",
    params(("id" = String, Path, description = EPISODE)),
    request_body = EpisodePatch,
    responses(
        (status = 200, description = "Edited", body = EpisodeWritten),
        (status = 403, description = "`not_owner`: a published episode of someone else's show"),
        (status = 404, description = "`not_found`: no such episode, or a draft that is not the caller's"),
        (status = 410, description = "`show_deleted`: its show was deleted"),
        (status = 422, description = "`validation_failed`: a field breaks its rule; `episode_number_required`: a serial show's episode without its number"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn edit_episode(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(patch): Json<EpisodePatch>,
) -> Result<Written<EpisodeWritten>, ApiError> {
    let episode_id = episode_id(&id)?;
    let command = PodcastsCommand::from(EpisodeRequest::EditEpisode { episode_id, patch });
    api.command(&caller, ids, &command).await
}
