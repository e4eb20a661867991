//! Events of the `communities` context: communities, their members, moderators and bans, posts,
//! comments, votes and reports.
//!
//! | type | version | stream |
//! |---|---|---|
//! | `agora.communities.community_created` | 1 | `community-<id>` |
//! | `agora.communities.community_settings_changed` | 1 | `community-<id>` |
//! | `agora.communities.moderator_appointed` | 1 | `community-<id>` |
//! | `agora.communities.moderator_removed` | 1 | `community-<id>` |
//! | `agora.communities.member_joined` | 1 | `membership-<community_id>_<user_id>` |
//! | `agora.communities.member_left` | 1 | `membership-<community_id>_<user_id>` |
//! | `agora.communities.user_banned` | 1 | `membership-<community_id>_<user_id>` |
//! | `agora.communities.user_unbanned` | 1 | `membership-<community_id>_<user_id>` |
//! | `agora.communities.post_created` | 1 | `post-<id>` |
//! | `agora.communities.post_edited` | 1 | `post-<id>` |
//! | `agora.communities.post_deleted` | 1 | `post-<id>` |
//! | `agora.communities.post_removed` | 1 | `post-<id>` |
//! | `agora.communities.post_restored` | 1 | `post-<id>` |
//! | `agora.communities.post_locked` | 1 | `post-<id>` |
//! | `agora.communities.post_unlocked` | 1 | `post-<id>` |
//! | `agora.communities.post_pinned` | 1 | `post-<id>` |
//! | `agora.communities.post_unpinned` | 1 | `post-<id>` |
//! | `agora.communities.comment_created` | 1 | `comment-<id>` |
//! | `agora.communities.comment_edited` | 1 | `comment-<id>` |
//! | `agora.communities.comment_deleted` | 1 | `comment-<id>` |
//! | `agora.communities.comment_removed` | 1 | `comment-<id>` |
//! | `agora.communities.comment_restored` | 1 | `comment-<id>` |
//! | `agora.communities.vote_cast` | 1 | `vote-<target_id>_<voter_id>` |
//! | `agora.communities.report_filed` | 1 | `report-<id>` |
//! | `agora.communities.report_resolved` | 1 | `report-<id>` |
//!
//! Every event is self-sufficient for a projection: it names its community (and post, for
//! comments and votes), so no projection has to look another one up. The time of an event is
//! its `Recorded.recorded_at`; only times that are *data* (a ban's expiry) are fields.
//!
//! **Community ids** are not random: `community_id` is the UUIDv5 of the lower-cased name in a
//! fixed namespace (see the communities crate's `community_id_for`), so a name resolves to its
//! stream without any read model, and two racing creations of one name meet on the same stream,
//! where the store's `(stream_id, stream_version)` uniqueness lets exactly one win.
//!
//! **Membership** is one small stream per (community, user), so a huge community never loads a
//! huge stream. A ban lives there too: `expires_at: None` is permanent.
//!
//! **Comment paths** (materialized path): `path` is the parent's path, a `.`, then the comment's
//! own id; a top-level comment's path is its own id. `depth` is 0 for top-level comments.
//! Comment ids are UUIDv7 strings (fixed length, lower-case hex, time-ordered), so sorting
//! comments of one post by `path` gives depth-first tree order, siblings oldest first, and a
//! subtree is a prefix range (`path LIKE '<path>.%'`).
//!
//! **Votes**: one stream per (target, voter), so concurrent voters never contend. `vote_cast`
//! carries the new `value` (`1`, `-1`, or `0` = retracted) and the `previous` one, so a
//! projection applies the exact delta without reading state: `score += value - previous`,
//! `ups += (value == 1) - (previous == 1)`, `downs += (value == -1) - (previous == -1)`.
//!
//! **Moderation** is always an event naming the moderator and a reason; a removal is undone by
//! a restore event, never by deleting anything. An author's delete (`post_deleted`,
//! `comment_deleted`) is final; a deleted comment keeps its place in the tree.
//!
//! **Post revisions**: `post_created` is revision 1; every `post_edited` carries the complete new
//! content and its `revision` (2, 3, ...), so the history of a post is its stream.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_kernel::ids::{CommentId, CommunityId, PostId, ReportId, UserId};
use shared_kernel::{DecodeError, DomainEvent, Timestamp};

use crate::upcast::{Catalogue, Upcaster, decode_event, event_data};

