//! A post as the feed and `GET /posts/{id}` read it, and as the API shows it.

use serde::Serialize;
use utoipa::ToSchema;

/// A post as the feed and `GET /posts/{id}` read it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostRow {
    pub id: String,
    pub community_id: String,
    pub community_name: String,
    pub author_id: String,
    pub title: String,
    pub body: Option<String>,
    pub url: Option<String>,
    pub revision: i64,
    pub published_at: String,
    pub updated_at: String,
    pub edited_at: Option<String>,
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub comment_count: i64,
    pub hot_rank: f64,
    pub controversy_rank: f64,
    pub removed: i64,
    pub deleted: i64,
    pub locked: i64,
    pub pinned: i64,
}

/// A post with its score and comment count. A deleted post, and a removed one for anyone
/// but its author, the community's moderators and admins, keeps its place and counters but
/// not its content (`title`, `body` and `url` are null).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Post {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    pub community_name: String,
    #[schema(format = Uuid)]
    pub author_id: String,
    pub title: Option<String>,
    /// A text post's body (a link post has none).
    pub body: Option<String>,
    /// A link post's URL (a text post has none).
    pub url: Option<String>,
    /// 1 when created, one more per edit.
    pub revision: i64,
    #[schema(format = DateTime)]
    pub published_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    /// Upvotes minus downvotes.
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub comment_count: i64,
    pub hot_rank: f64,
    pub controversy_rank: f64,
    pub removed: bool,
    pub deleted: bool,
    pub locked: bool,
    pub pinned: bool,
}

impl PostRow {
    /// The post as the API shows it; `sees_removed`: the viewer is the author or moderates
    /// the community, who still see the content of a post a moderator removed (to appeal it,
    /// or to restore it). Nobody sees a deleted post's content, as nobody sees a deleted
    /// comment's.
    #[must_use]
    pub fn view(self, sees_removed: bool) -> Post {
        let deleted = self.deleted != 0;
        let hidden = deleted || (self.removed != 0 && !sees_removed);
        let shown = |text: Option<String>| if hidden { None } else { text };
        Post {
            id: self.id,
            community_id: self.community_id,
            community_name: self.community_name,
            author_id: self.author_id,
            title: shown(Some(self.title)),
            body: shown(self.body),
            url: shown(self.url),
            revision: self.revision,
            published_at: self.published_at,
            updated_at: self.updated_at,
            edited_at: self.edited_at,
            score: self.score,
            ups: self.ups,
            downs: self.downs,
            comment_count: self.comment_count,
            hot_rank: self.hot_rank,
            controversy_rank: self.controversy_rank,
            removed: self.removed != 0,
            deleted,
            locked: self.locked != 0,
            pinned: self.pinned != 0,
        }
    }
}
