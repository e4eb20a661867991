//! The events of a `report-<id>` stream: a report and its resolution.

use serde::{Deserialize, Serialize};
use shared_kernel::ids::{CommunityId, PostId, ReportId, UserId};

use super::ContentRef;

/// A user reported a post or a comment to the community's moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportFiled {
    pub report_id: ReportId,
    pub community_id: CommunityId,
    pub target: ContentRef,
    /// The post itself, or the post the comment belongs to.
    pub post_id: PostId,
    pub reporter_id: UserId,
    pub reason: String,
}

/// A moderator resolved a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportResolved {
    pub report_id: ReportId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    pub resolution: String,
}

/// The events of a `report-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum ReportEvent {
    #[serde(rename = "agora.communities.report_filed")]
    Filed(ReportFiled),
    #[serde(rename = "agora.communities.report_resolved")]
    Resolved(ReportResolved),
}
