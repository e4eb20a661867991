//! `GET /api/v1/episodes/{id}/audio`: the enclosure URL of every feed item. It answers 302 to
//! the audio file and counts a download as the IAB podcast measurement guidelines (v2.2) and
//! Castopod count them: at most one per listener, episode and UTC day, where the listener is a
//! salted hash of the client address (the TCP peer) and user agent under a salt that rotates
//! daily (see `ListenerHasher`); known bots, the `Range: bytes=0-1` probe and `HEAD` requests
//! (which fetch nothing) are not counted.
//! The listener gets the file whatever the counting does: a count that fails is logged.
//!
//! `GET /api/v1/shows/{id}/downloads`: the owner's figures, per day and per episode.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use event_schemas::podcasts::{EpisodeId, ShowId};
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    Query, SortKey, Written,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::episodes::{EPISODE, visible_episode};
use super::shows::SHOW;
use super::{PodcastsApi, known_show, not_found};
use crate::application::{DownloadOutcome, DownloadRequest, PodcastsCommand, is_probe};
use crate::projections::{DayDownloads, show_downloads as downloads_page};

/// How long the redirect waits for the count before it answers anyway.
const COUNT_WAIT: Duration = Duration::from_secs(2);
/// The actor of download counts (the platform's, never a user's).
const COUNTER: &str = "system:podcasts:downloads";

const DAYS: CursorSpec<'static> = CursorSpec {
    sort: "day",
    key: KeyKind::Text { max_chars: 10 },
    id: IdKind::None,
};

/// Counts the download unless it is a bot's, a probe or a `HEAD` (axum answers `HEAD` with
/// the `GET` handler: the client only asks what the redirect would be, and downloads nothing);
/// never fails the redirect.
async fn count(
    api: &PodcastsApi,
    episode_id: EpisodeId,
    show_id: ShowId,
    peer: Option<SocketAddr>,
    method: &Method,
    headers: &HeaderMap,
) {
    if method == Method::HEAD {
        return;
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let listeners = &api.extra.listeners;
    let Some(peer) = peer else {
        tracing::warn!("no client address: download not counted");
        return;
    };
    if is_probe(range) || listeners.is_bot(user_agent) {
        return;
    }
    let day = Utc::now().format("%Y-%m-%d").to_string();
    let listener = listeners.listener(&day, peer.ip(), user_agent);
    let command = PodcastsCommand::from(DownloadRequest::CountDownload {
        episode_id,
        show_id,
        day,
        listener,
    });
    // A fresh command id: a repeat of the day is refused by the store (its stream exists).
    let send = api.command_as::<_, DownloadOutcome>(
        COUNTER.to_owned(),
        CommandIds::fresh(),
        &command,
        None,
    );
    match tokio::time::timeout(COUNT_WAIT, send).await {
        Ok(Ok(Written::Done { .. } | Written::Pending(_))) => {}
        Ok(Err(e)) => tracing::warn!(%episode_id, error = %e, "download not counted"),
        Err(_) => tracing::warn!(%episode_id, "download count still pending; redirecting"),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/episodes/{id}/audio",
    summary = "The episode's audio: a redirect to the file, counting the download (not for HEAD)",
    params(
        ("id" = String, Path, description = EPISODE),
        ("Range" = Option<String>, Header, description = "`bytes=0-1` (a player's probe) is not counted"),
    ),
    security((), ("bearer" = [])),
    responses(
        (status = 302, description = "To the audio file", headers(("Location" = String, description = "The audio file's URL"))),
        (status = 404, description = "`not_found`: no such episode, or one not published"),
        (status = 410, description = "`show_deleted`: its show was deleted"),
    ),
)]
pub(super) async fn audio(
    State(api): State<PodcastsApi>,
    caller: Option<Caller>,
    connection: Option<Extension<ConnectInfo<SocketAddr>>>,
    method: Method,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let episode = visible_episode(&api, caller.as_ref(), &id).await?;
    let location = HeaderValue::from_str(&episode.audio_url).map_err(ApiError::internal)?;
    // The owner previewing a draft is no listener.
    if episode.status == "published" {
        let episode_id = episode.id.parse().map_err(ApiError::internal)?;
        let show_id = episode.show_id.parse().map_err(ApiError::internal)?;
        let peer = connection.map(|Extension(ConnectInfo(peer))| peer);
        count(&api, episode_id, show_id, peer, &method, &headers).await;
    }
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// `?from=&to=`: the days to report, inclusive.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DayRange {
    /// `YYYY-MM-DD` (UTC); default 30 days before `to`.
    from: Option<String>,
    /// `YYYY-MM-DD` (UTC); default today.
    to: Option<String>,
}

fn day(field: &str, value: Option<&str>, default: NaiveDate) -> Result<NaiveDate, ApiError> {
    value.map_or(Ok(default), |v| {
        NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
            ApiError::Validation(format!("{field} must be a date as YYYY-MM-DD, got {v:?}"))
        })
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/downloads",
    summary = "The show's downloads per day, with each episode's (its owner)",
    params(("id" = String, Path, description = SHOW), DayRange, Page),
    responses(
        (status = 200, description = "A page of days with downloads, oldest first", body = Paged<DayDownloads>),
        (status = 404, description = "`not_found`: no such show, or not the caller's"),
        (status = 422, description = "`validation_failed`: `from` or `to` is not a date"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn show_downloads(
    State(api): State<PodcastsApi>,
    caller: Caller,
    page: Page,
    Path(id): Path<String>,
    Query(range): Query<DayRange>,
) -> Result<Json<Paged<DayDownloads>>, ApiError> {
    let today = Utc::now().date_naive();
    let to = day("to", range.to.as_deref(), today)?;
    let from = day(
        "from",
        range.from.as_deref(),
        to - chrono::Duration::days(30),
    )?;
    let after = match page.after(DAYS)? {
        None => String::new(),
        Some(PageCursor {
            key: SortKey::Text(day),
            ..
        }) => day,
        Some(_) => return Err(http_kernel::InvalidCursor("not a day").into()),
    };
    let show = known_show(&api, &id).await?;
    // Someone else's figures are none of the caller's business.
    if show.owner_id != caller.user_id.to_string() {
        return Err(not_found("show"));
    }
    let rows = downloads_page(
        &api.read,
        &show.id,
        &from.to_string(),
        &to.to_string(),
        &after,
        page.fetch(),
    )
    .await
    .map_err(ApiError::internal)?;
    Ok(Json(Paged::of(rows, &page, |d| {
        PageCursor::new(DAYS.sort, SortKey::Text(d.day.clone()), "")
    })))
}
