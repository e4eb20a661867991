//! `GET /api/v1/events/live`: the log as Server-Sent Events, filtered as `/events` is, each
//! event's `id:` its cursor, so a client that reconnects with `Last-Event-ID` (as
//! `EventSource` does) gets every event after the last one it had: none missed, none twice.
//!
//! Each connection has a reader task that fills a bounded buffer: first the events after the
//! starting cursor, read page by page ([`shared_kernel::EventStore::read_filtered`], the
//! store's gap-free order), then new ones as they commit (the store's tail from where the pages
//! ended). A client that does not take events as fast as they come fills its buffer; the
//! reader waits [`SLOW_CLIENT_GRACE`] for room, then stops: the client is sent what the buffer
//! holds and a final `overflow` event
//! whose `id:` (and `data.resume_after`) is the cursor to resume from, and the stream ends.
//! Shutdown ends every stream at once.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use futures::StreamExt as _;
use http_kernel::{ApiError, Caller};
use serde::Serialize;
use shared_kernel::{Cursor, EventFilter, EventStore, Recorded};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use super::AnalyticsApi;
use super::access::analyst;
use super::events::schema_base;
use super::query::EventQuery;
use crate::cloudevents::{CloudEvent, Withheld};
use crate::cursor;

/// How often an idle stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Events read per query while a stream catches up.
const CATCH_UP_PAGE: usize = 500;
/// How long a full buffer may wait for its client to take an event before the client counts
/// as too slow: a reader fills a buffer far faster than any client empties it, so a full
/// buffer alone says nothing; one that stays full this long does.
pub const SLOW_CLIENT_GRACE: Duration = Duration::from_secs(2);

/// `Last-Event-ID`: the cursor of the last event the client received, when it sent one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LastEventId(Option<Cursor>);

impl<S: Send + Sync> FromRequestParts<S> for LastEventId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("last-event-id") else {
            return Ok(Self(None));
        };
        let text = value.to_str().map(str::trim).unwrap_or("?");
        if text.is_empty() {
            return Ok(Self(None));
        }
        cursor::decode(text)
            .map(|c| Self(Some(c)))
            .map_err(|_| ApiError::Edge {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_last_event_id",
                message: format!(
                    "Last-Event-ID must be the id of an event of this stream (a cursor of the \
                     log), got {text:?}"
                ),
            })
    }
}

/// The final event of a stream closed because its client fell behind.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Overflow {
    /// Why the stream ended: `slow_consumer`.
    pub reason: String,
    /// Reconnect with this as `Last-Event-ID` (or `?after=`): nothing is missed.
    pub resume_after: String,
    /// How many events the buffer held.
    pub buffer: usize,
}

/// What the live streams of a process share: their buffer size and the process's shutdown.
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// Events buffered per connection before a slow client is closed.
    pub buffer: usize,
    /// Cancelled when the process stops: every stream ends.
    pub shutdown: CancellationToken,
}

#[utoipa::path(
    get,
    path = "/api/v1/events/live",
    summary = "Follow the event log live (Server-Sent Events)",
    description = "Every event the filters select (as `/events`: `context`, `type`, `stream`, \
                   `from`, `to`), as it commits, each an SSE event whose `data` is the \
                   CloudEvent (JSON) and whose `id` is its cursor. Without a starting point \
                   the stream starts at the head of the log (new events only); `?after=` or \
                   `Last-Event-ID` (as `EventSource` sends it on a reconnect) start after that \
                   event, with no gap and no double. A client that does not keep up is sent \
                   what its buffer holds, then a final event `overflow` whose `id` and \
                   `data.resume_after` name where to resume (schema `Overflow`), and the \
                   stream closes. A keep-alive comment every 15 seconds; the stream ends when \
                   the server shuts down (reconnect). For analysts and admins.",
    params(
        EventQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: resume after it (wins over `after`)"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
        (status = 400, description = "`invalid_cursor` / `invalid_last_event_id`: not a cursor of the log"),
        (status = 403, description = "`forbidden`: the caller is neither an analyst nor an admin"),
        (status = 422, description = "`validation_failed`: a malformed filter"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn live(
    State(api): State<AnalyticsApi>,
    caller: Caller,
    query: EventQuery,
    LastEventId(last): LastEventId,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    analyst(&caller)?;
    let filter = query.filter()?;
    let start = match (last, query.start()?) {
        (Some(c), _) | (None, Some(c)) => c,
        (None, None) => api.extra.store.head().await.map_err(ApiError::internal)?,
    };
    let settings = api.extra.live.clone();
    let (sender, receiver) = mpsc::channel(settings.buffer.max(1));
    let reader = Reader {
        store: Arc::clone(&api.extra.store),
        filter,
        cursor: start,
        sender,
        shutdown: settings.shutdown.clone(),
    };
    let ended = tokio::spawn(reader.run());
    let feed = Feed {
        receiver,
        ended: Some(ended),
        base: schema_base(&headers),
        withheld: Arc::clone(&api.extra.withheld),
        buffer: settings.buffer,
        shutdown: settings.shutdown,
        done: false,
    };
    let events = futures::stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<Event, Infallible>(event), feed))
    });
    Ok(Sse::new(events.boxed())
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// How a reader ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The buffer was full: the client is too slow. Resume after this cursor (the last event
    /// put in the buffer).
    Overflow(Cursor),
    /// The client went away, the process stops, or the store failed.
    Stopped,
}

