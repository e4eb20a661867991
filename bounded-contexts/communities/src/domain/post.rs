//! The Post aggregate: a text or link post, its revisions, and what moderators did to it.

use event_schemas::communities::{PostCreated, PostDeleted, PostEdited, PostEvent, PostModerated};
use shared_kernel::ids::{CommunityId, PostId, UserId};
use shared_kernel::{Aggregate, TextRule, Timestamp};

use super::error::{CommunitiesError, check_text};
use super::standing::Standing;

const TITLE: TextRule = TextRule::line("title", 1, 300);
/// A text post is its body: one of only spaces is no text post (as one without a body).
const BODY: TextRule = TextRule::multiline("body", 1, 40_000);
const MAX_URL: usize = 2_000;
const REASON: TextRule = TextRule::multiline("reason", 1, 1_000);
/// A lock's (or unlock's) reason is optional, but bounded like every other.
const OPTIONAL_REASON: TextRule = TextRule::multiline("reason", 0, 1_000);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Post {
    pub id: PostId,
    pub community_id: CommunityId,
    pub community_name: String,
    /// `None` until created.
    pub author: Option<UserId>,
    pub title: String,
    pub body: Option<String>,
    pub url: Option<String>,
    /// 1 at creation, +1 per edit.
    pub revision: u32,
    pub deleted: bool,
    pub removed: bool,
    pub locked: bool,
    pub pinned: bool,
}

/// A post about to be written: exactly one of `body` (text post) and `url` (link post).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPost {
    pub post_id: PostId,
    /// The author's standing in the community.
    pub standing: Standing,
    pub title: String,
    pub body: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostCommand {
    Create(NewPost),
    /// Fields left `None` keep their value; a text post has no url, a link post no body.
    /// The author's standing: a banned author edits nothing.
    Edit {
        standing: Standing,
        title: Option<String>,
        body: Option<String>,
        url: Option<String>,
    },
    /// The author's standing: a banned author deletes nothing either.
    Delete {
        standing: Standing,
    },
    /// The moderation commands carry the actor's standing in the post's community.
    Remove {
        standing: Standing,
        reason: String,
    },
    Restore {
        standing: Standing,
        reason: String,
    },
    Lock {
        standing: Standing,
        reason: Option<String>,
    },
    Unlock {
        standing: Standing,
        reason: Option<String>,
    },
    Pin {
        standing: Standing,
    },
    Unpin {
        standing: Standing,
    },
}

fn check_url(url: &str) -> Result<(), CommunitiesError> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
    let odd = |c: char| c.is_whitespace() || c.is_control();
    if !scheme_ok || url.chars().any(odd) || url.chars().count() > MAX_URL {
        return Err(CommunitiesError::Invalid(format!(
            "url must be an http(s) URL of at most {MAX_URL} characters"
        )));
    }
    Ok(())
}

/// A post is text or link, never both nor neither: a text post has a body that is not blank (a
/// blank one is no text, refused as a missing one is), a link post an http(s) url.
fn check_content(
    title: &str,
    body: Option<&String>,
    url: Option<&String>,
) -> Result<(), CommunitiesError> {
    check_text(&TITLE, title)?;
    match (body, url) {
        (Some(body), None) => check_text(&BODY, body),
        (None, Some(url)) => check_url(url),
        _ => Err(CommunitiesError::Invalid(
            "a post has either a body (text post) or a url (link post)".into(),
        )),
    }
}

fn check_reason(reason: &str) -> Result<(), CommunitiesError> {
    check_text(&REASON, reason)
}

impl Post {
    #[must_use]
    pub const fn exists(&self) -> bool {
        self.author.is_some()
    }

    /// Only the author edits or deletes, through a standing in the post's community.
    fn authored_by(&self, standing: &Standing) -> Result<(), CommunitiesError> {
        if !self.exists() {
            return Err(CommunitiesError::NotFound("post"));
        }
        standing.check_in(self.community_id)?;
        if self.author != Some(standing.user) {
            return Err(CommunitiesError::NotTheAuthor);
        }
        Ok(())
    }

    /// The post's moderators act through a standing in *this* post's community.
    fn moderated_by(&self, standing: &Standing) -> Result<(), CommunitiesError> {
        if !self.exists() {
            return Err(CommunitiesError::NotFound("post"));
        }
        if standing.community_id != self.community_id {
            return Err(CommunitiesError::NotAModerator);
        }
        standing.check_moderator()
    }

    fn moderated(&self, standing: &Standing, reason: Option<String>) -> PostModerated {
        PostModerated {
            post_id: self.id,
            community_id: self.community_id,
            moderator_id: standing.user,
            reason: reason.map(|r| r.trim().to_owned()),
        }
    }

    /// Open for comments and votes: neither deleted nor removed.
    ///
    /// # Errors
    /// The post does not exist, was deleted or was removed.
    pub const fn check_open(&self) -> Result<(), CommunitiesError> {
        if !self.exists() {
            Err(CommunitiesError::NotFound("post"))
        } else if self.deleted {
            Err(CommunitiesError::Deleted("post"))
        } else if self.removed {
            Err(CommunitiesError::Removed("post"))
        } else {
            Ok(())
        }
    }
}

impl Aggregate for Post {
    const KIND: &'static str = "post";
    type Command = PostCommand;
    type Event = PostEvent;
    type Error = CommunitiesError;

