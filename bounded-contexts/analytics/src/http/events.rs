//! `GET /api/v1/events` (the global log, filtered) and `GET /api/v1/streams/{stream_id}/events`
//! (one stream in version order), as CloudEvents: a page `{items, next_cursor}`, or the page's
//! events as a JSON array (`application/cloudevents-batch+json`) when `Accept` asks for it, the
//! next cursor then in `Agora-Next-Cursor` and a `Link: <...>; rel="next"`.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_kernel::{
    ApiError, Caller, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path, SortKey,
};
use serde::Deserialize;
use shared_kernel::{Cursor, EventFilter, Recorded, StreamId};
use utoipa::IntoParams;

use super::AnalyticsApi;
use super::access::analyst;
use super::query::EventQuery;
use crate::cloudevents::{BATCH_MEDIA_TYPE, CloudEvent};

/// The header naming the next page's cursor in a batch answer.
pub const NEXT_CURSOR: &str = "agora-next-cursor";

/// The base URL of `dataschema`: this server as the client reached it, when its `Host` is an
/// authority (RFC 3986, 3.2: host and port, nothing else), else `http://localhost`: a `Host`
/// such as `evil.example/"><script>` is not echoed into the events.
pub(super) fn schema_base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.parse::<axum::http::uri::Authority>()
                .is_ok_and(|a| a.as_str() == *h && !h.contains('@'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Whether the client prefers the batch format to plain JSON, by `Accept` with its q-values
/// and wildcards (RFC 9110, 12.5.1): `application/cloudevents-batch+json;q=0.5,
/// application/json;q=0.9` is JSON. No `Accept`, or one that cannot be parsed, is JSON.
fn wants_batch(headers: &HeaderMap) -> bool {
    use mediatype::names::{APPLICATION, JSON};
    use mediatype::{MediaType, Name};
    const PLAIN: MediaType<'static> = MediaType::new(APPLICATION, JSON);
    const BATCH: MediaType<'static> = MediaType::from_parts(
        APPLICATION,
        Name::new_unchecked("cloudevents-batch"),
        Some(JSON),
        &[],
    );
    let values: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return false;
    }
    let Ok(accept) = values.join(", ").parse::<headers_accept::Accept>() else {
        return false;
    };
    accept.negotiate(&[PLAIN, BATCH]) == Some(&BATCH)
}

/// A page of events, in the format the client asked for.
fn answer(
    headers: &HeaderMap,
    page: Paged<CloudEvent>,
    next_link: impl FnOnce(&str) -> String,
) -> Response {
    if !wants_batch(headers) {
        return Json(page).into_response();
    }
    let mut response = Json(page.items).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(BATCH_MEDIA_TYPE),
    );
    if let Some(next) = page.next_cursor {
        if let Ok(v) = HeaderValue::from_str(&next) {
            h.insert(NEXT_CURSOR, v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("<{}>; rel=\"next\"", next_link(&next))) {
            h.insert(header::LINK, v);
        }
    }
    response
}

#[utoipa::path(
    get,
    path = "/api/v1/events",
    summary = "The event log, filtered, as CloudEvents",
    description = "Every stored event in global commit order (a page never returns an event \
                   while an earlier one could still commit: resuming from `next_cursor` misses \
                   nothing), each a CloudEvents 1.0 event in the JSON format. Filters combine: \
                   `context` and `type` (each repeatable, any of them), `stream`, and the \
                   recorded time `from` (inclusive) and `to` (exclusive). With `Accept: \
                   application/cloudevents-batch+json` the page is the batch format (a JSON \
                   array), the next cursor in `Agora-Next-Cursor` and `Link`. Confidential \
                   events (password hashes) are listed with `data: null` and `withheld: true`, \
                   as on Kafka. For analysts and admins.",
    params(EventQuery, Page),
    responses(
        (status = 200, description = "A page of events (`next_cursor`: null on the last page, for now)",
            content(
                (Paged<CloudEvent> = "application/json"),
                (Vec<CloudEvent> = "application/cloudevents-batch+json"),
            )),
        (status = 400, description = "`invalid_cursor`: `after`/`cursor` is not a cursor of the log"),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: a malformed `context`, `type`, `stream`, `from` or `to`, or `limit` out of 1 to 100"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn list_events(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    query: EventQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    analyst(&caller)?;
    let filter = query.filter()?;
    let after = query.start()?.unwrap_or(Cursor::START);
    let rows = read(&api, &filter, after, page.fetch()).await?;
    let base = schema_base(&headers);
    let more = rows.len() > page.limit as usize;
    let items: Vec<CloudEvent> = rows
        .iter()
        .take(page.limit as usize)
        .map(|e| CloudEvent::of(e, &base, &api.extra.withheld))
        .collect();
    // The next page starts after the last item: its own cursor (the log's, not a list's).
    let next_cursor = more
        .then(|| items.last().map(|e| e.cursor.clone()))
        .flatten();
    let paged = Paged { items, next_cursor };
    let query_string = next_query(&query);
    Ok(answer(&headers, paged, |next| {
        format!(
            "/api/v1/events?{query_string}after={next}&limit={}",
            page.limit
        )
    }))
}

