//! Comment trees: one row per comment with its materialized path, and pages of a tree that
//! never load the whole of it: a keyset page over one level (the post's top-level comments,
//! or one comment's replies), then the descendants of that page's comments down to
//! `max_depth`, at most [`DESCENDANTS_PER_PAGE`] of them.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use event_schemas::communities::{AnyCommunitiesEvent, CommentEvent, ContentRef, VoteEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool, Row as _};

use super::cursor::{KeyKind, PageCursor, SortKey, spec};
use super::live::{LiveComment, LiveComments};
use super::ranking::{hot_rank, vote_delta};
use super::{FeedError, Page, is_communities_event, parse_timestamp, timestamp};

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
];

const COMMENT_COLUMNS: &str = "id, post_id, community_id, parent_id, root_id, path, depth, \
     author_id, body, revision, created_at, updated_at, edited_at, score, ups, downs, hot_rank, \
     child_count, deleted, removed";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommentRow {
    pub id: String,
    pub post_id: String,
    pub community_id: String,
    pub parent_id: Option<String>,
    pub root_id: String,
    pub path: String,
    pub depth: i64,
    pub author_id: String,
    pub body: String,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
    pub edited_at: Option<String>,
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub hot_rank: f64,
    pub child_count: i64,
    pub deleted: i64,
    pub removed: i64,
}

impl CommentRow {
    /// The comment as the API shows it, without replies. Deleted and removed comments keep
    /// their place (their replies hang under them) but not their body.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let hidden = self.deleted != 0 || self.removed != 0;
        serde_json::json!({
            "id": self.id,
            "post_id": self.post_id,
            "community_id": self.community_id,
            "parent_id": self.parent_id,
            "path": self.path,
            "depth": self.depth,
            "author_id": self.author_id,
            "body": if hidden { None } else { Some(&self.body) },
            "deleted": self.deleted != 0,
            "removed": self.removed != 0,
            "revision": self.revision,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "edited_at": self.edited_at,
            "score": self.score,
            "ups": self.ups,
            "downs": self.downs,
            "hot_rank": self.hot_rank,
            "child_count": self.child_count,
        })
    }
}

/// A comment with the replies the page loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentNode {
    pub comment: CommentRow,
    pub replies: Vec<CommentNode>,
}

impl CommentNode {
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        let mut json = self.comment.to_json();
        let loaded = self.replies.len();
        json["replies"] = self.replies.iter().map(Self::to_json).collect();
        // Replies exist that this page did not load (below max_depth, or past the page's cap).
        json["more_replies"] = serde_json::Value::Bool(
            i64::try_from(loaded).unwrap_or(i64::MAX) < self.comment.child_count,
        );
        json
    }
}

/// The orders of a comment tree's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentSort {
    Top,
    New,
    Hot,
}

impl CommentSort {
    #[must_use]
    pub fn parse(text: Option<&str>) -> Option<Self> {
        Some(match text.unwrap_or("top") {
            "top" => Self::Top,
            "new" => Self::New,
            "hot" => Self::Hot,
            _ => return None,
        })
    }

    const fn tag(self) -> &'static str {
        match self {
            Self::Top => "comments:top",
            Self::New => "comments:new",
            Self::Hot => "comments:hot",
        }
    }

    const fn column(self) -> &'static str {
        match self {
            Self::Top => "score",
            Self::New => "created_at",
            Self::Hot => "hot_rank",
        }
    }

    /// The key a cursor of this sort carries: integer scores, creation times, finite ranks.
    const fn key_kind(self) -> KeyKind {
        match self {
            Self::Top => KeyKind::INT,
            Self::New => KeyKind::Time,
            Self::Hot => KeyKind::FINITE,
        }
    }

    fn key_of(self, c: &CommentRow) -> SortKey {
        match self {
            Self::Top => SortKey::Int(c.score),
            Self::New => SortKey::Text(c.created_at.clone()),
            Self::Hot => SortKey::Float(c.hot_rank),
        }
    }

    /// Best first, as the SQL orders a level.
    fn order(self, a: &CommentRow, b: &CommentRow) -> std::cmp::Ordering {
        let by_key = match self {
            Self::Top => b.score.cmp(&a.score),
            Self::New => b.created_at.cmp(&a.created_at),
            Self::Hot => b.hot_rank.total_cmp(&a.hot_rank),
        };
        by_key.then_with(|| b.id.cmp(&a.id))
    }
}

/// A page of a comment tree.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentPage {
    pub items: Vec<CommentNode>,
    pub next_cursor: Option<String>,
}

/// What a page of comments is about.
#[derive(Debug, Clone, Copy)]
pub struct TreeQuery<'a> {
    pub post_id: &'a str,
    /// Page over this comment's replies instead of the post's top-level comments.
    pub parent_id: Option<&'a str>,
    pub sort: CommentSort,
    /// Levels of replies below the page's comments (0: the page's comments alone).
    pub max_depth: u32,
    pub cursor: Option<&'a str>,
    pub limit: i64,
}

