//! Commands on a community's own stream: creation (with its creator's membership), settings,
//! moderators.

use shared_kernel::application::follow_up;
use shared_kernel::{Aggregate, StreamId};

use super::commands::{CommunityRequest, CreateCommunity};
use super::handler::{CommunitiesHandler, Outcome, Sent, membership_stream};
use super::replies::{CommunityReply, ModeratorReply};
use crate::domain::{
    Community, CommunityCommand, Membership, MembershipCommand, NewCommunity, community_id_for,
    normalize_name, validate_name,
};

impl CommunitiesHandler {
    pub(super) async fn community_command(
        &self,
        request: CommunityRequest,
        sent: Sent<'_>,
    ) -> Outcome {
        let actor = sent.actor;
        match request {
            CommunityRequest::CreateCommunity(create) => self.create_community(create, sent).await,
            CommunityRequest::ChangeCommunitySettings {
                community,
                title,
                description,
                rules,
                visibility,
            } => {
                let c = self.community_by_name(&community).await?;
                let change = CommunityCommand::ChangeSettings {
                    actor,
                    title,
                    description,
                    rules,
                    visibility,
                };
                let done = self
                    .write::<Community>(StreamId::of(Community::KIND, c.id), change, sent)
                    .await?;
                Ok(done.with(CommunityReply {
                    id: c.id,
                    name: c.name,
                }))
            }
            CommunityRequest::AppointModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let appoint = CommunityCommand::AppointModerator {
                    actor,
                    user: user_id,
                };
                let done = self
                    .write::<Community>(StreamId::of(Community::KIND, c.id), appoint, sent)
                    .await?;
                Ok(done.with(ModeratorReply {
                    community: c.name,
                    user_id,
                    moderator: true,
                }))
            }
            CommunityRequest::RemoveModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let remove = CommunityCommand::RemoveModerator {
                    actor,
                    user: user_id,
                };
                let done = self
                    .write::<Community>(StreamId::of(Community::KIND, c.id), remove, sent)
                    .await?;
                Ok(done.with(ModeratorReply {
                    community: c.name,
                    user_id,
                    moderator: false,
                }))
            }
        }
    }

    /// The community, and its creator as its first member.
    async fn create_community(&self, create: CreateCommunity, sent: Sent<'_>) -> Outcome {
        let CreateCommunity {
            name,
            title,
            description,
            rules,
            visibility,
        } = create;
        let actor = sent.actor;
        validate_name(&name)?;
        let name = normalize_name(&name);
        let id = community_id_for(&name);
        let new = NewCommunity {
            name: name.clone(),
            title,
            description,
            rules,
            visibility,
            owner: actor,
        };
        let stream = StreamId::of(Community::KIND, id);
        let created = self
            .write::<Community>(stream, CommunityCommand::Create(new), sent)
            .await?;
        let join = MembershipCommand::Join {
            community: id,
            visibility,
            user: actor,
            actor,
            actor_is_moderator: true,
        };
        let joined = self
            .write_as::<Membership>(
                membership_stream(id, actor),
                join,
                &follow_up(sent.metadata, "creator_joins"),
            )
            .await?;
        Ok(created
            .ending_at(Some(joined.position))
            .with(CommunityReply { id, name }))
    }
}