    #[allow(clippy::too_many_lines)] // one arm per command, each short
    fn decide(
        &self,
        command: PostCommand,
        now: Timestamp,
    ) -> Result<Vec<PostEvent>, CommunitiesError> {
        match command {
            PostCommand::Create(new) => {
                if self.exists() {
                    return Err(CommunitiesError::AlreadyExists("post"));
                }
                new.standing.check_participation(now)?;
                let title = new.title.trim().to_owned();
                let url = new.url.map(|u| u.trim().to_owned());
                check_content(&title, new.body.as_ref(), url.as_ref())?;
                Ok(vec![PostEvent::Created(PostCreated {
                    post_id: new.post_id,
                    community_id: new.standing.community_id,
                    community_name: new.standing.community_name,
                    author_id: new.standing.user,
                    title,
                    body: new.body,
                    url,
                })])
            }
            PostCommand::Edit {
                standing,
                title,
                body,
                url,
            } => {
                self.authored_by(&standing)?;
                standing.check_participation(now)?;
                let actor = standing.user;
                if self.deleted {
                    return Err(CommunitiesError::Deleted("post"));
                }
                if self.removed {
                    return Err(CommunitiesError::Removed("post"));
                }
                if body.is_some() && self.url.is_some() {
                    return Err(CommunitiesError::Invalid("a link post has no body".into()));
                }
                if url.is_some() && self.body.is_some() {
                    return Err(CommunitiesError::Invalid("a text post has no url".into()));
                }
                let title = title.map_or_else(|| self.title.clone(), |t| t.trim().to_owned());
                let body = body.or_else(|| self.body.clone());
                let url = url
                    .map(|u| u.trim().to_owned())
                    .or_else(|| self.url.clone());
                check_content(&title, body.as_ref(), url.as_ref())?;
                if title == self.title && body == self.body && url == self.url {
                    return Ok(vec![]);
                }
                Ok(vec![PostEvent::Edited(PostEdited {
                    post_id: self.id,
                    community_id: self.community_id,
                    author_id: actor,
                    title,
                    body,
                    url,
                    revision: self.revision + 1,
                })])
            }
            PostCommand::Delete { standing } => {
                self.authored_by(&standing)?;
                standing.check_not_banned(now)?;
                if self.deleted {
                    return Ok(vec![]);
                }
                Ok(vec![PostEvent::Deleted(PostDeleted {
                    post_id: self.id,
                    community_id: self.community_id,
                    author_id: standing.user,
                })])
            }
            PostCommand::Remove { standing, reason } => {
                self.moderated_by(&standing)?;
                check_reason(&reason)?;
                Ok(if self.removed {
                    vec![]
                } else {
                    vec![PostEvent::Removed(self.moderated(&standing, Some(reason)))]
                })
            }
            PostCommand::Restore { standing, reason } => {
                self.moderated_by(&standing)?;
                check_reason(&reason)?;
                Ok(if self.removed {
                    vec![PostEvent::Restored(self.moderated(&standing, Some(reason)))]
                } else {
                    vec![]
                })
            }
            PostCommand::Lock { standing, reason } => {
                self.moderated_by(&standing)?;
                if let Some(reason) = &reason {
                    check_text(&OPTIONAL_REASON, reason)?;
                }
                Ok(if self.locked {
                    vec![]
                } else {
                    vec![PostEvent::Locked(self.moderated(&standing, reason))]
                })
            }
            PostCommand::Unlock { standing, reason } => {
                self.moderated_by(&standing)?;
                if let Some(reason) = &reason {
                    check_text(&OPTIONAL_REASON, reason)?;
                }
                Ok(if self.locked {
                    vec![PostEvent::Unlocked(self.moderated(&standing, reason))]
                } else {
                    vec![]
                })
            }
            PostCommand::Pin { standing } => {
                self.moderated_by(&standing)?;
                Ok(if self.pinned {
                    vec![]
                } else {
                    vec![PostEvent::Pinned(self.moderated(&standing, None))]
                })
            }
            PostCommand::Unpin { standing } => {
                self.moderated_by(&standing)?;
                Ok(if self.pinned {
                    vec![PostEvent::Unpinned(self.moderated(&standing, None))]
                } else {
                    vec![]
                })
            }
        }
    }

    fn evolve(self, event: &PostEvent) -> Self {
        match event {
            PostEvent::Created(e) => Self {
                id: e.post_id,
                community_id: e.community_id,
                community_name: e.community_name.clone(),
                author: Some(e.author_id),
                title: e.title.clone(),
                body: e.body.clone(),
                url: e.url.clone(),
                revision: 1,
                ..Self::default()
            },
            PostEvent::Edited(e) => Self {
                title: e.title.clone(),
                body: e.body.clone(),
                url: e.url.clone(),
                revision: e.revision,
                ..self
            },
            PostEvent::Deleted(_) => Self {
                deleted: true,
                ..self
            },
            PostEvent::Removed(_) => Self {
                removed: true,
                ..self
            },
            PostEvent::Restored(_) => Self {
                removed: false,
                ..self
            },
            PostEvent::Locked(_) => Self {
                locked: true,
                ..self
            },
            PostEvent::Unlocked(_) => Self {
                locked: false,
                ..self
            },
            PostEvent::Pinned(_) => Self {
                pinned: true,
                ..self
            },
            PostEvent::Unpinned(_) => Self {
                pinned: false,
                ..self
            },
        }
    }
}
