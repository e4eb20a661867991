//! Read models of the communities context, the queries the read routes make of them, and the
//! views the API shows of their rows (`Post`, `Comment`, ...). Every list is keyset-paged: a
//! query takes where the page starts (the decoded cursor) and how many rows to fetch, and each
//! list declares its cursor (its spec, and the cursor of a row).
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
    COMMENTS, Comment, CommentNode, CommentRow, CommentSort, CommentsProjection,
    DESCENDANTS_PER_PAGE, MAX_DEPTH_LIMIT, SequencedComment, TreeQuery, comment_level,
    comment_trees, comments_after, find_comment, last_sequence,
};
pub use cursor::{CursorSpec, InvalidCursor, PageCursor, SortKey};
pub use directory::{
    Community, CommunityRow, DIRECTORY, DirectoryProjection, find_community, is_moderator,
    moderators,
};
pub use hot_ranks::{
    REFRESH_BATCH, REFRESH_EVERY, Refreshed, refresh_hot_ranks, run_hot_rank_refresh,
};
pub use karma::{CommunityKarma, KARMA, KARMA_CURSOR, KarmaProjection, karma_page, karma_total};
pub use live::{LiveComment, LiveComments};
pub use modlog::{
    ActionTarget, MODLOG, MODLOG_CURSOR, ModlogEntry, ModlogProjection, ModlogRow, modlog_page,
};
pub use posts::{
    FeedOrder, FeedSort, POSTS, Post, PostRow, PostsProjection, TopWindow, feed_page, find_post,
};
pub use reports::{REPORTS, Report, ReportRow, ReportStatus, ReportsProjection, reports_page};

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