pub const COMMUNITY_CREATED: &str = "agora.communities.community_created";
pub const COMMUNITY_SETTINGS_CHANGED: &str = "agora.communities.community_settings_changed";
pub const MODERATOR_APPOINTED: &str = "agora.communities.moderator_appointed";
pub const MODERATOR_REMOVED: &str = "agora.communities.moderator_removed";
pub const MEMBER_JOINED: &str = "agora.communities.member_joined";
pub const MEMBER_LEFT: &str = "agora.communities.member_left";
pub const USER_BANNED: &str = "agora.communities.user_banned";
pub const USER_UNBANNED: &str = "agora.communities.user_unbanned";
pub const POST_CREATED: &str = "agora.communities.post_created";
pub const POST_EDITED: &str = "agora.communities.post_edited";
pub const POST_DELETED: &str = "agora.communities.post_deleted";
pub const POST_REMOVED: &str = "agora.communities.post_removed";
pub const POST_RESTORED: &str = "agora.communities.post_restored";
pub const POST_LOCKED: &str = "agora.communities.post_locked";
pub const POST_UNLOCKED: &str = "agora.communities.post_unlocked";
pub const POST_PINNED: &str = "agora.communities.post_pinned";
pub const POST_UNPINNED: &str = "agora.communities.post_unpinned";
pub const COMMENT_CREATED: &str = "agora.communities.comment_created";
pub const COMMENT_EDITED: &str = "agora.communities.comment_edited";
pub const COMMENT_DELETED: &str = "agora.communities.comment_deleted";
pub const COMMENT_REMOVED: &str = "agora.communities.comment_removed";
pub const COMMENT_RESTORED: &str = "agora.communities.comment_restored";
pub const VOTE_CAST: &str = "agora.communities.vote_cast";
pub const REPORT_FILED: &str = "agora.communities.report_filed";
pub const REPORT_RESOLVED: &str = "agora.communities.report_resolved";

/// Every communities event type with its current schema version.
pub const CATALOGUE: Catalogue = &[
    (COMMUNITY_CREATED, 1),
    (COMMUNITY_SETTINGS_CHANGED, 1),
    (MODERATOR_APPOINTED, 1),
    (MODERATOR_REMOVED, 1),
    (MEMBER_JOINED, 1),
    (MEMBER_LEFT, 1),
    (USER_BANNED, 1),
    (USER_UNBANNED, 1),
    (POST_CREATED, 1),
    (POST_EDITED, 1),
    (POST_DELETED, 1),
    (POST_REMOVED, 1),
    (POST_RESTORED, 1),
    (POST_LOCKED, 1),
    (POST_UNLOCKED, 1),
    (POST_PINNED, 1),
    (POST_UNPINNED, 1),
    (COMMENT_CREATED, 1),
    (COMMENT_EDITED, 1),
    (COMMENT_DELETED, 1),
    (COMMENT_REMOVED, 1),
    (COMMENT_RESTORED, 1),
    (VOTE_CAST, 1),
    (REPORT_FILED, 1),
    (REPORT_RESOLVED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

/// Who may post in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone may read, join, post, comment and vote (unless banned).
    #[default]
    Public,
    /// Anyone may read; only members (and moderators) may post, comment and vote, and only a
    /// moderator can make someone a member.
    Restricted,
}

impl Visibility {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Restricted => "restricted",
        }
    }
}

/// What a vote or a report is about: `{"kind": "post", "id": ...}` or
/// `{"kind": "comment", "id": ...}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum ContentRef {
    Post(PostId),
    Comment(CommentId),
}

impl ContentRef {
    /// The target's id as a UUID, whatever its kind.
    #[must_use]
    pub const fn uuid(&self) -> &uuid::Uuid {
        match self {
            Self::Post(id) => id.as_uuid(),
            Self::Comment(id) => id.as_uuid(),
        }
    }

    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Post(_) => "post",
            Self::Comment(_) => "comment",
        }
    }
}

// ---------------------------------------------------------------- community-<id>

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityCreated {
    pub community_id: CommunityId,
    /// Lower-case, `[a-z0-9_]`, 3..=21 characters; never changes.
    pub name: String,
    pub title: String,
    pub description: String,
    #[serde(default)]
    pub rules: Vec<String>,
    pub visibility: Visibility,
    /// The creator; also the first moderator (a `moderator_appointed` follows).
    pub owner_id: UserId,
}