/// Reads the log into one client's buffer.
struct Reader {
    store: Arc<dyn EventStore>,
    filter: EventFilter,
    /// The last event put in the buffer (or the starting point).
    cursor: Cursor,
    sender: mpsc::Sender<Recorded>,
    shutdown: CancellationToken,
}

impl Reader {
    async fn run(mut self) -> End {
        let shutdown = self.shutdown.clone();
        let gone = self.sender.clone();
        tokio::select! {
            end = self.follow() => end,
            () = shutdown.cancelled() => End::Stopped,
            () = gone.closed() => End::Stopped,
        }
    }

    async fn follow(&mut self) -> End {
        // Catch up page by page; the head taken before the last (short) page bounds what the
        // pages have read, so the tail may start there.
        let mut scanned = self.cursor;
        loop {
            let head = match self.store.head().await {
                Ok(h) => h,
                Err(e) => return failed(&e),
            };
            let page = match self
                .store
                .read_filtered(&self.filter, self.cursor, CATCH_UP_PAGE)
                .await
            {
                Ok(p) => p,
                Err(e) => return failed(&e),
            };
            let short = page.len() < CATCH_UP_PAGE;
            for event in page {
                if let Some(end) = self.offer(event).await {
                    return end;
                }
            }
            if short {
                scanned = scanned.max(head).max(self.cursor);
                break;
            }
        }
        let store = Arc::clone(&self.store);
        let mut tail = store.tail(scanned);
        while let Some(next) = tail.next().await {
            match next {
                Ok(event) if self.filter.matches(&event) && event.cursor > self.cursor => {
                    if let Some(end) = self.offer(event).await {
                        return end;
                    }
                }
                Ok(_) => {}
                Err(e) => return failed(&e),
            }
        }
        End::Stopped
    }

    /// Puts `event` in the buffer; `Some` when the stream must end: the buffer stayed full
    /// for [`SLOW_CLIENT_GRACE`] (the client is too slow), or the client went away.
    async fn offer(&mut self, event: Recorded) -> Option<End> {
        let at = event.cursor;
        let sent = match self.sender.try_send(event) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(event)) => {
                match self.sender.send_timeout(event, SLOW_CLIENT_GRACE).await {
                    Ok(()) => Ok(()),
                    Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                        return Some(End::Overflow(self.cursor));
                    }
                    Err(mpsc::error::SendTimeoutError::Closed(_)) => Err(()),
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(()),
        };
        match sent {
            Ok(()) => {
                self.cursor = at;
                None
            }
            Err(()) => Some(End::Stopped),
        }
    }
}

fn failed(e: &shared_kernel::StoreError) -> End {
    // The client reconnects with its Last-Event-ID and misses nothing.
    tracing::warn!(error = %e, "a live event stream cannot read the store; it ends");
    End::Stopped
}

/// One client's stream: the buffer's events, then (when the reader overflowed) the final event.
struct Feed {
    receiver: mpsc::Receiver<Recorded>,
    ended: Option<tokio::task::JoinHandle<End>>,
    base: String,
    withheld: Arc<Withheld>,
    buffer: usize,
    shutdown: CancellationToken,
    done: bool,
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        if self.done {
            return None;
        }
        let received = tokio::select! {
            r = self.receiver.recv() => r,
            () = self.shutdown.cancelled() => return None,
        };
        if let Some(event) = received {
            let cloud = CloudEvent::of(&event, &self.base, &self.withheld);
            return match Event::default().id(cloud.cursor.clone()).json_data(&cloud) {
                Ok(e) => Some(e),
                Err(e) => {
                    tracing::warn!(error = %e, "a live event could not be written; the stream ends");
                    None
                }
            };
        }
        // The reader is done and the buffer drained.
        self.done = true;
        let end = match self.ended.take() {
            Some(task) => task.await.unwrap_or(End::Stopped),
            None => End::Stopped,
        };
        match end {
            End::Overflow(at) => {
                let resume = cursor::encode(at);
                let data = Overflow {
                    reason: "slow_consumer".into(),
                    resume_after: resume.clone(),
                    buffer: self.buffer,
                };
                Event::default()
                    .event("overflow")
                    .id(resume)
                    .json_data(&data)
                    .ok()
            }
            End::Stopped => None,
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(task) = self.ended.take() {
            task.abort();
        }
    }
}
