//! Commands on a community's own stream: creation (with its creator's membership), settings,
//! moderators.

use serde_json::json;
use shared_kernel::application::follow_up;
use shared_kernel::{Aggregate, StreamId};

use super::commands::{CommunitiesCommand, CreateCommunity};
use super::handler::{CommunitiesHandler, Outcome, Sent, membership_stream, misrouted};
use crate::domain::{
    Community, CommunityCommand, Membership, MembershipCommand, NewCommunity, community_id_for,
    normalize_name, validate_name,
};

impl CommunitiesHandler {
    pub(super) async fn community_command(
        &self,
        command: CommunitiesCommand,
        sent: Sent<'_>,
    ) -> Outcome {
        let actor = sent.actor;
        match command {
            CommunitiesCommand::CreateCommunity(CreateCommunity {
                name,
                title,
                description,
                rules,
                visibility,
            }) => {
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
                // The creator is also a member (the community's first).
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
                    .with(json!({ "id": id, "name": name })))
            }
            CommunitiesCommand::ChangeCommunitySettings {
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
                Ok(done.with(json!({ "id": c.id, "name": c.name })))
            }
            CommunitiesCommand::AppointModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let appoint = CommunityCommand::AppointModerator {
                    actor,
                    user: user_id,
                };
                let done = self
                    .write::<Community>(StreamId::of(Community::KIND, c.id), appoint, sent)
                    .await?;
                Ok(
                    done.with(
                        json!({ "community": c.name, "user_id": user_id, "moderator": true }),
                    ),
                )
            }
            CommunitiesCommand::RemoveModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let remove = CommunityCommand::RemoveModerator {
                    actor,
                    user: user_id,
                };
                let done = self
                    .write::<Community>(StreamId::of(Community::KIND, c.id), remove, sent)
                    .await?;
                Ok(done
                    .with(json!({ "community": c.name, "user_id": user_id, "moderator": false })))
            }
            other => Err(misrouted(&other)),
        }
    }
}