/// The new complete settings (not a diff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunitySettingsChanged {
    pub community_id: CommunityId,
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    pub changed_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorAppointed {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub appointed_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeratorRemoved {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub removed_by: UserId,
}

/// The events of a `community-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CommunityEvent {
    #[serde(rename = "agora.communities.community_created")]
    Created(CommunityCreated),
    #[serde(rename = "agora.communities.community_settings_changed")]
    SettingsChanged(CommunitySettingsChanged),
    #[serde(rename = "agora.communities.moderator_appointed")]
    ModeratorAppointed(ModeratorAppointed),
    #[serde(rename = "agora.communities.moderator_removed")]
    ModeratorRemoved(ModeratorRemoved),
}

// ---------------------------------------------------------------- membership-<c>_<u>

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberJoined {
    pub community_id: CommunityId,
    pub user_id: UserId,
    /// The moderator who admitted the user (how one joins a restricted community); `None`
    /// when the user joined by themselves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberLeft {
    pub community_id: CommunityId,
    pub user_id: UserId,
}

/// `user_id` may not post, comment or vote in the community until `expires_at` (forever when
/// `None`). A ban does not end a membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBanned {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub moderator_id: UserId,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserUnbanned {
    pub community_id: CommunityId,
    pub user_id: UserId,
    pub moderator_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The events of a `membership-<community_id>_<user_id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum MembershipEvent {
    #[serde(rename = "agora.communities.member_joined")]
    Joined(MemberJoined),
    #[serde(rename = "agora.communities.member_left")]
    Left(MemberLeft),
    #[serde(rename = "agora.communities.user_banned")]
    Banned(UserBanned),
    #[serde(rename = "agora.communities.user_unbanned")]
    Unbanned(UserUnbanned),
}

// ---------------------------------------------------------------- post-<id>

/// A text post has a `body`, a link post a `url`; never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostCreated {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub community_name: String,
    pub author_id: UserId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The complete new content of a post (revision 2, 3, ...), edited by its author.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostEdited {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub revision: u32,
}

/// The author deleted the post (final).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostDeleted {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
}

/// A moderator action on a post (remove, restore, lock, unlock, pin, unpin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostModerated {
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    /// Required for remove and restore; optional for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The events of a `post-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum PostEvent {
    #[serde(rename = "agora.communities.post_created")]
    Created(PostCreated),
    #[serde(rename = "agora.communities.post_edited")]
    Edited(PostEdited),
    #[serde(rename = "agora.communities.post_deleted")]
    Deleted(PostDeleted),
    #[serde(rename = "agora.communities.post_removed")]
    Removed(PostModerated),
    #[serde(rename = "agora.communities.post_restored")]
    Restored(PostModerated),
    #[serde(rename = "agora.communities.post_locked")]
    Locked(PostModerated),
    #[serde(rename = "agora.communities.post_unlocked")]
    Unlocked(PostModerated),
    #[serde(rename = "agora.communities.post_pinned")]
    Pinned(PostModerated),
    #[serde(rename = "agora.communities.post_unpinned")]
    Unpinned(PostModerated),
}

// ---------------------------------------------------------------- comment-<id>

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentCreated {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    /// `None` for a top-level comment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CommentId>,
    pub author_id: UserId,
    pub body: String,
    /// Materialized path: the parent's path + `.` + own id (own id alone at top level).
    pub path: String,
    /// 0 for a top-level comment, the parent's depth + 1 otherwise.
    pub depth: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentEdited {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
    pub body: String,
    /// 2, 3, ... (`comment_created` is revision 1).
    pub revision: u32,
}

/// The author deleted the comment: its body shows as deleted, its replies stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentDeleted {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub author_id: UserId,
}

/// A moderator removed or restored a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommentModerated {
    pub comment_id: CommentId,
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    pub reason: String,
}

/// The events of a `comment-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum CommentEvent {
    #[serde(rename = "agora.communities.comment_created")]
    Created(CommentCreated),
    #[serde(rename = "agora.communities.comment_edited")]
    Edited(CommentEdited),
    #[serde(rename = "agora.communities.comment_deleted")]
    Deleted(CommentDeleted),
    #[serde(rename = "agora.communities.comment_removed")]
    Removed(CommentModerated),
    #[serde(rename = "agora.communities.comment_restored")]
    Restored(CommentModerated),
}

// ---------------------------------------------------------------- vote-<target>_<voter>

/// A voter's vote on a target is now `value` (1, -1, or 0 = none), and was `previous`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteCast {
    pub target: ContentRef,
    /// The post itself, or the post the comment belongs to.
    pub post_id: PostId,
    pub community_id: CommunityId,
    pub voter_id: UserId,
    pub value: i32,
    pub previous: i32,
}

/// The events of a `vote-<target_id>_<voter_id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum VoteEvent {
    #[serde(rename = "agora.communities.vote_cast")]
    Cast(VoteCast),
}

