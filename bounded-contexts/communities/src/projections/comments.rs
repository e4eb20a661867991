//! Comment trees: one row per comment with its materialized path, and pages of a tree that
//! never load the whole of it: a keyset page over one level (the post's top-level comments,
//! or one comment's replies), then the descendants of that page's comments down to
//! `max_depth`, at most [`DESCENDANTS_PER_PAGE`] of them.

mod row;
mod sequence;
mod tree;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use event_schemas::communities::{AnyCommunitiesEvent, CommentEvent, ContentRef, VoteEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, Row as _};

use super::live::{LiveComment, LiveComments};
use super::ranking::{hot_rank, vote_delta};
use super::{is_communities_event, parse_timestamp, timestamp};

pub use row::{Comment, CommentNode, CommentRow, CommentSort};
pub use sequence::{SequencedComment, comments_after, last_sequence};
pub use tree::{TreeQuery, comment_level, comment_trees, find_comment};

/// The projection's name (its checkpoint key).
pub const COMMENTS: &str = "communities.comments";

/// Descendants one page loads at most, whatever the page size and depth: the bound of a
/// page's cost. Deeper or further replies are one `parent_id` page away (`more_replies`).
pub const DESCENDANTS_PER_PAGE: i64 = 500;

/// Deepest `max_depth` accepted (levels below the page's comments).
pub const MAX_DEPTH_LIMIT: u32 = 50;

const SCHEMA: &[&str] = &[
    // `parent_key` is the parent comment's id, or the post's id for a top-level comment: one
    // index per sort then serves both "a post's top-level comments" and "a comment's replies".
    "CREATE TABLE IF NOT EXISTS communities_comments (
        id           TEXT PRIMARY KEY,
        post_id      TEXT NOT NULL,
        community_id TEXT NOT NULL,
        parent_id    TEXT,
        parent_key   TEXT NOT NULL,
        root_id      TEXT NOT NULL,
        path         TEXT NOT NULL,
        depth        BIGINT NOT NULL,
        author_id    TEXT NOT NULL,
        body         TEXT NOT NULL,
        revision     BIGINT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        edited_at    TEXT,
        score        BIGINT NOT NULL DEFAULT 0,
        ups          BIGINT NOT NULL DEFAULT 0,
        downs        BIGINT NOT NULL DEFAULT 0,
        hot_rank     DOUBLE PRECISION NOT NULL DEFAULT 0,
        child_count  BIGINT NOT NULL DEFAULT 0,
        deleted      BIGINT NOT NULL DEFAULT 0,
        removed      BIGINT NOT NULL DEFAULT 0,
        version      BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS communities_comments_top
        ON communities_comments (parent_key, score DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS communities_comments_new
        ON communities_comments (parent_key, created_at DESC, id DESC)",
    "CREATE INDEX IF NOT EXISTS communities_comments_hot
        ON communities_comments (parent_key, hot_rank DESC, id DESC)",
    // A page's descendants: the trees of its roots, level by level.
    "CREATE INDEX IF NOT EXISTS communities_comments_tree
        ON communities_comments (root_id, depth, id)",
    "CREATE INDEX IF NOT EXISTS communities_comments_created ON communities_comments (created_at, id)",
    "CREATE TABLE IF NOT EXISTS communities_comment_votes (
        comment_id TEXT NOT NULL,
        voter_id   TEXT NOT NULL,
        value      BIGINT NOT NULL,
        version    BIGINT NOT NULL,
        PRIMARY KEY (comment_id, voter_id)
    )",
    sequence::SCHEMA,
];

/// The columns of a [`CommentRow`], in its order.
const COMMENT_COLUMNS: &str = "id, post_id, community_id, parent_id, root_id, path, depth, \
     author_id, body, revision, created_at, updated_at, edited_at, score, ups, downs, hot_rank, \
     child_count, deleted, removed";

/// The comments read model; numbers each post's comments in the order it creates them
/// (see `sequence`) and tells [`LiveComments`] of each.
#[derive(Debug, Default)]
pub struct CommentsProjection {
    live: LiveComments,
}

impl CommentsProjection {
    #[must_use]
    pub fn new(live: LiveComments) -> Self {
        Self { live }
    }
}

#[async_trait]
impl Projection for CommentsProjection {
    fn name(&self) -> &'static str {
        COMMENTS
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "communities_comments",
            "communities_comment_votes",
            "communities_comment_sequence",
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
            AnyCommunitiesEvent::Comment(e) => {
                self.apply_comment(conn, e, event.recorded_at, &at, version)
                    .await
            }
            AnyCommunitiesEvent::Vote(VoteEvent::Cast(v)) => {
                let ContentRef::Comment(comment_id) = v.target else {
                    return Ok(());
                };
                let id = comment_id.to_string();
                let changed = super::record_vote(
                    conn,
                    "communities_comment_votes",
                    "comment_id",
                    &v,
                    version,
                )
                .await?;
                if !changed {
                    return Ok(());
                }
                let d = vote_delta(v.value, v.previous);
                sqlx::query(
                    "UPDATE communities_comments SET score = score + $2, ups = ups + $3, \
                     downs = downs + $4 WHERE id = $1",
                )
                .bind(id.clone())
                .bind(d.score)
                .bind(d.ups)
                .bind(d.downs)
                .execute(&mut *conn)
                .await?;
                rerank(conn, &id).await
            }
            _ => Ok(()),
        }
    }
}

