//! Votes: each voter has a stream per post or comment (see `domain::vote`), decided with the
//! voter's standing and whether the target is still open.

use event_schemas::communities::ContentRef;
use shared_kernel::{Aggregate, StreamId};

use super::commands::VoteRequest;
use super::handler::{CommunitiesHandler, Outcome, Sent};
use super::replies::VoteReply;
use crate::domain::{Vote, VoteCommand, vote_stream_key};

impl CommunitiesHandler {
    pub(super) async fn vote_command(&self, request: VoteRequest, sent: Sent<'_>) -> Outcome {
        let (target, post_id, community_id, target_closed, value) = match request {
            VoteRequest::VotePost { post_id, value } => {
                let post = self.post(post_id).await?;
                let closed = post.deleted || post.removed;
                let target = ContentRef::Post(post_id);
                (target, post_id, post.community_id, closed, value)
            }
            VoteRequest::VoteComment { comment_id, value } => {
                let comment = self.comment(comment_id).await?;
                let closed = comment.deleted || comment.removed;
                let target = ContentRef::Comment(comment_id);
                (target, comment.post_id, comment.community_id, closed, value)
            }
        };
        let c = self.community_by_id(community_id).await?;
        let standing = self.standing(&c, sent.actor).await?;
        let id = *target.uuid();
        let stream = StreamId::of(Vote::KIND, vote_stream_key(&target, sent.actor));
        let cast = VoteCommand::Cast {
            target,
            post_id,
            standing,
            target_closed,
            value,
        };
        let done = self.write::<Vote>(stream, cast, sent).await?;
        Ok(done.with(VoteReply { id, value }))
    }
}
