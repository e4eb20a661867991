//! The events of a `post-<id>` stream: the post, its revisions and its moderation.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{CommunityId, PostId, UserId};

/// A text post has a `body`, a link post a `url`; never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostCreated {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub community_name: String,
    pub author_id: UserId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The complete new content of a post (revision 2, 3, ...), edited by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostEdited {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub revision: u32,
}

/// The author deleted the post (final).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostDeleted {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
}

/// A moderator action on a post (remove, restore, lock, unlock, pin, unpin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PostModerated {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    /// Required for remove and restore; optional for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The events of a `post-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum PostEvent {
    #[serde(rename = "agora.communities.post_created")]
    Created(PostCreated),
    #[serde(rename = "agora.communities.post_edited")]
    Edited(PostEdited),
    #[serde(rename = "agora.communities.post_deleted")]
    Deleted(PostDeleted),
    #[serde(rename = "agora.communities.post_removed")]
    Removed(PostModerated),
    #[serde(rename = "agora.communities.post_restored")]
    Restored(PostModerated),
    #[serde(rename = "agora.communities.post_locked")]
    Locked(PostModerated),
    #[serde(rename = "agora.communities.post_unlocked")]
    Unlocked(PostModerated),
    #[serde(rename = "agora.communities.post_pinned")]
    Pinned(PostModerated),
    #[serde(rename = "agora.communities.post_unpinned")]
    Unpinned(PostModerated),
}