/// One page of a post's comment tree (see the module documentation).
///
/// # Errors
/// A cursor of another sort or not ours, or the read-model database failed.
pub async fn comment_page(pool: &AnyPool, q: TreeQuery<'_>) -> Result<CommentPage, FeedError> {
    let after = q
        .cursor
        .map(|c| PageCursor::decode(c, spec(q.sort.tag(), q.sort.key_kind())))
        .transpose()
        .map_err(|_| FeedError::InvalidCursor)?;
    let column = q.sort.column();
    let mut sql =
        format!("SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE parent_key = $1");
    if after.is_some() {
        sql.push_str(&format!(" AND ({column}, id) < ($2, $3)"));
    }
    sql.push_str(&format!(
        " ORDER BY {column} DESC, id DESC LIMIT {}",
        q.limit + 1
    ));
    let parent_key = q.parent_id.unwrap_or(q.post_id).to_owned();
    let mut query = sqlx::query_as::<_, CommentRow>(&sql).bind(parent_key);
    if let Some(after) = after {
        query = match after.key {
            SortKey::Int(v) => query.bind(v),
            SortKey::Float(v) => query.bind(v),
            SortKey::Text(v) => query.bind(v),
        }
        .bind(after.id);
    }
    let rows = query.fetch_all(pool).await?;
    let sort = q.sort;
    let page = Page::from_rows(rows, q.limit, |c| {
        PageCursor::new(sort.tag(), sort.key_of(c), c.id.clone())
    });
    let descendants = descendants_of(pool, &page.items, q.max_depth.min(MAX_DEPTH_LIMIT)).await?;
    let mut children: HashMap<String, Vec<CommentRow>> = HashMap::new();
    for d in descendants {
        if let Some(parent) = d.parent_id.clone() {
            children.entry(parent).or_default().push(d);
        }
    }
    let items = page
        .items
        .into_iter()
        .map(|c| build(c, &mut children, sort))
        .collect();
    Ok(CommentPage {
        items,
        next_cursor: page.next_cursor,
    })
}

/// The descendants of `page` (siblings) down to `max_depth` levels below them, shallowest
/// first, at most [`DESCENDANTS_PER_PAGE`] in all: parents always come before their children,
/// so a cut leaves no orphan (the cut shows as `more_replies`).
///
/// A top-level page reads each thread that has replies with its own query on the
/// `(root_id, depth, id)` index, in index order with a limit (its share of the cap): every read
/// is a bounded range scan, however large the tree. Below the top level the page's comments
/// share one thread, read once and kept to their subtrees by path prefix.
async fn descendants_of(
    pool: &AnyPool,
    page: &[CommentRow],
    max_depth: u32,
) -> Result<Vec<CommentRow>, sqlx::Error> {
    let Some(first) = page.first() else {
        return Ok(Vec::new());
    };
    let with_replies: Vec<&CommentRow> = page.iter().filter(|c| c.child_count > 0).collect();
    if max_depth == 0 || with_replies.is_empty() {
        return Ok(Vec::new());
    }
    let depth = first.depth;
    let deepest = depth + i64::from(max_depth);
    let thread_sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE root_id = $1 \
         AND depth > $2 AND depth <= $3"
    );
    if depth == 0 {
        let count = i64::try_from(with_replies.len()).unwrap_or(i64::MAX);
        let share = (DESCENDANTS_PER_PAGE / count).max(10);
        let mut remaining = DESCENDANTS_PER_PAGE;
        let mut all = Vec::new();
        let sql = format!("{thread_sql} ORDER BY depth, id LIMIT $4");
        for root in with_replies {
            if remaining <= 0 {
                break;
            }
            let rows = sqlx::query_as::<_, CommentRow>(&sql)
                .bind(root.id.clone())
                .bind(depth)
                .bind(deepest)
                .bind(share.min(remaining))
                .fetch_all(pool)
                .await?;
            remaining -= i64::try_from(rows.len()).unwrap_or(i64::MAX);
            all.extend(rows);
        }
        return Ok(all);
    }
    // Paths of siblings have one length (ids are fixed-length): keep the page's subtrees by
    // prefix; should they differ, assembling the tree by parent drops strays anyway.
    let prefix_len = first.path.len();
    let by_prefix = page.iter().all(|c| c.path.len() == prefix_len);
    let mut sql = thread_sql;
    if by_prefix {
        sql.push_str(&format!(
            " AND substr(path, 1, {prefix_len}) IN ({})",
            placeholders(4, page.len())
        ));
    }
    sql.push_str(&format!(" ORDER BY depth, id LIMIT {DESCENDANTS_PER_PAGE}"));
    let mut query = sqlx::query_as::<_, CommentRow>(&sql)
        .bind(first.root_id.clone())
        .bind(depth)
        .bind(deepest);
    if by_prefix {
        for c in page {
            query = query.bind(c.path.clone());
        }
    }
    query.fetch_all(pool).await
}

fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn build(
    comment: CommentRow,
    children: &mut HashMap<String, Vec<CommentRow>>,
    sort: CommentSort,
) -> CommentNode {
    let mut replies = children.remove(&comment.id).unwrap_or_default();
    replies.sort_by(|a, b| sort.order(a, b));
    let replies = replies
        .into_iter()
        .map(|r| build(r, children, sort))
        .collect();
    CommentNode { comment, replies }
}

/// One comment, whatever its state.
///
/// # Errors
/// The read-model database failed.
pub async fn find_comment(pool: &AnyPool, id: &str) -> Result<Option<CommentRow>, sqlx::Error> {
    sqlx::query_as::<_, CommentRow>(&format!(
        "SELECT {COMMENT_COLUMNS} FROM communities_comments WHERE id = $1"
    ))
    .bind(id.to_owned())
    .fetch_optional(pool)
    .await
}

/// The comments read model; tells [`LiveComments`] of every comment it creates.
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
        &["communities_comments", "communities_comment_votes"]
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
        let mut json = row.to_json();
        json["replies"] = serde_json::json!([]);
        json["more_replies"] = serde_json::Value::Bool(false);
        self.live.publish(LiveComment {
            post_id: row.post_id,
            comment_id: row.id,
            json,
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
