//! The communities commands as they travel on the command bus, one enum per aggregate they
//! change. The wire form is each inner enum's `{"name": ..., "payload": ...}`; the outer enum
//! only says which aggregate's, so the handler dispatches once.
//!
//! Commands about a community name it by `community` (its name, any case): the handler derives
//! the id, so no read model sits between a write and its stream.

use event_schemas::communities::{ContentRef, Visibility};
use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommentId, PostId, ReportId, UserId};

use crate::CONTEXT;

/// Every command the communities context takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CommunitiesCommand {
    /// On a community's own stream: creation, settings, moderators.
    Community(CommunityRequest),
    /// On a member's stream in a community: join, leave, ban, unban.
    Membership(MembershipRequest),
    Post(PostRequest),
    Comment(CommentRequest),
    /// On a voter's stream for one post or comment.
    Vote(VoteRequest),
    Report(ReportRequest),
}

impl shared_kernel::ContextCommand for CommunitiesCommand {
    const CONTEXT: &'static str = CONTEXT;
}

/// What a moderator does to a post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostModeration {
    Remove,
    Restore,
    Lock,
    Unlock,
    Pin,
    Unpin,
}

/// What a moderator does to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentModeration {
    Remove,
    Restore,
}

/// A new community, as the request body and the command's payload both have it (the same
/// JSON either way: the enum's variant wraps it without a layer of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunity {
    /// 3 to 21 of `a-z`, `0-9` and `_` (compared and kept lower-case).
    #[schema(min_length = 3, max_length = 21, example = "rustlang")]
    pub name: String,
    /// 1 to 100 characters, one line.
    #[schema(
        min_length = 1,
        max_length = 100,
        example = "The Rust programming language"
    )]
    pub title: String,
    /// Up to 5,000 characters.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Each 1 to 500 characters.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub visibility: Visibility,
}

/// A command on a community's own stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum CommunityRequest {
    CreateCommunity(CreateCommunity),
    /// Fields left `None` keep their value.
    ChangeCommunitySettings {
        community: String,
        title: Option<String>,
        description: Option<String>,
        rules: Option<Vec<String>>,
        visibility: Option<Visibility>,
    },
    AppointModerator {
        community: String,
        user_id: UserId,
    },
    RemoveModerator {
        community: String,
        user_id: UserId,
    },
}

/// A command on a member's stream in a community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum MembershipRequest {
    /// The sender joins, or (a moderator) admits `user_id`.
    JoinCommunity {
        community: String,
        #[serde(default)]
        user_id: Option<UserId>,
    },
    LeaveCommunity {
        community: String,
    },
    BanUser {
        community: String,
        user_id: UserId,
        reason: String,
        #[serde(default)]
        expires_at: Option<Timestamp>,
    },
    UnbanUser {
        community: String,
        user_id: UserId,
        #[serde(default)]
        reason: Option<String>,
    },
}

/// A command on a post's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum PostRequest {
    /// A text post (`body`) or a link post (`url`).
    CreatePost {
        community: String,
        post_id: PostId,
        title: String,
        #[serde(default)]
        body: Option<String>,
        #[serde(default)]
        url: Option<String>,
    },
    EditPost {
        post_id: PostId,
        title: Option<String>,
        body: Option<String>,
        url: Option<String>,
    },
    DeletePost {
        post_id: PostId,
    },
    ModeratePost {
        post_id: PostId,
        action: PostModeration,
        #[serde(default)]
        reason: Option<String>,
    },
}

/// A command on a comment's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum CommentRequest {
    /// A top-level comment, or a reply to `parent_id`.
    CreateComment {
        post_id: PostId,
        comment_id: CommentId,
        #[serde(default)]
        parent_id: Option<CommentId>,
        body: String,
    },
    EditComment {
        comment_id: CommentId,
        body: String,
    },
    DeleteComment {
        comment_id: CommentId,
    },
    ModerateComment {
        comment_id: CommentId,
        action: CommentModeration,
        reason: String,
    },
}

/// A vote on a post or a comment: `1` up, `-1` down, `0` withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum VoteRequest {
    VotePost { post_id: PostId, value: i32 },
    VoteComment { comment_id: CommentId, value: i32 },
}

/// A command on a report's stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum ReportRequest {
    FileReport {
        report_id: ReportId,
        target: ContentRef,
        reason: String,
    },
    ResolveReport {
        report_id: ReportId,
        resolution: String,
    },
}

macro_rules! into_command {
    ($($request:ident => $variant:ident),+ $(,)?) => {
        $(impl From<$request> for CommunitiesCommand {
            fn from(request: $request) -> Self {
                Self::$variant(request)
            }
        }

        impl $request {
            /// The command as the bus carries it.
            #[must_use]
            pub fn into_command(self) -> CommunitiesCommand {
                CommunitiesCommand::$variant(self)
            }
        })+
    };
}

into_command!(
    CommunityRequest => Community,
    MembershipRequest => Membership,
    PostRequest => Post,
    CommentRequest => Comment,
    VoteRequest => Vote,
    ReportRequest => Report,
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_wire_form_is_the_inner_command_s() {
        let post_id = PostId::new();
        let command = CommunitiesCommand::from(VoteRequest::VotePost { post_id, value: 1 });
        let wire = serde_json::to_value(&command).unwrap();
        assert_eq!(
            wire,
            json!({ "name": "vote_post", "payload": { "post_id": post_id, "value": 1 } })
        );
        assert_eq!(
            serde_json::from_value::<CommunitiesCommand>(wire).unwrap(),
            command
        );
        let create = json!({
            "name": "create_community",
            "payload": { "name": "chess", "title": "Chess" }
        });
        assert!(matches!(
            serde_json::from_value::<CommunitiesCommand>(create).unwrap(),
            CommunitiesCommand::Community(CommunityRequest::CreateCommunity(c)) if c.name == "chess"
        ));
        let leave = json!({ "name": "leave_community", "payload": { "community": "chess" } });
        assert!(matches!(
            serde_json::from_value::<CommunitiesCommand>(leave).unwrap(),
            CommunitiesCommand::Membership(MembershipRequest::LeaveCommunity { .. })
        ));
        let unknown = json!({ "name": "launch_rocket", "payload": {} });
        assert!(serde_json::from_value::<CommunitiesCommand>(unknown).is_err());
    }
}
