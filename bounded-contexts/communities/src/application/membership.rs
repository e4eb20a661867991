//! Commands on a member's stream in a community: join, leave, ban, unban.

use super::commands::MembershipRequest;
use super::handler::{CommunitiesHandler, Outcome, Sent, membership_stream};
use super::replies::{BanReply, MembershipReply};
use crate::domain::{Membership, MembershipCommand};

impl CommunitiesHandler {
    pub(super) async fn membership_command(
        &self,
        request: MembershipRequest,
        sent: Sent<'_>,
    ) -> Outcome {
        let actor = sent.actor;
        match request {
            MembershipRequest::JoinCommunity { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let user = user_id.unwrap_or(actor);
                let join = MembershipCommand::Join {
                    community: c.id,
                    visibility: c.visibility,
                    user,
                    actor,
                    actor_is_moderator: c.is_moderator(actor),
                };
                let done = self
                    .write::<Membership>(membership_stream(c.id, user), join, sent)
                    .await?;
                Ok(done.with(MembershipReply {
                    community: c.name,
                    user_id: user,
                    member: true,
                }))
            }
            MembershipRequest::LeaveCommunity { community } => {
                let c = self.community_by_name(&community).await?;
                let leave = MembershipCommand::Leave {
                    community: c.id,
                    user: actor,
                };
                let done = self
                    .write::<Membership>(membership_stream(c.id, actor), leave, sent)
                    .await?;
                Ok(done.with(MembershipReply {
                    community: c.name,
                    user_id: actor,
                    member: false,
                }))
            }
            MembershipRequest::BanUser {
                community,
                user_id,
                reason,
                expires_at,
            } => {
                let c = self.community_by_name(&community).await?;
                let ban = MembershipCommand::Ban {
                    community: c.id,
                    user: user_id,
                    moderator: actor,
                    actor_is_moderator: c.is_moderator(actor),
                    target_is_moderator: c.is_moderator(user_id),
                    reason,
                    expires_at,
                };
                let done = self
                    .write::<Membership>(membership_stream(c.id, user_id), ban, sent)
                    .await?;
                Ok(done.with(BanReply {
                    community: c.name,
                    user_id,
                    banned: true,
                    expires_at,
                }))
            }
            MembershipRequest::UnbanUser {
                community,
                user_id,
                reason,
            } => {
                let c = self.community_by_name(&community).await?;
                let unban = MembershipCommand::Unban {
                    community: c.id,
                    user: user_id,
                    moderator: actor,
                    actor_is_moderator: c.is_moderator(actor),
                    reason,
                };
                let done = self
                    .write::<Membership>(membership_stream(c.id, user_id), unban, sent)
                    .await?;
                Ok(done.with(BanReply {
                    community: c.name,
                    user_id,
                    banned: false,
                    expires_at: None,
                }))
            }
        }
    }
}
