//! A post as the feed and `GET /posts/{id}` read it, and its JSON.

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

impl PostRow {
    /// The post as the API shows it to anyone. A deleted or removed post keeps its place and
    /// counters, not its content (title, body, url are null), as a comment does.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        self.to_json_for(false)
    }

    /// The post as the API shows it; `sees_removed`: the viewer is the author or moderates
    /// the community, who still see the content of a post a moderator removed (to appeal it,
    /// or to restore it). Nobody sees a deleted post's content.
    #[must_use]
    pub fn to_json_for(&self, sees_removed: bool) -> serde_json::Value {
        let deleted = self.deleted != 0;
        let hidden = deleted || (self.removed != 0 && !sees_removed);
        serde_json::json!({
            "id": self.id,
            "community_id": self.community_id,
            "community_name": self.community_name,
            "author_id": self.author_id,
            "title": if hidden { None } else { Some(&self.title) },
            "body": if hidden { None } else { self.body.as_ref() },
            "url": if hidden { None } else { self.url.as_ref() },
            "revision": self.revision,
            "published_at": self.published_at,
            "updated_at": self.updated_at,
            "edited_at": self.edited_at,
            "score": self.score,
            "ups": self.ups,
            "downs": self.downs,
            "comment_count": self.comment_count,
            "hot_rank": self.hot_rank,
            "controversy_rank": self.controversy_rank,
            "removed": self.removed != 0,
            "deleted": deleted,
            "locked": self.locked != 0,
            "pinned": self.pinned != 0,
        })
    }
}
