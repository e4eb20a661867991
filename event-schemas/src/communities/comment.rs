//! The events of a `comment-<id>` stream: the comment, its revisions and its moderation.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{CommentId, CommunityId, PostId, UserId};

/// A comment was posted on a post: top-level, or a reply to another comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentCreated {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    /// `None` for a top-level comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CommentId>,
    pub author_id: UserId,
    pub body: String,
    /// Materialized path: the parent's path + `.` + own id (own id alone at top level).
    pub path: String,
    /// 0 for a top-level comment, the parent's depth + 1 otherwise.
    pub depth: u32,
}

/// The author replaced a comment's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentEdited {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
    pub body: String,
    /// 2, 3, ... (`comment_created` is revision 1).
    pub revision: u32,
}

/// The author deleted the comment: its body shows as deleted, its replies stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentDeleted {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
}

/// A moderator removed or restored a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentModerated {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    pub reason: String,
}

/// The events of a `comment-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CommentEvent {
    #[serde(rename = "agora.communities.comment_created")]
    Created(CommentCreated),
    #[serde(rename = "agora.communities.comment_edited")]
    Edited(CommentEdited),
    #[serde(rename = "agora.communities.comment_deleted")]
    Deleted(CommentDeleted),
    #[serde(rename = "agora.communities.comment_removed")]
    Removed(CommentModerated),
    #[serde(rename = "agora.communities.comment_restored")]
    Restored(CommentModerated),
}
