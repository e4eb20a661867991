//! Live comments: a post's new comments as Server-Sent Events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use http_kernel::{ApiError, Path, Problem};
use tokio_stream::StreamExt as _;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

use super::super::CommunitiesApi;
use super::uuid_of;
use crate::projections::find_post;

/// How often an idle live stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Server-Sent Events: each comment created on the post from now on, as event `comment`
/// (id: the comment's id, data: the comment as the tree shows it).
#[utoipa::path(
    get,
    operation_id = "communities_live_comments",
    path = "/api/v1/posts/{id}/comments/live",
    tag = "communities",
    summary = "New comments on a post, live",
    description = "Server-Sent Events: each comment created on the post from now on, as event `comment` (`id`: the comment's id; `data`: the comment as JSON, as the tree shows it, schema `Comment`, with no replies). A keep-alive comment every 15 seconds; the stream ends when the server shuts down (reconnect).",
    params(("id" = uuid::Uuid, Path, description = "The post's id (anything else is 404 `not_found`)")),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
        (status = 404, description = "`not_found`: no post has this id", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn live_comments(
    State(api): State<CommunitiesApi>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let post_id = uuid_of(&id, "post")?;
    find_post(&api.read, &post_id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::NotFound("post".into()))?;
    // Subscribed before the response starts: a comment created once the client sees the
    // response headers is delivered.
    let comments = BroadcastStream::new(api.extra.subscribe()).filter_map(move |message| {
        match message {
            Ok(c) if c.post_id == post_id => Some(Some(Ok::<Event, Infallible>(
                Event::default()
                    .event("comment")
                    .id(c.comment_id.clone())
                    .data(c.json.to_string()),
            ))),
            // Another post's comment, or comments this slow subscriber missed.
            _ => None,
        }
    });
    // Shutdown ends the stream (`None` below), so a graceful stop does not wait for clients
    // that would listen forever; they reconnect to another process.
    let closing = WatchStream::new(api.extra.closed()).filter_map(|closed| closed.then_some(None));
    let comments = comments.merge(closing).map_while(|event| event);
    Ok(Sse::new(comments)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}
