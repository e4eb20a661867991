//! Commands on a comment's stream: create (a reply names its parent), edit, delete, moderate.

use shared_kernel::{Aggregate, StreamId};

use super::commands::{CommentModeration, CommentRequest};
use super::handler::{CommunitiesHandler, Outcome, Sent};
use super::replies::{CommentCreatedReply, DeletedReply, IdReply, ModerationReply};
use crate::domain::{Comment, CommentCommand, NewComment, ParentFacts, PostFacts};

impl CommunitiesHandler {
    pub(super) async fn comment_command(&self, request: CommentRequest, sent: Sent<'_>) -> Outcome {
        let actor = sent.actor;
        match request {
            CommentRequest::CreateComment {
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
                let create = CommentCommand::Create(NewComment {
                    comment_id,
                    post: PostFacts::of(&post),
                    parent,
                    standing,
                    body,
                });
                let done = self
                    .write::<Comment>(StreamId::of(Comment::KIND, comment_id), create, sent)
                    .await?;
                Ok(done.with(CommentCreatedReply {
                    id: comment_id,
                    post_id,
                    parent_id,
                    depth,
                }))
            }
            CommentRequest::EditComment { comment_id, body } => {
                let comment = self.comment(comment_id).await?;
                let standing = self.standing_in(comment.community_id, actor).await?;
                let edit = CommentCommand::Edit { standing, body };
                let done = self
                    .write::<Comment>(StreamId::of(Comment::KIND, comment_id), edit, sent)
                    .await?;
                Ok(done.with(IdReply {
                    id: *comment_id.as_uuid(),
                }))
            }
            CommentRequest::DeleteComment { comment_id } => {
                let comment = self.comment(comment_id).await?;
                let standing = self.standing_in(comment.community_id, actor).await?;
                let delete = CommentCommand::Delete { standing };
                let done = self
                    .write::<Comment>(StreamId::of(Comment::KIND, comment_id), delete, sent)
                    .await?;
                Ok(done.with(DeletedReply {
                    id: *comment_id.as_uuid(),
                    deleted: true,
                }))
            }
            CommentRequest::ModerateComment {
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
                    .write::<Comment>(StreamId::of(Comment::KIND, comment_id), command, sent)
                    .await?;
                Ok(done.with(ModerationReply {
                    id: *comment_id.as_uuid(),
                    action: action.into(),
                }))
            }
        }
    }
}