async fn read(
    api: &AnalyticsApi,
    filter: &EventFilter,
    after: Cursor,
    fetch: i64,
) -> Result<Vec<Recorded>, ApiError> {
    api.extra
        .store
        .read_filtered(filter, after, usize::try_from(fetch).unwrap_or(101))
        .await
        .map_err(ApiError::internal)
}

/// The filters of `query` again, for the next page's link.
fn next_query(query: &EventQuery) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for c in query.context.iter().flatten() {
        out.append_pair("context", c);
    }
    for t in query.r#type.iter().flatten() {
        out.append_pair("type", t);
    }
    for (name, value) in [
        ("stream", &query.stream),
        ("from", &query.from),
        ("to", &query.to),
    ] {
        if let Some(v) = value {
            out.append_pair(name, v);
        }
    }
    let text = out.finish();
    if text.is_empty() { text } else { text + "&" }
}

/// A stream page continues after a stream version.
const STREAM_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "stream",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};

/// Where a stream's page starts.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FromVersion {
    /// The first stream version to list (default 1); a `cursor` continues after its page.
    #[param(minimum = 1)]
    from_version: Option<u64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/streams/{stream_id}/events",
    summary = "One stream's events, in version order, as CloudEvents",
    description = "The events of one stream (`order-<id>`, `product-<id>`...) from \
                   `from_version` on, in version order, each a CloudEvents 1.0 event as \
                   `/events` lists them (also in the batch format by `Accept`). An unknown \
                   stream has no events (an empty page). For analysts and admins.",
    params(("stream_id" = String, Path, description = "The stream id, `<kind>-<id>`"), FromVersion, Page),
    responses(
        (status = 200, description = "A page of the stream's events",
            content(
                (Paged<CloudEvent> = "application/json"),
                (Vec<CloudEvent> = "application/cloudevents-batch+json"),
            )),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 404, description = "`not_found`: the path names no stream id, or a stream with no event"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn stream(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    page: Page,
    Path(stream_id): Path<String>,
    http_kernel::Query(from): http_kernel::Query<FromVersion>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    analyst(&caller)?;
    let stream = StreamId::parse(&stream_id).map_err(|_| ApiError::NotFound("stream".into()))?;
    let start = match page.after(STREAM_CURSOR)? {
        Some(PageCursor {
            key: SortKey::Int(v),
            ..
        }) => u64::try_from(v).unwrap_or(0) + 1,
        Some(_) => return Err(http_kernel::InvalidCursor("not a version").into()),
        None => from.from_version.unwrap_or(1).max(1),
    };
    let mut rows = api
        .extra
        .store
        .read_stream(&stream, start)
        .await
        .map_err(ApiError::internal)?;
    if rows.is_empty() {
        // A stream with no event at all is unknown (404), as a malformed id is; one read past
        // its end is an empty page. Asked of the log's stream index, one row at most.
        let filter = shared_kernel::EventFilter {
            stream: Some(stream.clone()),
            ..shared_kernel::EventFilter::default()
        };
        let any = api
            .extra
            .store
            .read_filtered(&filter, shared_kernel::Cursor::START, 1)
            .await
            .map_err(ApiError::internal)?;
        if any.is_empty() {
            return Err(ApiError::NotFound("stream".into()));
        }
    }
    rows.truncate(usize::try_from(page.fetch()).unwrap_or(101));
    let base = schema_base(&headers);
    let items = rows
        .iter()
        .map(|e| CloudEvent::of(e, &base, &api.extra.withheld))
        .collect();
    let paged = Paged::of(items, &page, |last: &CloudEvent| {
        PageCursor::new(
            STREAM_CURSOR.sort,
            SortKey::Int(i64::try_from(last.streamversion).unwrap_or(i64::MAX)),
            "",
        )
    });
    Ok(answer(&headers, paged, |next| {
        format!(
            "/api/v1/streams/{stream_id}/events?cursor={next}&limit={}",
            page.limit
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

    fn host(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_str(value).unwrap());
        h
    }

    /// Found by a tester: any printable `Host` was echoed into every event's `dataschema`.
    #[test]
    fn dataschema_names_this_server_only_by_a_host_and_port() {
        assert_eq!(
            schema_base(&host("agora.example:8080")),
            "http://agora.example:8080"
        );
        assert_eq!(schema_base(&host("[::1]:8080")), "http://[::1]:8080");
        for forged in ["evil.example/\"><script>", "a@b.example", "x y", ""] {
            assert_eq!(schema_base(&host(forged)), "http://localhost", "{forged}");
        }
        assert_eq!(schema_base(&HeaderMap::new()), "http://localhost");
    }

    /// Found by a tester: q-values were ignored, so a client preferring JSON got the batch.
    #[test]
    fn the_batch_format_is_chosen_by_preference() {
        assert!(wants_batch(&accept("application/cloudevents-batch+json")));
        assert!(wants_batch(&accept(
            "application/json;q=0.5, application/cloudevents-batch+json"
        )));
        assert!(!wants_batch(&accept(
            "application/cloudevents-batch+json;q=0.5, application/json;q=0.9"
        )));
        assert!(!wants_batch(&accept("application/json")));
        assert!(!wants_batch(&accept("*/*")));
        assert!(!wants_batch(&HeaderMap::new()));
    }
}
