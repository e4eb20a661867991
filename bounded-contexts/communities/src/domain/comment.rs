//! The Comment aggregate: a comment on a post or a reply to a comment, at any depth.
//!
//! Its place in the tree is fixed at creation as a materialized path (the parent's path, `.`,
//! its own id), so the read side can page through a tree with plain ordered range scans. A
//! deleted or removed comment keeps its place: only its body stops showing.

use event_schemas::communities::{
    CommentCreated, CommentDeleted, CommentEdited, CommentEvent, CommentModerated,
};
use shared_kernel::ids::{CommentId, CommunityId, PostId, UserId};
use shared_kernel::{Aggregate, TextRule, Timestamp};

use super::error::{CommunitiesError, check_text};
use super::post::Post;
use super::standing::Standing;

const BODY: TextRule = TextRule::multiline("body", 1, 10_000);
const REASON: TextRule = TextRule::multiline("reason", 1, 1_000);

/// What a new comment needs to know about its post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFacts {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub locked: bool,
    pub deleted: bool,
    pub removed: bool,
}

impl PostFacts {
    #[must_use]
    pub const fn of(post: &Post) -> Self {
        Self {
            post_id: post.id,
            community_id: post.community_id,
            locked: post.locked,
            deleted: post.deleted,
            removed: post.removed,
        }
    }
}

/// What a reply needs to know about the comment it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentFacts {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub path: String,
    pub depth: u32,
    pub deleted: bool,
    pub removed: bool,
}

