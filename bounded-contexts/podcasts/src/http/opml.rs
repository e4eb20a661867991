//! `GET` and `POST /api/v1/me/subscriptions.opml`: the caller's subscriptions as an OPML 2.0
//! file, as podcast apps export and import them; an import subscribes to every outline that is
//! one of this platform's feeds (as `--public-base-url` names them) and reports the others.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Caller, CommandIds, Json};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::PodcastsApi;
use super::subscriptions::{send_subscription, subscriptions_page};
use crate::application::SubscriptionRequest;

/// The most subscriptions an export lists, and outlines an import reads.
pub const MAX_OUTLINES: usize = 1_000;
/// The OPML media type.
pub const OPML_TYPE: &str = "text/x-opml; charset=utf-8";

/// What an import did with each outline's feed URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(super) struct ImportReport {
    /// Shows the caller is now subscribed to (including those they already were).
    pub subscribed: Vec<String>,
    /// Feed URLs that are not this platform's (left alone).
    pub not_ours: Vec<String>,
    /// This platform's feed URLs of no show, or of a deleted one.
    pub unknown: Vec<String>,
}

fn feeds(outlines: &[opml::Outline], into: &mut Vec<String>) {
    for outline in outlines {
        if let Some(url) = outline.xml_url.as_deref().filter(|u| !u.trim().is_empty()) {
            into.push(url.trim().to_owned());
        }
        feeds(&outline.outlines, into);
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/me/subscriptions.opml",
    summary = "The caller's subscriptions as OPML 2.0 (at most 1,000)",
    responses((status = 200, description = "An OPML 2.0 document: one `rss` outline per show", content_type = "text/x-opml", body = String)),
    security(("bearer" = [])),
)]
pub(super) async fn export(
    State(api): State<PodcastsApi>,
    caller: Caller,
) -> Result<Response, ApiError> {
    let limit = i64::try_from(MAX_OUTLINES).unwrap_or(i64::MAX);
    let subscriptions = subscriptions_page(&api, &caller.user_id.to_string(), None, limit).await?;
    let mut document = opml::OPML {
        version: "2.0".to_owned(),
        head: Some(opml::Head {
            title: Some("Agora podcast subscriptions".to_owned()),
            ..opml::Head::default()
        }),
        ..opml::OPML::default()
    };
    for s in subscriptions.iter().filter(|s| !s.feed_url.is_empty()) {
        document.body.outlines.push(opml::Outline {
            text: s.title.clone(),
            title: Some(s.title.clone()),
            r#type: Some("rss".to_owned()),
            xml_url: Some(s.feed_url.clone()),
            ..opml::Outline::default()
        });
    }
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        document.to_string().map_err(ApiError::internal)?
    );
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(OPML_TYPE)),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"subscriptions.opml\""),
            ),
        ],
        xml,
    )
        .into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/me/subscriptions.opml",
    summary = "Import an OPML file: subscribe to every outline that is one of this platform's feeds",
    request_body(content = String, content_type = "text/x-opml", description = "An OPML 1.0 or 2.0 document (`text/x-opml`, `application/xml` or `text/xml`)"),
    responses(
        (status = 200, description = "What each feed URL became", body = ImportReport),
        (status = 415, description = "`unsupported_media_type`: not sent as OPML or XML"),
        (status = 422, description = "`validation_failed`: not an OPML document, or more than 1,000 outlines"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn import(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    let media = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if ![
        "text/x-opml",
        "application/xml",
        "text/xml",
        "application/x-opml",
    ]
    .iter()
    .any(|t| media.starts_with(t))
    {
        return Err(ApiError::UnsupportedMediaType(
            "send the OPML document as text/x-opml (or application/xml)".into(),
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::Validation("the OPML document is not UTF-8".into()))?;
    let document = opml::OPML::from_str(text)
        .map_err(|e| ApiError::Validation(format!("not an OPML document: {e}")))?;
    let mut urls = Vec::new();
    feeds(&document.body.outlines, &mut urls);
    if urls.len() > MAX_OUTLINES {
        return Err(ApiError::Validation(format!(
            "at most {MAX_OUTLINES} feeds in one import"
        )));
    }
    let mut report = ImportReport::default();
    for url in urls {
        let Some(show_id) = api.extra.config.show_of_feed(&url) else {
            report.not_ours.push(url);
            continue;
        };
        // One command per show (one stream each), its id derived from the request's: a retry
        // of the import sends the same ones.
        let per_show = CommandIds::of(ids.derive(&format!("subscribe:{show_id}")));
        let request = SubscriptionRequest::Subscribe { show_id };
        match send_subscription(&api, &caller, per_show, request).await {
            Ok(_) => {
                if !report.subscribed.contains(&show_id.to_string()) {
                    report.subscribed.push(show_id.to_string());
                }
            }
            // No such show, or a deleted one (the handler checks on the store).
            Err(ApiError::Refused { .. }) => report.unknown.push(url),
            Err(e) => return Err(e),
        }
    }
    Ok(Json(report))
}
