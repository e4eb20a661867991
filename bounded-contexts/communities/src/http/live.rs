//! `GET /api/v1/posts/{id}/comments/live`: a post's new comments as Server-Sent Events, each
//! with its number in the post's sequence as its `id`, so a client that reconnects with
//! `Last-Event-ID` (as `EventSource` does) is sent every comment it missed, then the new ones,
//! none twice.
//!
//! How no comment is lost: the stream subscribes to the comments the read model applies
//! *before* it reads the read model, and reads it only once the read model has applied every
//! event the store held then ([`CommunitiesApi::caught_up`]): a comment is either in the read
//! model by then or told to the subscription afterwards. Comments arrive numbered in order, so
//! the stream skips what it has sent, and a gap in the numbers (a subscription that fell
//! behind, or a comment another process applied) is filled from the read model.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse as _, Response};
use futures::stream;
use http_kernel::{ApiError, Path};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::CommunitiesApi;
use super::posts::{POST_ID, post_row};
use crate::projections::{COMMENTS, Comment, LiveComment, comments_after, last_sequence};

/// How often an idle live stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Comments read from the read model per query while a stream catches up.
const CATCH_UP_PAGE: i64 = 100;

/// `Last-Event-ID`: the `id` of the last event the client received (a comment's number), when
/// it sent one. An empty one is none (an event stream's empty id resets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LastEventId(Option<i64>);

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
        text.parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| Self(Some(n)))
            .ok_or_else(|| ApiError::Edge {
                status: StatusCode::BAD_REQUEST,
                code: "invalid_last_event_id",
                message: format!(
                    "Last-Event-ID must be the id of an event of this stream (an integer from \
                     0 to {}), got {text:?}",
                    i64::MAX
                ),
            })
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/comments/live",
    summary = "New comments on a post, live",
    description = "Server-Sent Events: each comment created on the post from now on, as event \
                   `comment` (`id`: the comment's number in the post, 1, 2, ... in the order \
                   they were created; `data`: the comment as JSON, as the tree shows it, schema \
                   `Comment`, with no replies). Reconnecting with `Last-Event-ID` (as \
                   `EventSource` does) first sends every comment after that one, as it is now, \
                   then continues live: none is missed, none sent twice (`Last-Event-ID: 0`: \
                   every comment of the post). A keep-alive comment every 15 seconds; the \
                   stream ends when the server shuts down (reconnect).",
    params(
        ("id" = uuid::Uuid, Path, description = POST_ID),
        ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "The `id` of the last event received: resume after it"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
        (status = 400, description = "`invalid_last_event_id`: `Last-Event-ID` is not a non-negative integer"),
        (status = 404, description = "`not_found`: no post has this id"),
    ),
)]
pub(super) async fn live_comments(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
    LastEventId(resume_after): LastEventId,
) -> Result<Response, ApiError> {
    let post = post_row(&api, &id).await?;
    let live = api.extra.live.subscribe();
    let closed = api.extra.live.closed();
    api.caught_up(COMMENTS).await?;
    let newest = last_sequence(&api.read, &post.id)
        .await
        .map_err(ApiError::internal)?;
    // An id past the post's newest comment (a forged one, or one of a rebuilt read model)
    // resumes from the newest: the comments to come are not skipped.
    let sent = resume_after.map_or(newest, |after| after.min(newest));
    let feed = Feed {
        api,
        post_id: post.id,
        live,
        closed,
        sent,
        behind: sent < newest,
        backlog: VecDeque::new(),
        held: None,
    };
    let events = stream::unfold(feed, |mut feed| async move {
        let event = feed.next().await?;
        Some((Ok::<Event, Infallible>(event), feed))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// One client's stream of a post's comments.
struct Feed {
    api: CommunitiesApi,
    post_id: String,
    live: broadcast::Receiver<Arc<LiveComment>>,
    /// `true` once the process stops serving: the stream ends (the client reconnects to
    /// another process, with its `Last-Event-ID`).
    closed: watch::Receiver<bool>,
    /// The number of the last comment the client has.
    sent: i64,
    /// Comments after `sent` may be in the read model and not to come live: read them first.
    behind: bool,
    /// Comments read from the read model, not sent yet.
    backlog: VecDeque<(i64, Comment)>,
    /// A live comment that came after a gap, sent once the gap is filled.
    held: Option<Arc<LiveComment>>,
}

impl Feed {
    /// The next event, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some((seq, comment)) = self.backlog.pop_front() {
                if let Some(event) = self.send(seq, &comment) {
                    return Some(event);
                }
                continue;
            }
            if self.behind {
                self.catch_up().await?;
                continue;
            }
            if let Some(held) = self.held.take() {
                if let Some(event) = self.send(held.seq, &held.comment) {
                    return Some(event);
                }
                continue;
            }
            if *self.closed.borrow() {
                return None;
            }
            tokio::select! {
                received = self.live.recv() => match received {
                    Ok(c) if c.comment.post_id == self.post_id => {
                        if c.seq > self.sent + 1 {
                            self.settle().await?;
                            self.held = Some(c);
                        } else if let Some(event) = self.send(c.seq, &c.comment) {
                            return Some(event);
                        }
                    }
                    // Another post's comment.
                    Ok(_) => {}
                    // This subscription fell behind and lost comments: the read model has them.
                    Err(RecvError::Lagged(_)) => self.settle().await?,
                    Err(RecvError::Closed) => return None,
                },
                changed = self.closed.changed() => changed.ok()?,
            }
        }
    }

    /// The event of comment number `seq`, unless the client has it already.
    fn send(&mut self, seq: i64, comment: &Comment) -> Option<Event> {
        if seq <= self.sent {
            return None;
        }
        let event = Event::default()
            .event("comment")
            .id(seq.to_string())
            .json_data(comment);
        match event {
            Ok(event) => {
                self.sent = seq;
                Some(event)
            }
            Err(e) => {
                tracing::warn!(error = %e, "a live comment could not be written");
                None
            }
        }
    }

    /// Waits until the read model holds what it has told (it tells a comment while applying
    /// it), then reads it from there.
    async fn settle(&mut self) -> Option<()> {
        if let Err(e) = self.api.caught_up(COMMENTS).await {
            tracing::warn!(error = ?e, "a live comment stream cannot catch up; it ends");
            return None;
        }
        self.behind = true;
        Some(())
    }

    /// Reads the next comments after `sent` from the read model.
    async fn catch_up(&mut self) -> Option<()> {
        let page = comments_after(&self.api.read, &self.post_id, self.sent, CATCH_UP_PAGE).await;
        match page {
            Ok(rows) => {
                self.behind = i64::try_from(rows.len()).unwrap_or(i64::MAX) == CATCH_UP_PAGE;
                self.backlog
                    .extend(rows.into_iter().map(|r| (r.seq, r.comment.view())));
                Some(())
            }
            Err(e) => {
                // The client reconnects with its Last-Event-ID and misses nothing.
                tracing::warn!(error = %e, "a live comment stream cannot read the read model; it ends");
                None
            }
        }
    }
}