impl ParentFacts {
    #[must_use]
    pub fn of(parent: &Comment) -> Self {
        Self {
            comment_id: parent.id,
            post_id: parent.post_id,
            path: parent.path.clone(),
            depth: parent.depth,
            deleted: parent.deleted,
            removed: parent.removed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewComment {
    pub comment_id: CommentId,
    pub post: PostFacts,
    /// `None` for a top-level comment.
    pub parent: Option<ParentFacts>,
    /// The author's standing in the post's community.
    pub standing: Standing,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentCommand {
    Create(NewComment),
    /// The author's standing: a banned author edits nothing.
    Edit {
        standing: Standing,
        body: String,
    },
    /// The author's standing: a banned author deletes nothing either.
    Delete {
        standing: Standing,
    },
    Remove {
        standing: Standing,
        reason: String,
    },
    Restore {
        standing: Standing,
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub parent: Option<CommentId>,
    /// `None` until created.
    pub author: Option<UserId>,
    pub body: String,
    pub path: String,
    pub depth: u32,
    /// 1 at creation, +1 per edit.
    pub revision: u32,
    pub deleted: bool,
    pub removed: bool,
}

impl Comment {
    #[must_use]
    pub const fn exists(&self) -> bool {
        self.author.is_some()
    }

    /// Open for replies and votes: neither deleted nor removed.
    ///
    /// # Errors
    /// The comment does not exist, was deleted or was removed.
    pub const fn check_open(&self) -> Result<(), CommunitiesError> {
        if !self.exists() {
            Err(CommunitiesError::NotFound("comment"))
        } else if self.deleted {
            Err(CommunitiesError::Deleted("comment"))
        } else if self.removed {
            Err(CommunitiesError::Removed("comment"))
        } else {
            Ok(())
        }
    }

    /// Only the author edits or deletes, through a standing in the comment's community.
    fn authored_by(&self, standing: &Standing) -> Result<(), CommunitiesError> {
        if !self.exists() {
            return Err(CommunitiesError::NotFound("comment"));
        }
        standing.check_in(self.community_id)?;
        if self.author != Some(standing.user) {
            return Err(CommunitiesError::NotTheAuthor);
        }
        Ok(())
    }

    fn moderated_by(&self, standing: &Standing, reason: &str) -> Result<(), CommunitiesError> {
        if !self.exists() {
            return Err(CommunitiesError::NotFound("comment"));
        }
        if standing.community_id != self.community_id {
            return Err(CommunitiesError::NotAModerator);
        }
        standing.check_moderator()?;
        check_text(&REASON, reason)
    }

    fn moderated(&self, standing: &Standing, reason: &str) -> CommentModerated {
        CommentModerated {
            comment_id: self.id,
            post_id: self.post_id,
            community_id: self.community_id,
            moderator_id: standing.user,
            reason: reason.trim().to_owned(),
        }
    }
}

fn check_new(new: &NewComment, now: Timestamp) -> Result<(), CommunitiesError> {
    new.standing.check_participation(now)?;
    let post = &new.post;
    if post.community_id != new.standing.community_id {
        return Err(CommunitiesError::Invalid(
            "the standing is not in the post's community".into(),
        ));
    }
    if post.deleted {
        return Err(CommunitiesError::Deleted("post"));
    }
    if post.removed {
        return Err(CommunitiesError::Removed("post"));
    }
    // Moderators may still explain a lock below the post.
    if post.locked && !new.standing.is_moderator {
        return Err(CommunitiesError::Locked);
    }
    if let Some(parent) = &new.parent {
        if parent.post_id != post.post_id {
            return Err(CommunitiesError::Invalid(
                "parent_id is a comment on another post".into(),
            ));
        }
        if parent.deleted {
            return Err(CommunitiesError::Deleted("comment"));
        }
        if parent.removed {
            return Err(CommunitiesError::Removed("comment"));
        }
    }
    check_text(&BODY, &new.body)
}

impl Aggregate for Comment {
    const KIND: &'static str = "comment";
    type Command = CommentCommand;
    type Event = CommentEvent;
    type Error = CommunitiesError;

    fn decide(
        &self,
        command: CommentCommand,
        now: Timestamp,
    ) -> Result<Vec<CommentEvent>, CommunitiesError> {
        match command {
            CommentCommand::Create(new) => {
                if self.exists() {
                    return Err(CommunitiesError::AlreadyExists("comment"));
                }
                check_new(&new, now)?;
                let (path, depth) = match &new.parent {
                    Some(parent) => (
                        format!("{}.{}", parent.path, new.comment_id),
                        parent.depth + 1,
                    ),
                    None => (new.comment_id.to_string(), 0),
                };
                Ok(vec![CommentEvent::Created(CommentCreated {
                    comment_id: new.comment_id,
                    post_id: new.post.post_id,
                    community_id: new.post.community_id,
                    parent_id: new.parent.map(|p| p.comment_id),
                    author_id: new.standing.user,
                    body: new.body,
                    path,
                    depth,
                })])
            }
            CommentCommand::Edit { standing, body } => {
                self.authored_by(&standing)?;
                standing.check_participation(now)?;
                let actor = standing.user;
                if self.deleted {
                    return Err(CommunitiesError::Deleted("comment"));
                }
                if self.removed {
                    return Err(CommunitiesError::Removed("comment"));
                }
                check_text(&BODY, &body)?;
                if body == self.body {
                    return Ok(vec![]);
                }
                Ok(vec![CommentEvent::Edited(CommentEdited {
                    comment_id: self.id,
                    post_id: self.post_id,
                    community_id: self.community_id,
                    author_id: actor,
                    body,
                    revision: self.revision + 1,
                })])
            }
            CommentCommand::Delete { standing } => {
                self.authored_by(&standing)?;
                standing.check_not_banned(now)?;
                let actor = standing.user;
                if self.deleted {
                    return Ok(vec![]);
                }
                Ok(vec![CommentEvent::Deleted(CommentDeleted {
                    comment_id: self.id,
                    post_id: self.post_id,
                    community_id: self.community_id,
                    author_id: actor,
                })])
            }
            CommentCommand::Remove { standing, reason } => {
                self.moderated_by(&standing, &reason)?;
                Ok(if self.removed {
                    vec![]
                } else {
                    vec![CommentEvent::Removed(self.moderated(&standing, &reason))]
                })
            }
            CommentCommand::Restore { standing, reason } => {
                self.moderated_by(&standing, &reason)?;
                Ok(if self.removed {
                    vec![CommentEvent::Restored(self.moderated(&standing, &reason))]
                } else {
                    vec![]
                })
            }
        }
    }

    fn evolve(self, event: &CommentEvent) -> Self {
        match event {
            CommentEvent::Created(e) => Self {
                id: e.comment_id,
                post_id: e.post_id,
                community_id: e.community_id,
                parent: e.parent_id,
                author: Some(e.author_id),
                body: e.body.clone(),
                path: e.path.clone(),
                depth: e.depth,
                revision: 1,
                deleted: false,
                removed: false,
            },
            CommentEvent::Edited(e) => Self {
                body: e.body.clone(),
                revision: e.revision,
                ..self
            },
            CommentEvent::Deleted(_) => Self {
                deleted: true,
                ..self
            },
            CommentEvent::Removed(_) => Self {
                removed: true,
                ..self
            },
            CommentEvent::Restored(_) => Self {
                removed: false,
                ..self
            },
        }
    }
}
