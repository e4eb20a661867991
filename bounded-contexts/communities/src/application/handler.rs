//! The communities command handler: read the facts a rule needs from the streams involved,
//! then load, decide and append on the one stream the command changes.

use std::sync::Arc;

use async_trait::async_trait;
use event_schemas::communities::ContentRef;
use serde_json::{Value, json};
use shared_kernel::application::{ExecuteError, execute, load};
use shared_kernel::ids::{CommentId, CommunityId, PostId, UserId};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventMetadata,
    EventStore, StoreError, StreamId,
};
use uuid::Uuid;

use super::commands::{CommentModeration, CommunitiesCommand, PostModeration};
use crate::domain::{
    Comment, CommentCommand, CommunitiesError, Community, CommunityCommand, Membership,
    MembershipCommand, NewComment, NewCommunity, NewPost, ParentFacts, Post, PostCommand,
    PostFacts, Report, ReportCommand, Standing, Vote, VoteCommand, community_id_for,
    membership_stream_key, normalize_name, validate_name, vote_stream_key,
};

#[derive(Debug)]
pub struct CommunitiesHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
}

/// A command that went through: where its last event landed and what to answer.
#[derive(Debug)]
struct Done {
    stream: StreamId,
    version: u64,
    /// The stream's last event's position, also when the command changed nothing.
    position: u64,
    body: Value,
}

impl Done {
    fn with(mut self, body: Value) -> Self {
        self.body = body;
        self
    }
}

#[derive(Debug)]
enum Failure {
    Domain(CommunitiesError),
    Conflict,
    Store(StoreError),
}

impl From<CommunitiesError> for Failure {
    fn from(e: CommunitiesError) -> Self {
        Self::Domain(e)
    }
}

impl From<ExecuteError<CommunitiesError>> for Failure {
    fn from(e: ExecuteError<CommunitiesError>) -> Self {
        match e {
            ExecuteError::Domain(e) => Self::Domain(e),
            ExecuteError::Conflict => Self::Conflict,
            ExecuteError::Store(e) => Self::Store(e),
            e @ (ExecuteError::Decode(_) | ExecuteError::Encode(_)) => {
                Self::Store(StoreError::Corrupt(e.to_string()))
            }
        }
    }
}

type Outcome = Result<Done, Failure>;

fn membership_stream(community: CommunityId, user: UserId) -> StreamId {
    StreamId::of(Membership::KIND, membership_stream_key(community, user))
}

/// Metadata for a second stream written by the same command: its own command id (derived, so
/// a retry derives the same one), or the store would take the first stream's events as the
/// result of the second write and skip it.
fn follow_up(metadata: &EventMetadata, step: &str) -> EventMetadata {
    EventMetadata {
        command_id: metadata
            .command_id
            .map(|id| Uuid::new_v5(&id, step.as_bytes())),
        ..metadata.clone()
    }
}

