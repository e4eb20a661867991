//! The bodies the communities routes answer, as the OpenAPI document describes them.
//!
//! Documentation only: the handlers build these bodies as JSON (the read models' `to_json`,
//! the command handler's reply bodies), never from these types; the tests of
//! [`super`] check that the read models' JSON has exactly the fields described here.

#![allow(dead_code)] // never built: they describe JSON the handlers build

use event_schemas::communities::Visibility;
use utoipa::ToSchema;

/// A community, as `GET /communities/{name}` shows it.
#[derive(Debug, ToSchema)]
pub struct Community {
    #[schema(format = Uuid)]
    pub id: String,
    /// Lower-case, unique.
    #[schema(example = "rustlang")]
    pub name: String,
    #[schema(example = "The Rust programming language")]
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    #[schema(format = Uuid)]
    pub owner_id: String,
    pub member_count: i64,
    /// The user ids of its moderators (the owner among them).
    pub moderators: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

/// A post with its score and comment count. A deleted post, and a removed one for anyone
/// but its author, the community's moderators and admins, keeps its place and counters but
/// not its content (`title`, `body` and `url` are null).
#[derive(Debug, ToSchema)]
pub struct Post {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    pub community_name: String,
    #[schema(format = Uuid)]
    pub author_id: String,
    pub title: Option<String>,
    /// A text post's body (a link post has none).
    pub body: Option<String>,
    /// A link post's URL (a text post has none).
    pub url: Option<String>,
    /// 1 when created, one more per edit.
    pub revision: i64,
    #[schema(format = DateTime)]
    pub published_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    /// Upvotes minus downvotes.
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub comment_count: i64,
    pub hot_rank: f64,
    pub controversy_rank: f64,
    pub removed: bool,
    pub deleted: bool,
    pub locked: bool,
    pub pinned: bool,
}

/// A comment with the replies the page loaded. A deleted or removed comment keeps its place
/// (its replies hang under it) but not its body (null).
#[derive(Debug, ToSchema)]
pub struct Comment {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub post_id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    /// The comment this one replies to; null for a top-level comment.
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    /// The ids from the top-level comment down to this one, dot-separated.
    pub path: String,
    /// 0 for a top-level comment.
    pub depth: i64,
    #[schema(format = Uuid)]
    pub author_id: String,
    pub body: Option<String>,
    pub deleted: bool,
    pub removed: bool,
    pub revision: i64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub edited_at: Option<String>,
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
    pub hot_rank: f64,
    /// Its direct replies, loaded or not.
    pub child_count: i64,
    /// The replies the page loaded (down to `max_depth`); always empty in the live stream.
    #[schema(no_recursion)]
    pub replies: Vec<Comment>,
    /// It has replies the page did not load (below `max_depth`, or past the page's cap):
    /// fetch them with `parent_id`.
    pub more_replies: bool,
}

/// What a report or a moderator action is about.
#[derive(Debug, ToSchema)]
pub struct ActionTarget {
    /// `post`, `comment`, `user`, `community` or `report` (reports are about posts and
    /// comments only).
    #[schema(example = "post")]
    pub kind: String,
    pub id: String,
}

/// A report about a post or comment, as moderators read the queue.
#[derive(Debug, ToSchema)]
pub struct Report {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    pub target: ActionTarget,
    /// The post reported, or the post of the comment reported.
    #[schema(format = Uuid)]
    pub post_id: String,
    #[schema(format = Uuid)]
    pub reporter_id: String,
    pub reason: String,
    /// `open` or `resolved`.
    #[schema(example = "open")]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = Uuid)]
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
}

/// One moderator action of a community's (public) moderation log.
#[derive(Debug, ToSchema)]
pub struct ModlogEntry {
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    #[schema(format = Uuid)]
    pub moderator_id: String,
    /// `remove_post`, `restore_post`, `lock_post`, `unlock_post`, `pin_post`, `unpin_post`,
    /// `remove_comment`, `restore_comment`, `ban_user`, `unban_user`, `appoint_moderator`,
    /// `remove_moderator`, `change_settings` or `resolve_report`.
    #[schema(example = "remove_post")]
    pub action: String,
    pub target: ActionTarget,
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// A user's karma in one community.
#[derive(Debug, ToSchema)]
pub struct CommunityKarma {
    #[schema(format = Uuid)]
    pub community_id: String,
    pub community_name: Option<String>,
    pub karma: i64,
}

/// A user's karma: the total, and a page of it per community (highest first).
#[derive(Debug, ToSchema)]
pub struct UserKarma {
    #[schema(format = Uuid)]
    pub user_id: String,
    pub total: i64,
    pub items: Vec<CommunityKarma>,
    /// Send as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// A page of a community's feed.
#[derive(Debug, ToSchema)]
pub struct PostPage {
    pub items: Vec<Post>,
    /// Send as `cursor` (with the same `sort` and `t`) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of a post's comment tree (or of one comment's replies).
#[derive(Debug, ToSchema)]
pub struct CommentPage {
    pub items: Vec<Comment>,
    /// Send as `cursor` (with the same `sort` and `parent_id`) for the next page; null on the
    /// last.
    pub next_cursor: Option<String>,
}

/// A page of a community's report queue, newest first.
#[derive(Debug, ToSchema)]
pub struct ReportPage {
    pub items: Vec<Report>,
    /// Send as `cursor` (with the same `status`) for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A page of a community's moderation log, newest first.
#[derive(Debug, ToSchema)]
pub struct ModlogPage {
    pub items: Vec<ModlogEntry>,
    /// Send as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

// The replies of the write routes (the command handler's bodies).

/// A community created or whose settings changed.
#[derive(Debug, ToSchema)]
pub struct CommunityReply {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(example = "rustlang")]
    pub name: String,
}

/// A membership after a join or a leave.
#[derive(Debug, ToSchema)]
pub struct MembershipReply {
    /// The community's name.
    pub community: String,
    #[schema(format = Uuid)]
    pub user_id: String,
    pub member: bool,
}

/// A moderator appointed or removed.
#[derive(Debug, ToSchema)]
pub struct ModeratorReply {
    /// The community's name.
    pub community: String,
    #[schema(format = Uuid)]
    pub user_id: String,
    pub moderator: bool,
}

/// A user banned or unbanned.
#[derive(Debug, ToSchema)]
pub struct BanReply {
    /// The community's name.
    pub community: String,
    #[schema(format = Uuid)]
    pub user_id: String,
    pub banned: bool,
    /// A ban's end (null: until unbanned); only in the reply to a ban.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

/// A post created.
#[derive(Debug, ToSchema)]
pub struct PostCreatedReply {
    #[schema(format = Uuid)]
    pub id: String,
    /// The community's name.
    pub community: String,
}

/// A post or comment edited, or a report filed: its id.
#[derive(Debug, ToSchema)]
pub struct IdReply {
    #[schema(format = Uuid)]
    pub id: String,
}

/// A post or comment deleted by its author.
#[derive(Debug, ToSchema)]
pub struct DeletedReply {
    #[schema(format = Uuid)]
    pub id: String,
    pub deleted: bool,
}

/// A moderator's action on a post or comment.
#[derive(Debug, ToSchema)]
pub struct ModerationReply {
    #[schema(format = Uuid)]
    pub id: String,
    /// `remove`, `restore`, `lock`, `unlock`, `pin` or `unpin` (comments: `remove`, `restore`).
    #[schema(example = "remove")]
    pub action: String,
}

/// A vote recorded (a repeated vote changes nothing and answers the same).
#[derive(Debug, ToSchema)]
pub struct VoteReply {
    /// The post or comment voted on.
    #[schema(format = Uuid)]
    pub id: String,
    /// 1, -1, or 0 (the vote withdrawn).
    pub value: i32,
}

/// A comment created.
#[derive(Debug, ToSchema)]
pub struct CommentCreatedReply {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub post_id: String,
    #[schema(format = Uuid)]
    pub parent_id: Option<String>,
    pub depth: i64,
}

/// A report resolved.
#[derive(Debug, ToSchema)]
pub struct ReportResolvedReply {
    #[schema(format = Uuid)]
    pub id: String,
    pub resolved: bool,
}

pub use http_kernel::PendingCommand;
