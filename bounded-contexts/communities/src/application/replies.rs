//! What the communities commands answer (the bus carries them as JSON; the routes read them
//! back typed, and the API document describes these very types).

use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommentId, CommunityId, PostId, ReportId, UserId};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{CommentModeration, PostModeration};

/// A community created or whose settings changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommunityReply {
    pub id: CommunityId,
    #[schema(example = "rustlang")]
    pub name: String,
}

/// A membership after a join or a leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MembershipReply {
    /// The community's name.
    pub community: String,
    pub user_id: UserId,
    pub member: bool,
}

/// A moderator appointed or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ModeratorReply {
    /// The community's name.
    pub community: String,
    pub user_id: UserId,
    pub moderator: bool,
}

/// A user banned or unbanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BanReply {
    /// The community's name.
    pub community: String,
    pub user_id: UserId,
    pub banned: bool,
    /// When the ban ends; null for a ban until unbanned, and in the reply to an unban.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

/// A post created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PostCreatedReply {
    pub id: PostId,
    /// The community's name.
    pub community: String,
}

/// A post or comment edited, or a report filed: its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IdReply {
    pub id: Uuid,
}

/// A post or comment deleted by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeletedReply {
    pub id: Uuid,
    pub deleted: bool,
}

/// What a moderator did to a post (any of these) or a comment (`remove`, `restore`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    Remove,
    Restore,
    Lock,
    Unlock,
    Pin,
    Unpin,
}

impl From<PostModeration> for ModerationAction {
    fn from(action: PostModeration) -> Self {
        match action {
            PostModeration::Remove => Self::Remove,
            PostModeration::Restore => Self::Restore,
            PostModeration::Lock => Self::Lock,
            PostModeration::Unlock => Self::Unlock,
            PostModeration::Pin => Self::Pin,
            PostModeration::Unpin => Self::Unpin,
        }
    }
}

impl From<CommentModeration> for ModerationAction {
    fn from(action: CommentModeration) -> Self {
        match action {
            CommentModeration::Remove => Self::Remove,
            CommentModeration::Restore => Self::Restore,
        }
    }
}

/// A moderator's action on a post or comment (done, or already so).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ModerationReply {
    /// The post or comment.
    pub id: Uuid,
    pub action: ModerationAction,
}

/// A vote recorded (a repeated vote changes nothing and answers the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct VoteReply {
    /// The post or comment voted on.
    pub id: Uuid,
    /// 1, -1, or 0 (the vote withdrawn).
    pub value: i32,
}

/// A comment created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CommentCreatedReply {
    pub id: CommentId,
    pub post_id: PostId,
    /// The comment it replies to; null for a top-level comment.
    pub parent_id: Option<CommentId>,
    /// 0 for a top-level comment.
    pub depth: u32,
}

/// A report resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportResolvedReply {
    pub id: ReportId,
    pub resolved: bool,
}