impl CommunitiesHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    async fn run<A>(
        &self,
        stream: StreamId,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Outcome
    where
        A: Aggregate<Error = CommunitiesError>,
    {
        let done = execute::<A>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &stream,
            command,
            metadata,
        )
        .await?;
        Ok(Done {
            stream,
            version: done.version,
            position: done.position,
            body: Value::Null,
        })
    }

    async fn load<A>(&self, stream: &StreamId) -> Result<A, Failure>
    where
        A: Aggregate<Error = CommunitiesError>,
    {
        Ok(load::<A>(self.store.as_ref(), stream).await?.state)
    }

    async fn community_by_id(&self, id: CommunityId) -> Result<Community, Failure> {
        let community: Community = self.load(&StreamId::of(Community::KIND, id)).await?;
        if community.exists() {
            Ok(community)
        } else {
            Err(CommunitiesError::NotFound("community").into())
        }
    }

    async fn community_by_name(&self, name: &str) -> Result<Community, Failure> {
        self.community_by_id(community_id_for(name)).await
    }

    /// `user`'s standing in `community`: membership and ban. Every command a user sends about
    /// content in a community (create, edit, delete, vote, report) is decided with it, which is
    /// how bans and restricted membership apply to all of them, not only to new content.
    async fn standing(&self, community: &Community, user: UserId) -> Result<Standing, Failure> {
        let membership: Membership = self.load(&membership_stream(community.id, user)).await?;
        Ok(Standing::of(community, &membership, user))
    }

    /// [`Self::standing`] in the community with this id.
    async fn standing_in(&self, community: CommunityId, user: UserId) -> Result<Standing, Failure> {
        let community = self.community_by_id(community).await?;
        self.standing(&community, user).await
    }

    /// Enough standing for moderation checks (moderator or not), without the membership read.
    async fn moderator_standing(
        &self,
        community_id: CommunityId,
        user: UserId,
    ) -> Result<Standing, Failure> {
        let community = self.community_by_id(community_id).await?;
        Ok(Standing::of(&community, &Membership::default(), user))
    }

    async fn post(&self, id: PostId) -> Result<Post, Failure> {
        let post: Post = self.load(&StreamId::of(Post::KIND, id)).await?;
        if post.exists() {
            Ok(post)
        } else {
            Err(CommunitiesError::NotFound("post").into())
        }
    }

    async fn comment(&self, id: CommentId) -> Result<Comment, Failure> {
        let comment: Comment = self.load(&StreamId::of(Comment::KIND, id)).await?;
        if comment.exists() {
            Ok(comment)
        } else {
            Err(CommunitiesError::NotFound("comment").into())
        }
    }

    #[allow(clippy::too_many_lines)] // one arm per command, each a few reads and one write
    async fn dispatch(
        &self,
        command: CommunitiesCommand,
        actor: UserId,
        metadata: &EventMetadata,
    ) -> Outcome {
        use CommunitiesCommand as C;
        match command {
            C::CreateCommunity {
                name,
                title,
                description,
                rules,
                visibility,
            } => {
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
                let created = self
                    .run::<Community>(
                        StreamId::of(Community::KIND, id),
                        CommunityCommand::Create(new),
                        metadata,
                    )
                    .await?;
                // The creator is also a member (the community's first).
                let joined = self
                    .run::<Membership>(
                        membership_stream(id, actor),
                        MembershipCommand::Join {
                            community: id,
                            visibility,
                            user: actor,
                            actor,
                            actor_is_moderator: true,
                        },
                        &follow_up(metadata, "creator_joins"),
                    )
                    .await?;
                Ok(Done {
                    position: created.position.max(joined.position),
                    ..created
                }
                .with(json!({ "id": id, "name": name })))
            }
            C::ChangeCommunitySettings {
                community,
                title,
                description,
                rules,
                visibility,
            } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Community>(
                        StreamId::of(Community::KIND, c.id),
                        CommunityCommand::ChangeSettings {
                            actor,
                            title,
                            description,
                            rules,
                            visibility,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": c.id, "name": c.name })))
            }
            C::JoinCommunity { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let user = user_id.unwrap_or(actor);
                let done = self
                    .run::<Membership>(
                        membership_stream(c.id, user),
                        MembershipCommand::Join {
                            community: c.id,
                            visibility: c.visibility,
                            user,
                            actor,
                            actor_is_moderator: c.is_moderator(actor),
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "community": c.name, "user_id": user, "member": true })))
            }
            C::LeaveCommunity { community } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Membership>(
                        membership_stream(c.id, actor),
                        MembershipCommand::Leave {
                            community: c.id,
                            user: actor,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "community": c.name, "user_id": actor, "member": false })))
            }
            C::AppointModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Community>(
                        StreamId::of(Community::KIND, c.id),
                        CommunityCommand::AppointModerator {
                            actor,
                            user: user_id,
                        },
                        metadata,
                    )
                    .await?;
                Ok(
                    done.with(
                        json!({ "community": c.name, "user_id": user_id, "moderator": true }),
                    ),
                )
            }
            C::RemoveModerator { community, user_id } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Community>(
                        StreamId::of(Community::KIND, c.id),
                        CommunityCommand::RemoveModerator {
                            actor,
                            user: user_id,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done
                    .with(json!({ "community": c.name, "user_id": user_id, "moderator": false })))
            }
            C::BanUser {
                community,
                user_id,
                reason,
                expires_at,
            } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Membership>(
                        membership_stream(c.id, user_id),
                        MembershipCommand::Ban {
                            community: c.id,
                            user: user_id,
                            moderator: actor,
                            actor_is_moderator: c.is_moderator(actor),
                            target_is_moderator: c.is_moderator(user_id),
                            reason,
                            expires_at,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({
                    "community": c.name,
                    "user_id": user_id,
                    "banned": true,
                    "expires_at": expires_at,
                })))
            }
            C::UnbanUser {
                community,
                user_id,
                reason,
            } => {
                let c = self.community_by_name(&community).await?;
                let done = self
                    .run::<Membership>(
                        membership_stream(c.id, user_id),
                        MembershipCommand::Unban {
                            community: c.id,
                            user: user_id,
                            moderator: actor,
                            actor_is_moderator: c.is_moderator(actor),
                            reason,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "community": c.name, "user_id": user_id, "banned": false })))
            }
            C::CreatePost {
                community,
                post_id,
                title,
                body,
                url,
            } => {
                let c = self.community_by_name(&community).await?;
                let standing = self.standing(&c, actor).await?;
                let done = self
                    .run::<Post>(
                        StreamId::of(Post::KIND, post_id),
                        PostCommand::Create(NewPost {
                            post_id,
                            standing,
                            title,
                            body,
                            url,
                        }),
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": post_id, "community": c.name })))
            }
            C::EditPost {
                post_id,
                title,
                body,
                url,
            } => {
                let post = self.post(post_id).await?;
                let standing = self.standing_in(post.community_id, actor).await?;
                let done = self
                    .run::<Post>(
                        StreamId::of(Post::KIND, post_id),
                        PostCommand::Edit {
                            standing,
                            title,
                            body,
                            url,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": post_id })))
            }
            C::DeletePost { post_id } => {
                let post = self.post(post_id).await?;
                let standing = self.standing_in(post.community_id, actor).await?;
                let done = self
                    .run::<Post>(
                        StreamId::of(Post::KIND, post_id),
                        PostCommand::Delete { standing },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": post_id, "deleted": true })))
            }
            C::ModeratePost {
                post_id,
                action,
                reason,
            } => {
                let post = self.post(post_id).await?;
                let standing = self.moderator_standing(post.community_id, actor).await?;
                let reason_required = || {
                    reason.clone().ok_or_else(|| {
                        Failure::Domain(CommunitiesError::Invalid("a reason is required".into()))
                    })
                };
                let command = match action {
                    PostModeration::Remove => PostCommand::Remove {
                        standing,
                        reason: reason_required()?,
                    },
                    PostModeration::Restore => PostCommand::Restore {
                        standing,
                        reason: reason_required()?,
                    },
                    PostModeration::Lock => PostCommand::Lock {
                        standing,
                        reason: reason.clone(),
                    },
                    PostModeration::Unlock => PostCommand::Unlock {
                        standing,
                        reason: reason.clone(),
                    },
                    PostModeration::Pin => PostCommand::Pin { standing },
                    PostModeration::Unpin => PostCommand::Unpin { standing },
                };
                let done = self
                    .run::<Post>(StreamId::of(Post::KIND, post_id), command, metadata)
                    .await?;
                Ok(done.with(json!({ "id": post_id, "action": action })))
            }
            C::VotePost { post_id, value } => {
                let post = self.post(post_id).await?;
                let c = self.community_by_id(post.community_id).await?;
                let standing = self.standing(&c, actor).await?;
                let target = ContentRef::Post(post_id);
                let done = self
                    .run::<Vote>(
                        StreamId::of(Vote::KIND, vote_stream_key(&target, actor)),
                        VoteCommand::Cast {
                            target,
                            post_id,
                            standing,
                            target_closed: post.deleted || post.removed,
                            value,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": post_id, "value": value })))
            }
            C::CreateComment {
                post_id,
                comment_id,
                parent_id,
                body,
            } => {
                let post = self.post(post_id).await?;
                let c = self.community_by_id(post.community_id).await?;
                let standing = self.standing(&c, actor).await?;
                let parent = match parent_id {
                    Some(id) => Some(ParentFacts::of(&self.comment(id).await?)),
                    None => None,
                };
                let depth = parent.as_ref().map_or(0, |p| p.depth + 1);
                let done = self
                    .run::<Comment>(
                        StreamId::of(Comment::KIND, comment_id),
                        CommentCommand::Create(NewComment {
                            comment_id,
                            post: PostFacts::of(&post),
                            parent,
                            standing,
                            body,
                        }),
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({
                    "id": comment_id,
                    "post_id": post_id,
                    "parent_id": parent_id,
                    "depth": depth,
                })))
            }
            C::EditComment { comment_id, body } => {
                let comment = self.comment(comment_id).await?;
                let standing = self.standing_in(comment.community_id, actor).await?;
                let done = self
                    .run::<Comment>(
                        StreamId::of(Comment::KIND, comment_id),
                        CommentCommand::Edit { standing, body },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": comment_id })))
            }
            C::DeleteComment { comment_id } => {
                let comment = self.comment(comment_id).await?;
                let standing = self.standing_in(comment.community_id, actor).await?;
                let done = self
                    .run::<Comment>(
                        StreamId::of(Comment::KIND, comment_id),
                        CommentCommand::Delete { standing },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": comment_id, "deleted": true })))
            }
            C::ModerateComment {
                comment_id,
                action,
                reason,
            } => {
                let comment = self.comment(comment_id).await?;
                let standing = self.moderator_standing(comment.community_id, actor).await?;
                let command = match action {
                    CommentModeration::Remove => CommentCommand::Remove { standing, reason },
                    CommentModeration::Restore => CommentCommand::Restore { standing, reason },
                };
                let done = self
                    .run::<Comment>(StreamId::of(Comment::KIND, comment_id), command, metadata)
                    .await?;
                Ok(done.with(json!({ "id": comment_id, "action": action })))
            }
            C::VoteComment { comment_id, value } => {
                let comment = self.comment(comment_id).await?;
                let c = self.community_by_id(comment.community_id).await?;
                let standing = self.standing(&c, actor).await?;
                let target = ContentRef::Comment(comment_id);
                let done = self
                    .run::<Vote>(
                        StreamId::of(Vote::KIND, vote_stream_key(&target, actor)),
                        VoteCommand::Cast {
                            target,
                            post_id: comment.post_id,
                            standing,
                            target_closed: comment.deleted || comment.removed,
                            value,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": comment_id, "value": value })))
            }
            C::FileReport {
                report_id,
                target,
                reason,
            } => {
                let (post_id, community_id) = match target {
                    ContentRef::Post(id) => {
                        let post = self.post(id).await?;
                        (post.id, post.community_id)
                    }
                    ContentRef::Comment(id) => {
                        let comment = self.comment(id).await?;
                        (comment.post_id, comment.community_id)
                    }
                };
                let reporter = self.standing_in(community_id, actor).await?;
                let done = self
                    .run::<Report>(
                        StreamId::of(Report::KIND, report_id),
                        ReportCommand::File {
                            report_id,
                            target,
                            post_id,
                            reporter,
                            reason,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": report_id })))
            }
            C::ResolveReport {
                report_id,
                resolution,
            } => {
                let stream = StreamId::of(Report::KIND, report_id);
                let report: Report = self.load(&stream).await?;
                if report.reporter.is_none() {
                    return Err(CommunitiesError::NotFound("report").into());
                }
                let standing = self.moderator_standing(report.community_id, actor).await?;
                let done = self
                    .run::<Report>(
                        stream,
                        ReportCommand::Resolve {
                            standing,
                            resolution,
                        },
                        metadata,
                    )
                    .await?;
                Ok(done.with(json!({ "id": report_id, "resolved": true })))
            }
        }
    }
}

#[async_trait]
impl CommandHandler for CommunitiesHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match CommunitiesCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        let Some(actor) = envelope
            .actor
            .as_deref()
            .and_then(|a| a.parse::<UserId>().ok())
        else {
            return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
        };
        let metadata = envelope.event_metadata();
        match self.dispatch(command, actor, &metadata).await {
            Ok(done) => Ok(CommandReply {
                command_id: envelope.command_id,
                outcome: CommandOutcome::Accepted {
                    stream_id: done.stream.to_string(),
                    stream_version: done.version,
                    position: done.position,
                    body: done.body,
                },
            }),
            Err(Failure::Domain(e)) => {
                let (code, status) = e.code_and_status();
                Ok(envelope.reject(status, code, e.to_string()))
            }
            Err(Failure::Conflict) => Ok(envelope.reject(
                409,
                "concurrency_conflict",
                "the target changed concurrently; try again",
            )),
            Err(Failure::Store(e)) => Err(e),
        }
    }
}
