//! The event of a `vote-<target_id>_<voter_id>` stream: one voter's vote on one target.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{CommunityId, PostId, UserId};

use super::ContentRef;

/// A voter's vote on a target is now `value` (1, -1, or 0 = none), and was `previous`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteCast {
    pub target: ContentRef,
    /// The post itself, or the post the comment belongs to.
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub voter_id: UserId,
    pub value: i32,
    pub previous: i32,
}

/// The events of a `vote-<target_id>_<voter_id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum VoteEvent {
    #[serde(rename = "agora.communities.vote_cast")]
    Cast(VoteCast),
}
