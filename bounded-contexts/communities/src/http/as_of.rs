//! A post as it was at an instant (`GET /api/v1/posts/{id}?as_of=`): its stream folded up to
//! that instant (content, revision, removed, deleted, locked, pinned), its score and comment
//! count from the votes and comments recorded by then. Votes and comments live in streams of
//! their own, so they are read by type up to the instant (the log's type index): the cost
//! grows with the votes and comments of the whole platform before that instant. Ranks are
//! not folded (`hot_rank` and `controversy_rank` are 0).

use chrono::{DateTime, SecondsFormat, Utc};
use event_schemas::communities::{self, ContentRef, PostEvent};
use http_kernel::ApiError;
use shared_kernel::ids::PostId;
use shared_kernel::{
    Aggregate, Cursor, DomainEvent, EventFilter, EventStore, Recorded, StreamId, TypeMatch,
};

use crate::domain::Post as PostState;
use crate::projections::PostRow;

fn time(e: &Recorded) -> String {
    e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Every event of `event_type` recorded by `at`.
async fn recorded_by(
    store: &dyn EventStore,
    event_type: &str,
    at: DateTime<Utc>,
) -> Result<Vec<Recorded>, ApiError> {
    let filter = EventFilter {
        types: vec![TypeMatch::Exact(event_type.to_owned())],
        to: Some(at + chrono::Duration::microseconds(1)),
        ..EventFilter::default()
    };
    let mut out = Vec::new();
    let mut after = Cursor::START;
    loop {
        let page = store
            .read_filtered(&filter, after, 1_000)
            .await
            .map_err(ApiError::internal)?;
        let Some(last) = page.last() else {
            return Ok(out);
        };
        after = last.cursor;
        out.extend(page);
    }
}

/// A post as it was at an instant, and what is true of it now that decides who may read its
/// content: removed or deleted since, its earlier content is no more readable through time
/// travel than it is now.
#[derive(Debug)]
pub(super) struct PostAt {
    pub(super) row: PostRow,
    pub(super) removed_now: bool,
    pub(super) deleted_now: bool,
}

/// The post `id` as it was at `at`; `None` before it was created.
///
/// # Errors
/// The store failed, or holds an event this code cannot read.
pub(super) async fn post_at(
    store: &dyn EventStore,
    id: PostId,
    at: DateTime<Utc>,
) -> Result<Option<PostAt>, ApiError> {
    let events = store
        .read_stream(&StreamId::of(PostState::KIND, id), 1)
        .await
        .map_err(ApiError::internal)?;
    let mut state = PostState::default();
    let mut now = PostState::default();
    let (mut published_at, mut updated_at, mut edited_at) = (None, String::new(), None);
    for e in &events {
        let event = PostEvent::decode(&e.event_type, e.schema_version, e.data.clone())
            .map_err(ApiError::internal)?;
        now = now.evolve(&event);
        if e.recorded_at > at {
            continue;
        }
        match &event {
            PostEvent::Created(_) => published_at = Some(time(e)),
            PostEvent::Edited(_) => edited_at = Some(time(e)),
            _ => {}
        }
        updated_at = time(e);
        state = state.evolve(&event);
    }
    let (Some(published_at), Some(author)) = (published_at, state.author) else {
        return Ok(None);
    };
    let (mut ups, mut downs) = (0_i64, 0_i64);
    for e in recorded_by(store, communities::VOTE_CAST, at).await? {
        let Ok(communities::VoteEvent::Cast(vote)) =
            communities::VoteEvent::decode(&e.event_type, e.schema_version, e.data.clone())
        else {
            continue;
        };
        if vote.target != ContentRef::Post(id) {
            continue;
        }
        ups += i64::from(vote.value == 1) - i64::from(vote.previous == 1);
        downs += i64::from(vote.value == -1) - i64::from(vote.previous == -1);
    }
    let post_id = id.to_string();
    let comment_count = recorded_by(store, communities::COMMENT_CREATED, at)
        .await?
        .iter()
        .filter(|e| e.data.get("post_id").and_then(|p| p.as_str()) == Some(post_id.as_str()))
        .count();
    let row = PostRow {
        id: post_id,
        community_id: state.community_id.to_string(),
        community_name: state.community_name,
        author_id: author.to_string(),
        title: state.title,
        body: state.body,
        url: state.url,
        revision: i64::from(state.revision),
        published_at,
        updated_at,
        edited_at,
        score: ups - downs,
        ups,
        downs,
        comment_count: i64::try_from(comment_count).unwrap_or(i64::MAX),
        hot_rank: 0.0,
        controversy_rank: 0.0,
        removed: i64::from(state.removed),
        deleted: i64::from(state.deleted),
        locked: i64::from(state.locked),
        pinned: i64::from(state.pinned),
    };
    Ok(Some(PostAt {
        row,
        removed_now: now.removed,
        deleted_now: now.deleted,
    }))
}
