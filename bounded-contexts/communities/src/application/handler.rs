//! The communities command handler: read the facts a rule needs from the streams involved,
//! then load, decide and append on the one stream the command changes. One file per
//! aggregate the commands change, each taking that aggregate's command enum:
//! [`super::community`], [`super::membership`], [`super::post`], [`super::comment`],
//! [`super::vote`], [`super::report`]; the reads they share (a community, a standing, a post, a
//! comment) are here.

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{
    Accepted, CommandKit, ExecuteError, Handled, Rejection, decode, finish, require_user, stop,
};
use shared_kernel::ids::{CommentId, CommunityId, PostId, UserId};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventMetadata, EventStore,
    StoreError, StreamId,
};

use super::commands::CommunitiesCommand;
use crate::domain::{
    Comment, CommunitiesError, Community, Membership, Post, Standing, community_id_for,
    membership_stream_key,
};

impl Rejection for CommunitiesError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        Self::code_and_kind(self)
    }
}

impl From<CommunitiesError> for Failure {
    fn from(e: CommunitiesError) -> Self {
        ExecuteError::Domain(e)
    }
}

/// Why a command did not go through: a rule, a conflict, or the store.
pub(super) type Failure = ExecuteError<CommunitiesError>;
pub(super) type Outcome = Result<Accepted, Failure>;

/// Who sent the command, and the metadata its events carry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sent<'a> {
    pub actor: UserId,
    pub metadata: &'a EventMetadata,
}

#[derive(Debug)]
pub struct CommunitiesHandler {
    kit: CommandKit,
}

pub(super) fn membership_stream(community: CommunityId, user: UserId) -> StreamId {
    StreamId::of(Membership::KIND, membership_stream_key(community, user))
}

impl CommunitiesHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let command: CommunitiesCommand = decode(envelope)?;
        let actor = require_user(envelope)?;
        let metadata = envelope.event_metadata();
        let sent = Sent {
            actor,
            metadata: &metadata,
        };
        match self.dispatch(command, sent).await {
            Ok(accepted) => Ok(accepted.reply(envelope)),
            Err(e) => Err(stop(envelope, e)),
        }
    }

    /// Hands the command to the file of the aggregate it changes.
    async fn dispatch(&self, command: CommunitiesCommand, sent: Sent<'_>) -> Outcome {
        match command {
            CommunitiesCommand::Community(c) => self.community_command(c, sent).await,
            CommunitiesCommand::Membership(c) => self.membership_command(c, sent).await,
            CommunitiesCommand::Post(c) => self.post_command(c, sent).await,
            CommunitiesCommand::Comment(c) => self.comment_command(c, sent).await,
            CommunitiesCommand::Vote(c) => self.vote_command(c, sent).await,
            CommunitiesCommand::Report(c) => self.report_command(c, sent).await,
        }
    }

    /// `command` on `stream`, as `sent`.
    pub(super) async fn write<A>(
        &self,
        stream: StreamId,
        command: A::Command,
        sent: Sent<'_>,
    ) -> Outcome
    where
        A: Aggregate<Error = CommunitiesError>,
    {
        let done = self
            .kit
            .execute::<A>(&stream, command, sent.metadata)
            .await?;
        Ok(Accepted::of(stream, &done))
    }

    /// `command` on `stream` under other metadata (a follow-up step).
    pub(super) async fn write_as<A>(
        &self,
        stream: StreamId,
        command: A::Command,
        metadata: &EventMetadata,
    ) -> Outcome
    where
        A: Aggregate<Error = CommunitiesError>,
    {
        let done = self.kit.execute::<A>(&stream, command, metadata).await?;
        Ok(Accepted::of(stream, &done))
    }

    pub(super) async fn load<A>(&self, stream: &StreamId) -> Result<A, Failure>
    where
        A: Aggregate<Error = CommunitiesError>,
    {
        Ok(self.kit.load::<A>(stream).await?.state)
    }

    pub(super) async fn community_by_id(&self, id: CommunityId) -> Result<Community, Failure> {
        let community: Community = self.load(&StreamId::of(Community::KIND, id)).await?;
        if community.exists() {
            Ok(community)
        } else {
            Err(CommunitiesError::NotFound("community").into())
        }
    }

    pub(super) async fn community_by_name(&self, name: &str) -> Result<Community, Failure> {
        self.community_by_id(community_id_for(name)).await
    }

    /// `user`'s standing in `community`: membership and ban. Every command a user sends about
    /// content in a community (create, edit, delete, vote, report) is decided with it, which is
    /// how bans and restricted membership apply to all of them, not only to new content.
    pub(super) async fn standing(
        &self,
        community: &Community,
        user: UserId,
    ) -> Result<Standing, Failure> {
        let membership: Membership = self.load(&membership_stream(community.id, user)).await?;
        Ok(Standing::of(community, &membership, user))
    }

    /// [`Self::standing`] in the community with this id.
    pub(super) async fn standing_in(
        &self,
        community: CommunityId,
        user: UserId,
    ) -> Result<Standing, Failure> {
        let community = self.community_by_id(community).await?;
        self.standing(&community, user).await
    }

    /// Enough standing for moderation checks (moderator or not), without the membership read.
    pub(super) async fn moderator_standing(
        &self,
        community_id: CommunityId,
        user: UserId,
    ) -> Result<Standing, Failure> {
        let community = self.community_by_id(community_id).await?;
        Ok(Standing::of(&community, &Membership::default(), user))
    }

    pub(super) async fn post(&self, id: PostId) -> Result<Post, Failure> {
        let post: Post = self.load(&StreamId::of(Post::KIND, id)).await?;
        if post.exists() {
            Ok(post)
        } else {
            Err(CommunitiesError::NotFound("post").into())
        }
    }

    pub(super) async fn comment(&self, id: CommentId) -> Result<Comment, Failure> {
        let comment: Comment = self.load(&StreamId::of(Comment::KIND, id)).await?;
        if comment.exists() {
            Ok(comment)
        } else {
            Err(CommunitiesError::NotFound("comment").into())
        }
    }
}

#[async_trait]
impl CommandHandler for CommunitiesHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
