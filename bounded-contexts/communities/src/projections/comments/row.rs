//! A comment as the API reads it, a comment with the replies a page loaded, and the orders
//! of a tree's levels.

use crate::projections::cursor::{KeyKind, SortKey};

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

    pub(super) const fn tag(self) -> &'static str {
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
    pub(super) const fn key_kind(self) -> KeyKind {
        match self {
            Self::Top => KeyKind::INT,
            Self::New => KeyKind::Time,
            Self::Hot => KeyKind::FINITE,
        }
    }

    pub(super) fn key_of(self, c: &CommentRow) -> SortKey {
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
