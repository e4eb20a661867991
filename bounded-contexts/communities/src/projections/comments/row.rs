//! A comment as the API reads it, a comment with the replies a page loaded, and the orders
//! of a tree's levels.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::projections::cursor::{CursorSpec, KeyKind, PageCursor, SortKey, spec};

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

/// A comment with the replies the page loaded. A deleted or removed comment keeps its place
/// (its replies hang under it) but not its body (null).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Comment {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub post_id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    /// The comment this one replies to; null for a top-level comment.
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    /// The ids from the top-level comment down to this one, dot-separated.
    pub path: String,
    /// 0 for a top-level comment.
    pub depth: i64,
    #[schema(format = Uuid)]
    pub author_id: String,
    pub body: Option<String>,
    pub deleted: bool,
    pub removed: bool,
    pub revision: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub hot_rank: f64,
    /// Its direct replies, loaded or not.
    pub child_count: i64,
    /// The replies the page loaded (down to `max_depth`); always empty in the live stream.
    #[schema(no_recursion)]
    pub replies: Vec<Comment>,
    /// It has replies the page did not load (below `max_depth`, or past the page's cap):
    /// fetch them with `parent_id`.
    pub more_replies: bool,
}

impl CommentRow {
    /// The comment as the API shows it, without replies (as the live stream sends it).
    #[must_use]
    pub fn view(self) -> Comment {
        CommentNode {
            comment: self,
            replies: Vec::new(),
        }
        .view()
    }
}

/// A comment with the replies the page loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentNode {
    pub comment: CommentRow,
    pub replies: Vec<CommentNode>,
}

impl CommentNode {
    /// The comment and its loaded replies as the API shows them. Deleted and removed comments
    /// keep their place (their replies hang under them) but not their body.
    #[must_use]
    pub fn view(self) -> Comment {
        let c = self.comment;
        let hidden = c.deleted != 0 || c.removed != 0;
        // Replies exist that this page did not load (below max_depth, or past the page's cap).
        let more_replies = i64::try_from(self.replies.len()).unwrap_or(i64::MAX) < c.child_count;
        Comment {
            id: c.id,
            post_id: c.post_id,
            community_id: c.community_id,
            parent_id: c.parent_id,
            path: c.path,
            depth: c.depth,
            author_id: c.author_id,
            body: if hidden { None } else { Some(c.body) },
            deleted: c.deleted != 0,
            removed: c.removed != 0,
            revision: c.revision,
            created_at: c.created_at,
            updated_at: c.updated_at,
            edited_at: c.edited_at,
            score: c.score,
            ups: c.ups,
            downs: c.downs,
            hot_rank: c.hot_rank,
            child_count: c.child_count,
            replies: self.replies.into_iter().map(Self::view).collect(),
            more_replies,
        }
    }
}

/// The orders of a comment tree's levels (`?sort=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommentSort {
    /// Highest score first.
    #[default]
    Top,
    New,
    Hot,
}

impl CommentSort {
    /// The cursors a page of this order accepts.
    #[must_use]
    pub const fn spec(self) -> CursorSpec<'static> {
        spec(self.tag(), self.key_kind())
    }

    /// Where a page of this order that ends with `c` continues.
    #[must_use]
    pub fn cursor_of(self, c: &CommentRow) -> PageCursor {
        PageCursor::new(self.tag(), self.key_of(c), c.id.clone())
    }

    const fn tag(self) -> &'static str {
        match self {
            Self::Top => "comments:top",
            Self::New => "comments:new",
            Self::Hot => "comments:hot",
        }
    }

    pub(super) const fn column(self) -> &'static str {
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
    pub(super) fn order(self, a: &CommentRow, b: &CommentRow) -> std::cmp::Ordering {
        let by_key = match self {
            Self::Top => b.score.cmp(&a.score),
            Self::New => b.created_at.cmp(&a.created_at),
            Self::Hot => b.hot_rank.total_cmp(&a.hot_rank),
        };
        by_key.then_with(|| b.id.cmp(&a.id))
    }
}