impl CommentsProjection {
    async fn apply_comment(
        &self,
        conn: &mut AnyConnection,
        event: CommentEvent,
        recorded_at: DateTime<Utc>,
        at: &str,
        version: i64,
    ) -> Result<(), ProjectionError> {
        macro_rules! flag {
            ($column:literal, $value:expr, $id:expr) => {
                sqlx::query(concat!(
                    "UPDATE communities_comments SET ",
                    $column,
                    " = $2, updated_at = $3, version = $4 WHERE id = $1 AND version < $4"
                ))
                .bind($id.to_string())
                .bind($value as i64)
                .bind(at.to_owned())
                .bind(version)
            };
        }
        let query = match event {
            CommentEvent::Created(c) => {
                return self.create(conn, c, recorded_at, at, version).await;
            }
            CommentEvent::Edited(e) => sqlx::query(
                "UPDATE communities_comments SET body = $2, revision = $3, edited_at = $4, \
                 updated_at = $4, version = $5 WHERE id = $1 AND version < $5",
            )
            .bind(e.comment_id.to_string())
            .bind(e.body)
            .bind(i64::from(e.revision))
            .bind(at.to_owned())
            .bind(version),
            CommentEvent::Deleted(d) => flag!("deleted", 1, d.comment_id),
            CommentEvent::Removed(m) => flag!("removed", 1, m.comment_id),
            CommentEvent::Restored(m) => flag!("removed", 0, m.comment_id),
        };
        query.execute(&mut *conn).await?;
        Ok(())
    }

    async fn create(
        &self,
        conn: &mut AnyConnection,
        c: event_schemas::communities::CommentCreated,
        recorded_at: DateTime<Utc>,
        at: &str,
        version: i64,
    ) -> Result<(), ProjectionError> {
        let id = c.comment_id.to_string();
        // Votes and replies that arrived first (Kafka orders only within a stream).
        let totals = sqlx::query(
            "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) AS score, \
             CAST(COALESCE(SUM(CASE WHEN value = 1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS ups, \
             CAST(COALESCE(SUM(CASE WHEN value = -1 THEN 1 ELSE 0 END), 0) AS BIGINT) AS downs \
             FROM communities_comment_votes WHERE comment_id = $1",
        )
        .bind(id.clone())
        .fetch_one(&mut *conn)
        .await?;
        let score: i64 = totals.try_get("score")?;
        let ups: i64 = totals.try_get("ups")?;
        let downs: i64 = totals.try_get("downs")?;
        let replies: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM communities_comments WHERE parent_key = $1")
                .bind(id.clone())
                .fetch_one(&mut *conn)
                .await?;
        let root_id = c.path.split('.').next().unwrap_or(&id).to_owned();
        let parent_id = c.parent_id.map(|p| p.to_string());
        let row = CommentRow {
            id: id.clone(),
            post_id: c.post_id.to_string(),
            community_id: c.community_id.to_string(),
            parent_id: parent_id.clone(),
            root_id,
            path: c.path,
            depth: i64::from(c.depth),
            author_id: c.author_id.to_string(),
            body: c.body,
            revision: 1,
            created_at: at.to_owned(),
            updated_at: at.to_owned(),
            edited_at: None,
            score,
            ups,
            downs,
            hot_rank: hot_rank(score, recorded_at, Utc::now()),
            child_count: replies,
            deleted: 0,
            removed: 0,
        };
        let inserted = sqlx::query(
            "INSERT INTO communities_comments (id, post_id, community_id, parent_id, parent_key, \
             root_id, path, depth, author_id, body, revision, created_at, updated_at, score, ups, \
             downs, hot_rank, child_count, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(row.id.clone())
        .bind(row.post_id.clone())
        .bind(row.community_id.clone())
        .bind(row.parent_id.clone())
        .bind(parent_id.clone().unwrap_or_else(|| row.post_id.clone()))
        .bind(row.root_id.clone())
        .bind(row.path.clone())
        .bind(row.depth)
        .bind(row.author_id.clone())
        .bind(row.body.clone())
        .bind(at.to_owned())
        .bind(score)
        .bind(ups)
        .bind(downs)
        .bind(row.hot_rank)
        .bind(replies)
        .bind(version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            return Ok(());
        }
        if let Some(parent) = parent_id {
            sqlx::query(
                "UPDATE communities_comments SET child_count = child_count + 1 WHERE id = $1",
            )
            .bind(parent)
            .execute(&mut *conn)
            .await?;
        }
        let seq = sequence::number(conn, &row.post_id, &row.id).await?;
        self.live.publish(LiveComment {
            seq,
            comment: row.view(),
        });
        Ok(())
    }
}

/// Recomputes a comment's hot rank from its score, now.
async fn rerank(conn: &mut AnyConnection, id: &str) -> Result<(), ProjectionError> {
    let Some(row) = sqlx::query("SELECT score, created_at FROM communities_comments WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(());
    };
    let score: i64 = row.try_get("score")?;
    let created: String = row.try_get("created_at")?;
    let hot = parse_timestamp(&created).map_or(0.0, |p| hot_rank(score, p, Utc::now()));
    sqlx::query("UPDATE communities_comments SET hot_rank = $2 WHERE id = $1")
        .bind(id.to_owned())
        .bind(hot)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
