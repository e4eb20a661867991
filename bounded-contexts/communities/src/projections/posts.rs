//! The feed: one row per post with its counters and ranks, and the keyset pages of a
//! community's posts in every sort.

mod feed;
mod row;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use event_schemas::communities::{
    AnyCommunitiesEvent, CommentEvent, ContentRef, PostEvent, VoteEvent,
};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, Row as _};

use super::ranking::{controversy_rank, hot_rank, vote_delta};
use super::{is_communities_event, timestamp};

pub use feed::{FeedOrder, FeedSort, TopWindow, feed_page, find_post};
pub use row::{Post, PostRow};

/// The projection's name (its checkpoint key).
pub const POSTS: &str = "communities.posts";

/// Every sort has its index, so any page is an index range scan: equality on
/// (community, removed, deleted), then the sort key and id descending.
const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS communities_posts (
        id               TEXT PRIMARY KEY,
        community_id     TEXT NOT NULL,
        community_name   TEXT NOT NULL,
        author_id        TEXT NOT NULL,
        title            TEXT NOT NULL,
        body             TEXT,
        url              TEXT,
        revision         BIGINT NOT NULL,
        published_at     TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        edited_at        TEXT,
        score            BIGINT NOT NULL DEFAULT 0,
        ups              BIGINT NOT NULL DEFAULT 0,
        downs            BIGINT NOT NULL DEFAULT 0,
        comment_count    BIGINT NOT NULL DEFAULT 0,
        hot_rank         DOUBLE PRECISION NOT NULL DEFAULT 0,
        controversy_rank DOUBLE PRECISION NOT NULL DEFAULT 0,
        removed          BIGINT NOT NULL DEFAULT 0,
        deleted          BIGINT NOT NULL DEFAULT 0,
        locked           BIGINT NOT NULL DEFAULT 0,
        pinned           BIGINT NOT NULL DEFAULT 0,
        version          BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS communities_posts_hot
        ON communities_posts (community_id, removed, deleted, hot_rank DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS communities_posts_new
        ON communities_posts (community_id, removed, deleted, published_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS communities_posts_top
        ON communities_posts (community_id, removed, deleted, score DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS communities_posts_controversial
        ON communities_posts (community_id, removed, deleted, controversy_rank DESC, id DESC)",
    // The hot-rank refresh job walks the posts of the last seven days.
    "CREATE INDEX IF NOT EXISTS communities_posts_published ON communities_posts (published_at, id)",
    // One row per (post, voter), guarded by the vote stream's version: a vote applied twice
    // (a replayed Kafka message) does not count twice.
    "CREATE TABLE IF NOT EXISTS communities_post_votes (
        post_id  TEXT NOT NULL,
        voter_id TEXT NOT NULL,
        value    BIGINT NOT NULL,
        version  BIGINT NOT NULL,
        PRIMARY KEY (post_id, voter_id)
    )",
    // The comments counted in `comment_count`, so none counts twice.
    "CREATE TABLE IF NOT EXISTS communities_post_comments (
        comment_id TEXT PRIMARY KEY,
        post_id    TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS communities_post_comments_post ON communities_post_comments (post_id)",
];

/// The columns of a [`PostRow`], in its order.
pub(super) const POST_COLUMNS: &str = "id, community_id, community_name, author_id, title, body, \
     url, revision, published_at, updated_at, edited_at, score, ups, downs, comment_count, \
     hot_rank, controversy_rank, removed, deleted, locked, pinned";

#[derive(Debug, Default)]
pub struct PostsProjection;

#[async_trait]
impl Projection for PostsProjection {
    fn name(&self) -> &'static str {
        POSTS
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "communities_posts",
            "communities_post_votes",
            "communities_post_comments",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if !is_communities_event(event) {
            return Ok(());
        }
        let at = timestamp(event.recorded_at);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        match AnyCommunitiesEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        )? {
            AnyCommunitiesEvent::Post(e) => {
                apply_post(conn, &e, event.recorded_at, &at, version).await
            }
            AnyCommunitiesEvent::Vote(VoteEvent::Cast(v)) => {
                let ContentRef::Post(post_id) = v.target else {
                    return Ok(());
                };
                let post_id = post_id.to_string();
                let changed =
                    super::record_vote(conn, "communities_post_votes", "post_id", &v, version)
                        .await?;
                if !changed {
                    return Ok(());
                }
                let d = vote_delta(v.value, v.previous);
                sqlx::query(
                    "UPDATE communities_posts SET score = score + $2, ups = ups + $3, \
                     downs = downs + $4, updated_at = $5 WHERE id = $1",
                )
                .bind(post_id.clone())
                .bind(d.score)
                .bind(d.ups)
                .bind(d.downs)
                .bind(at)
                .execute(&mut *conn)
                .await?;
                rerank(conn, &post_id).await
            }
            AnyCommunitiesEvent::Comment(CommentEvent::Created(c)) => {
                let counted = sqlx::query(
                    "INSERT INTO communities_post_comments (comment_id, post_id) VALUES ($1, $2) \
                     ON CONFLICT (comment_id) DO NOTHING",
                )
                .bind(c.comment_id.to_string())
                .bind(c.post_id.to_string())
                .execute(&mut *conn)
                .await?
                .rows_affected();
                if counted > 0 {
                    sqlx::query(
                        "UPDATE communities_posts SET comment_count = comment_count + 1 WHERE id = $1",
                    )
                    .bind(c.post_id.to_string())
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

async fn apply_post(
    conn: &mut AnyConnection,
    event: &PostEvent,
    recorded_at: DateTime<Utc>,
    at: &str,
    version: i64,
) -> Result<(), ProjectionError> {
    macro_rules! flag {
        ($column:literal, $value:expr, $post_id:expr) => {
            sqlx::query(concat!(
                "UPDATE communities_posts SET ",
                $column,
                " = $2, updated_at = $3, version = $4 WHERE id = $1 AND version < $4"
            ))
            .bind($post_id.to_string())
            .bind($value as i64)
            .bind(at.to_owned())
            .bind(version)
        };
    }
    let query = match event {
        PostEvent::Created(c) => {
            let id = c.post_id.to_string();
            // Votes and comments that arrived first (Kafka orders only within a stream).
            let (score, ups, downs) = vote_totals(conn, &id).await?;
            let comments: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM communities_post_comments WHERE post_id = $1",
            )
            .bind(id.clone())
            .fetch_one(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO communities_posts (id, community_id, community_name, author_id, title, \
                 body, url, revision, published_at, updated_at, score, ups, downs, comment_count, \
                 hot_rank, controversy_rank, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(c.community_id.to_string())
            .bind(c.community_name.clone())
            .bind(c.author_id.to_string())
            .bind(c.title.clone())
            .bind(c.body.clone())
            .bind(c.url.clone())
            .bind(at.to_owned())
            .bind(score)
            .bind(ups)
            .bind(downs)
            .bind(comments)
            .bind(hot_rank(score, recorded_at, Utc::now()))
            .bind(controversy_rank(ups, downs))
            .bind(version)
        }
        PostEvent::Edited(e) => sqlx::query(
            "UPDATE communities_posts SET title = $2, body = $3, url = $4, revision = $5, \
             edited_at = $6, updated_at = $6, version = $7 WHERE id = $1 AND version < $7",
        )
        .bind(e.post_id.to_string())
        .bind(e.title.clone())
        .bind(e.body.clone())
        .bind(e.url.clone())
        .bind(i64::from(e.revision))
        .bind(at.to_owned())
        .bind(version),
        PostEvent::Deleted(d) => flag!("deleted", 1, d.post_id),
        PostEvent::Removed(m) => flag!("removed", 1, m.post_id),
        PostEvent::Restored(m) => flag!("removed", 0, m.post_id),
        PostEvent::Locked(m) => flag!("locked", 1, m.post_id),
        PostEvent::Unlocked(m) => flag!("locked", 0, m.post_id),
        PostEvent::Pinned(m) => flag!("pinned", 1, m.post_id),
        PostEvent::Unpinned(m) => flag!("pinned", 0, m.post_id),
    };
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn vote_totals(
    conn: &mut AnyConnection,
    post_id: &str,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) AS score, \
         CAST(COALESCE(SUM(CASE WHEN value = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS ups, \
         CAST(COALESCE(SUM(CASE WHEN value = -1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS downs \
         FROM communities_post_votes WHERE post_id = $1",
    )
    .bind(post_id.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    Ok((
        row.try_get("score")?,
        row.try_get("ups")?,
        row.try_get("downs")?,
    ))
}

/// Recomputes a post's hot and controversy ranks from its counters, now.
async fn rerank(conn: &mut AnyConnection, post_id: &str) -> Result<(), ProjectionError> {
    let Some(row) =
        sqlx::query("SELECT score, ups, downs, published_at FROM communities_posts WHERE id = $1")
            .bind(post_id.to_owned())
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(());
    };
    let score: i64 = row.try_get("score")?;
    let ups: i64 = row.try_get("ups")?;
    let downs: i64 = row.try_get("downs")?;
    let published: String = row.try_get("published_at")?;
    let hot = super::parse_timestamp(&published).map_or(0.0, |p| hot_rank(score, p, Utc::now()));
    sqlx::query("UPDATE communities_posts SET hot_rank = $2, controversy_rank = $3 WHERE id = $1")
        .bind(post_id.to_owned())
        .bind(hot)
        .bind(controversy_rank(ups, downs))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