// ---------------------------------------------------------------- report-<id>

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportFiled {
    pub report_id: ReportId,
    pub community_id: CommunityId,
    pub target: ContentRef,
    /// The post itself, or the post the comment belongs to.
    pub post_id: PostId,
    pub reporter_id: UserId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportResolved {
    pub report_id: ReportId,
    pub community_id: CommunityId,
    pub moderator_id: UserId,
    pub resolution: String,
}

/// The events of a `report-<id>` stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ReportEvent {
    #[serde(rename = "agora.communities.report_filed")]
    Filed(ReportFiled),
    #[serde(rename = "agora.communities.report_resolved")]
    Resolved(ReportResolved),
}

// ---------------------------------------------------------------- DomainEvent impls

fn current_version(event_type: &str) -> u32 {
    CATALOGUE
        .iter()
        .find(|(name, _)| *name == event_type)
        .map_or(1, |(_, v)| *v)
}

macro_rules! domain_event {
    ($enum:ident { $($variant:ident => $name:ident),+ $(,)? }) => {
        impl DomainEvent for $enum {
            fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            fn schema_version(&self) -> u32 {
                current_version(self.event_type())
            }

            fn to_data(&self) -> Result<Value, serde_json::Error> {
                event_data(self)
            }

            fn decode(
                event_type: &str,
                schema_version: u32,
                data: Value,
            ) -> Result<Self, DecodeError> {
                decode_event(CATALOGUE, UPCASTERS, event_type, schema_version, data)
            }
        }
    };
}

domain_event!(CommunityEvent {
    Created => COMMUNITY_CREATED,
    SettingsChanged => COMMUNITY_SETTINGS_CHANGED,
    ModeratorAppointed => MODERATOR_APPOINTED,
    ModeratorRemoved => MODERATOR_REMOVED,
});

domain_event!(MembershipEvent {
    Joined => MEMBER_JOINED,
    Left => MEMBER_LEFT,
    Banned => USER_BANNED,
    Unbanned => USER_UNBANNED,
});

domain_event!(PostEvent {
    Created => POST_CREATED,
    Edited => POST_EDITED,
    Deleted => POST_DELETED,
    Removed => POST_REMOVED,
    Restored => POST_RESTORED,
    Locked => POST_LOCKED,
    Unlocked => POST_UNLOCKED,
    Pinned => POST_PINNED,
    Unpinned => POST_UNPINNED,
});

domain_event!(CommentEvent {
    Created => COMMENT_CREATED,
    Edited => COMMENT_EDITED,
    Deleted => COMMENT_DELETED,
    Removed => COMMENT_REMOVED,
    Restored => COMMENT_RESTORED,
});

domain_event!(VoteEvent { Cast => VOTE_CAST });

domain_event!(ReportEvent {
    Filed => REPORT_FILED,
    Resolved => REPORT_RESOLVED,
});

/// Any event of the communities context, whatever its stream: what a projection that follows
/// the whole context decodes into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyCommunitiesEvent {
    Community(CommunityEvent),
    Membership(MembershipEvent),
    Post(PostEvent),
    Comment(CommentEvent),
    Vote(VoteEvent),
    Report(ReportEvent),
}

impl AnyCommunitiesEvent {
    /// Decodes a stored communities event of any stream kind.
    ///
    /// # Errors
    /// Not a communities event type, a version from the future, or malformed data.
    pub fn decode(event_type: &str, schema_version: u32, data: Value) -> Result<Self, DecodeError> {
        let kind = event_type
            .strip_prefix("agora.communities.")
            .ok_or_else(|| DecodeError::UnknownType {
                event_type: event_type.to_owned(),
                schema_version,
            })?;
        if kind.starts_with("community_") || kind.starts_with("moderator_") {
            CommunityEvent::decode(event_type, schema_version, data).map(Self::Community)
        } else if kind.starts_with("member_") || kind.starts_with("user_") {
            MembershipEvent::decode(event_type, schema_version, data).map(Self::Membership)
        } else if kind.starts_with("post_") {
            PostEvent::decode(event_type, schema_version, data).map(Self::Post)
        } else if kind.starts_with("comment_") {
            CommentEvent::decode(event_type, schema_version, data).map(Self::Comment)
        } else if kind.starts_with("vote_") {
            VoteEvent::decode(event_type, schema_version, data).map(Self::Vote)
        } else {
            ReportEvent::decode(event_type, schema_version, data).map(Self::Report)
        }
    }
}
