//! The events of a `community-<id>` stream: creation, settings, moderators.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{CommunityId, UserId};

use super::Visibility;

/// A community was created; its owner is its first moderator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunityCreated {
    pub community_id: CommunityId,
    /// Lower-case, `[a-z0-9_]`, 3..=21 characters; never changes.
    pub name: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub rules: Vec<String>,
    pub visibility: Visibility,
    /// The creator; also the first moderator (a `moderator_appointed` follows).
    pub owner_id: UserId,
}

/// The new complete settings (not a diff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunitySettingsChanged {
    pub community_id: CommunityId,
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    pub changed_by: UserId,
}

/// A user was made a moderator of the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeratorAppointed {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub appointed_by: UserId,
}

/// A moderator was removed from the community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeratorRemoved {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub removed_by: UserId,
}

/// The events of a `community-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum CommunityEvent {
    #[serde(rename = "agora.communities.community_created")]
    Created(CommunityCreated),
    #[serde(rename = "agora.communities.community_settings_changed")]
    SettingsChanged(CommunitySettingsChanged),
    #[serde(rename = "agora.communities.moderator_appointed")]
    ModeratorAppointed(ModeratorAppointed),
    #[serde(rename = "agora.communities.moderator_removed")]
    ModeratorRemoved(ModeratorRemoved),
}
