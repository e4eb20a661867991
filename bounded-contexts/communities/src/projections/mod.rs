//! Read models of the communities context, and the queries the read routes make of them.
//!
//! - [`PostsProjection`]: the feeds (`hot`, `new`, `top`, `controversial`), keyset-paged.
//! - [`CommentsProjection`]: comment trees, paged by level; feeds [`LiveComments`].
//! - [`KarmaProjection`]: karma per user and community.
//! - [`DirectoryProjection`]: communities, member counts, moderators, bans.
//! - [`ReportsProjection`]: the moderators' report queue.
//! - [`ModlogProjection`]: the public moderation log.
//!
//! Hot ranks are stored and refreshed by [`run_hot_rank_refresh`], not computed per request.

mod comments;
mod cursor;
mod directory;
mod hot_ranks;
mod karma;
mod live;
mod modlog;
mod posts;
pub mod ranking;
mod reports;

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use projections::Projection;
use shared_kernel::Recorded;

pub use comments::{
    COMMENTS, CommentNode, CommentPage, CommentRow, CommentSort, CommentsProjection,
    DESCENDANTS_PER_PAGE, MAX_DEPTH_LIMIT, TreeQuery, comment_page, find_comment,
};
pub use cursor::{InvalidCursor, PageCursor, SortKey, page_size};
pub use directory::{
    CommunityRow, DIRECTORY, DirectoryProjection, find_community, is_moderator, moderators,
};
pub use hot_ranks::{
    REFRESH_BATCH, REFRESH_EVERY, Refreshed, refresh_hot_ranks, run_hot_rank_refresh,
};
pub use karma::{KARMA, KarmaProjection, KarmaRow, user_karma};
pub use live::{LiveComment, LiveComments};
pub use modlog::{MODLOG, ModlogProjection, ModlogRow, modlog_page};
pub use posts::{FeedSort, POSTS, PostRow, PostsProjection, TopWindow, feed_page, find_post};
pub use reports::{REPORTS, ReportRow, ReportsProjection, reports_page};

/// Every read model of the context; the comments projection tells `live` of new comments.
#[must_use]
pub fn all(live: &LiveComments) -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(DirectoryProjection),
        Arc::new(PostsProjection),
        Arc::new(CommentsProjection::new(live.clone())),
        Arc::new(KarmaProjection),
        Arc::new(ReportsProjection),
        Arc::new(ModlogProjection),
    ]
}

/// Records a voter's vote on a target in `table` (columns `key`, `voter_id`, `value`,
/// `version`) unless that vote is already there at this or a newer stream version: replays and
/// out-of-order deliveries then move no counter twice. Whether the row changed.
async fn record_vote(
    conn: &mut sqlx::AnyConnection,
    table: &str,
    key: &str,
    vote: &event_schemas::communities::VoteCast,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "INSERT INTO {table} ({key}, voter_id, value, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT ({key}, voter_id) DO UPDATE \
         SET value = excluded.value, version = excluded.version \
         WHERE {table}.version < excluded.version"
    );
    let changed = sqlx::query(&sql)
        .bind(vote.target.uuid().to_string())
        .bind(vote.voter_id.to_string())
        .bind(i64::from(vote.value))
        .bind(version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(changed > 0)
}

/// A keyset page: the rows and where the next page starts (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// `rows` fetched with `LIMIT limit + 1`: the extra row only says that more follow.
    fn from_rows(mut rows: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> PageCursor) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }
}

/// Why a page could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("invalid cursor")]
    InvalidCursor,
    #[error("read-model database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Read-model timestamps: RFC 3339, microseconds, `Z`: one length, so text order is time order.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn is_communities_event(event: &Recorded) -> bool {
    event.context() == crate::CONTEXT
}
