//! Commands on a post's stream: create, edit, delete, moderate.

use shared_kernel::{Aggregate, StreamId};

use super::commands::{PostModeration, PostRequest};
use super::handler::{CommunitiesHandler, Outcome, Sent};
use super::replies::{DeletedReply, IdReply, ModerationReply, PostCreatedReply};
use crate::domain::{CommunitiesError, NewPost, Post, PostCommand};

impl CommunitiesHandler {
    pub(super) async fn post_command(&self, request: PostRequest, sent: Sent<'_>) -> Outcome {
        let actor = sent.actor;
        match request {
            PostRequest::CreatePost {
                community,
                post_id,
                title,
                body,
                url,
            } => {
                let c = self.community_by_name(&community).await?;
                let standing = self.standing(&c, actor).await?;
                let create = PostCommand::Create(NewPost {
                    post_id,
                    standing,
                    title,
                    body,
                    url,
                });
                let done = self
                    .write::<Post>(StreamId::of(Post::KIND, post_id), create, sent)
                    .await?;
                Ok(done.with(PostCreatedReply {
                    id: post_id,
                    community: c.name,
                }))
            }
            PostRequest::EditPost {
                post_id,
                title,
                body,
                url,
            } => {
                let post = self.post(post_id).await?;
                let standing = self.standing_in(post.community_id, actor).await?;
                let edit = PostCommand::Edit {
                    standing,
                    title,
                    body,
                    url,
                };
                let done = self
                    .write::<Post>(StreamId::of(Post::KIND, post_id), edit, sent)
                    .await?;
                Ok(done.with(IdReply {
                    id: *post_id.as_uuid(),
                }))
            }
            PostRequest::DeletePost { post_id } => {
                let post = self.post(post_id).await?;
                let standing = self.standing_in(post.community_id, actor).await?;
                let delete = PostCommand::Delete { standing };
                let done = self
                    .write::<Post>(StreamId::of(Post::KIND, post_id), delete, sent)
                    .await?;
                Ok(done.with(DeletedReply {
                    id: *post_id.as_uuid(),
                    deleted: true,
                }))
            }
            PostRequest::ModeratePost {
                post_id,
                action,
                reason,
            } => {
                let post = self.post(post_id).await?;
                let standing = self.moderator_standing(post.community_id, actor).await?;
                let command = moderation(action, standing, reason)?;
                let done = self
                    .write::<Post>(StreamId::of(Post::KIND, post_id), command, sent)
                    .await?;
                Ok(done.with(ModerationReply {
                    id: *post_id.as_uuid(),
                    action: action.into(),
                }))
            }
        }
    }
}

/// The post command of a moderator's `action`; removing and restoring need a reason.
fn moderation(
    action: PostModeration,
    standing: crate::domain::Standing,
    reason: Option<String>,
) -> Result<PostCommand, CommunitiesError> {
    let reason_required = || {
        reason
            .clone()
            .ok_or_else(|| CommunitiesError::Invalid("a reason is required".into()))
    };
    Ok(match action {
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
    })
}
