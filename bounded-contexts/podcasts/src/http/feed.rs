//! `GET` and `HEAD /api/v1/shows/{id}/feed.rss`: the show's RSS 2.0 feed, as podcast apps
//! poll it. Built from the read model on each request (never by folding events), with a strong
//! `ETag` (a hash of the document) and `Last-Modified` (when the show or any of its episodes
//! last changed); `If-None-Match`, or else `If-Modified-Since`, answers 304 without a body.
//! A deleted show's feed answers 410 Gone, so apps drop it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SubsecRound, Utc};
use http_kernel::{ApiError, Path};
use sha2::{Digest, Sha256};

use super::shows::SHOW;
use super::{PodcastsApi, live_show, rss_feed};
use crate::projections::{feed_episodes, stored_time};

/// The newest episodes a feed carries.
pub const FEED_ITEMS: i64 = 1_000;
/// The feed's media type.
pub const RSS_TYPE: &str = "application/rss+xml; charset=utf-8";

fn parse_stored(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An HTTP date (IMF-fixdate).
fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Whether the client's copy (its validators) is still the current one.
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: DateTime<Utc>) -> bool {
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        // Weak comparison (RFC 9110 13.1.2): `W/"x"` matches `"x"`.
        return tags.split(',').map(str::trim).any(|tag| {
            tag == "*" || tag.trim_start_matches("W/") == etag.trim_start_matches("W/")
        });
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .is_some_and(|since| last_modified.trunc_subsecs(0) <= since.with_timezone(&Utc))
}

async fn answer(api: &PodcastsApi, id: &str, headers: &HeaderMap) -> Result<Response, ApiError> {
    let show = live_show(api, id).await?;
    let now = stored_time(Utc::now());
    let (episodes, changed) = feed_episodes(&api.read, &show.id, &now, FEED_ITEMS)
        .await
        .map_err(ApiError::internal)?;
    let last_modified = [Some(show.updated_at.as_str()), changed.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(parse_stored)
        .max()
        .unwrap_or_else(Utc::now)
        .trunc_subsecs(0);
    let body = rss_feed::build(&show, &episodes, &api.extra.config, last_modified);
    let etag = format!(
        "\"{}\"",
        &hex::encode(Sha256::digest(body.as_bytes()))[..32]
    );
    let mut response = if not_modified(headers, &etag, last_modified) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(header::CONTENT_TYPE, HeaderValue::from_static(RSS_TYPE))],
            body,
        )
            .into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}/feed.rss",
    summary = "The show's RSS 2.0 feed (itunes, podcast and content namespaces), newest first",
    params(
        ("id" = String, Path, description = SHOW),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` of this feed: 304 when it is still current"),
        ("If-Modified-Since" = Option<String>, Header, description = "An HTTP date: 304 when the feed has not changed since (ignored with `If-None-Match`)"),
    ),
    responses(
        (status = 200, description = "The feed: published episodes whose time has come, at most 1,000", content_type = "application/rss+xml", body = String,
         headers(("ETag" = String, description = "The document's hash"), ("Last-Modified" = String, description = "When the show or one of its episodes last changed"))),
        (status = 304, description = "Not modified: the client's copy is current"),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted the show"),
    ),
)]
pub(super) async fn feed(
    State(api): State<PodcastsApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    answer(&api, &id, &headers).await
}

#[utoipa::path(
    head,
    path = "/api/v1/shows/{id}/feed.rss",
    summary = "The feed's headers (`ETag`, `Last-Modified`, `Content-Type`), without its body",
    params(("id" = String, Path, description = SHOW)),
    responses(
        (status = 200, description = "The feed exists"),
        (status = 304, description = "Not modified"),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted the show"),
    ),
)]
pub(super) async fn feed_head(
    State(api): State<PodcastsApi>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    answer(&api, &id, &headers).await
}
