//! The communities commands as they travel on the command bus (`{"name": ..., "payload": ...}`).
//!
//! Commands about a community name it by `community` (its name, any case): the handler derives
//! the id, so no read model sits between a write and its stream.

use event_schemas::communities::{ContentRef, Visibility};
use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommentId, PostId, ReportId, UserId};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum CommunitiesCommand {
    CreateCommunity(CreateCommunity),
    ChangeCommunitySettings {
        community: String,
        title: Option<String>,
        description: Option<String>,
        rules: Option<Vec<String>>,
        visibility: Option<Visibility>,
    },
    /// The sender joins, or (a moderator) admits `user_id`.
    JoinCommunity {
        community: String,
        #[serde(default)]
        user_id: Option<UserId>,
    },
    LeaveCommunity {
        community: String,
    },
    AppointModerator {
        community: String,
        user_id: UserId,
    },
    RemoveModerator {
        community: String,
        user_id: UserId,
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
    VotePost {
        post_id: PostId,
        value: i32,
    },
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
    VoteComment {
        comment_id: CommentId,
        value: i32,
    },
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
