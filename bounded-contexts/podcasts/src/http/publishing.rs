//! `POST /episodes/{id}/publish` (now, or at a time: a durable timer publishes it then) and
//! `POST /episodes/{id}/unpublish` (out of the feed, or the schedule withdrawn).

use axum::extract::State;
use chrono::{DateTime, Utc};
use http_kernel::{ApiError, Caller, CommandIds, OptionalJson, Path, Written};
use serde::Deserialize;
use utoipa::ToSchema;

use super::episodes::EPISODE;
use super::{PodcastsApi, episode_id};
use crate::application::{EpisodeRequest, EpisodeWritten, PodcastsCommand};

/// When to publish.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "at": "2026-12-01T06:00:00Z" }))]
pub(super) struct PublishAt {
    /// RFC 3339. Absent, or not in the future: now (a past time backdates `pubDate`). In the
    /// future (up to 366 days): scheduled, published then by a durable timer. Of an episode
    /// already published: absent (or its own publication time) changes nothing; another time
    /// is refused (409 `already_published`: unpublish first).
    #[serde(default)]
    at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    post,
    path = "/api/v1/episodes/{id}/publish",
    summary = "Publish an episode now, or schedule it (its show's owner)",
    params(("id" = String, Path, description = EPISODE)),
    request_body(content = PublishAt, description = "Optional (an empty body publishes now)"),
    responses(
        (status = 200, description = "Published, or scheduled (`status`, `publish_at`)", body = EpisodeWritten),
        (status = 403, description = "`not_owner`: a published episode of someone else's show"),
        (status = 404, description = "`not_found`: no such episode, or a draft that is not the caller's"),
        (status = 409, description = "`already_published`: an `at` for an episode already published (unpublish it first)"),
        (status = 410, description = "`show_deleted`: its show was deleted"),
        (status = 422, description = "`validation_failed`: `at` more than 366 days ahead; `episode_number_required`: a serial show's episode without its number"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn publish_episode(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<PublishAt>,
) -> Result<Written<EpisodeWritten>, ApiError> {
    let episode_id = episode_id(&id)?;
    let at = body.at;
    let command = PodcastsCommand::from(EpisodeRequest::PublishEpisode { episode_id, at });
    api.command(&caller, ids, &command).await
}

#[utoipa::path(
    post,
    path = "/api/v1/episodes/{id}/unpublish",
    summary = "Take an episode out of the feed, or withdraw its schedule (its show's owner)",
    params(("id" = String, Path, description = EPISODE)),
    responses(
        (status = 200, description = "A draft again (its guid stays)", body = EpisodeWritten),
        (status = 403, description = "`not_owner`: a published episode of someone else's show"),
        (status = 404, description = "`not_found`: no such episode, or a draft that is not the caller's"),
        (status = 410, description = "`show_deleted`: its show was deleted"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn unpublish_episode(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<EpisodeWritten>, ApiError> {
    let episode_id = episode_id(&id)?;
    let command = PodcastsCommand::from(EpisodeRequest::UnpublishEpisode { episode_id });
    api.command(&caller, ids, &command).await
}
