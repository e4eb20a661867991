//! The events of a `membership-<community_id>_<user_id>` stream: joins, leaves, bans.

use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommunityId, UserId};

/// A user joined a community (or a moderator admitted them to a restricted one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberJoined {
    pub community_id: CommunityId,
    pub user_id: UserId,
    /// The moderator who admitted the user (how one joins a restricted community); `None`
    /// when the user joined by themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<UserId>,
}

/// A member left a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberLeft {
    pub community_id: CommunityId,
    pub user_id: UserId,
}

/// `user_id` may not post, comment or vote in the community until `expires_at` (forever when
/// `None`). A ban does not end a membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBanned {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub moderator_id: UserId,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A moderator lifted a user's ban from the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUnbanned {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub moderator_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The events of a `membership-<community_id>_<user_id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum MembershipEvent {
    #[serde(rename = "agora.communities.member_joined")]
    Joined(MemberJoined),
    #[serde(rename = "agora.communities.member_left")]
    Left(MemberLeft),
    #[serde(rename = "agora.communities.user_banned")]
    Banned(UserBanned),
    #[serde(rename = "agora.communities.user_unbanned")]
    Unbanned(UserUnbanned),
}
