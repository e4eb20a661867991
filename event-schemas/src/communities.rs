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

mod comment;
mod community;
mod membership;
mod post;
mod report;
mod vote;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared_kernel::ids::{CommentId, PostId};
use shared_kernel::{DecodeError, DomainEvent};

use crate::upcast::{Catalogue, Upcaster};

pub use comment::{CommentCreated, CommentDeleted, CommentEdited, CommentEvent, CommentModerated};
pub use community::{
    CommunityCreated, CommunityEvent, CommunitySettingsChanged, ModeratorAppointed,
    ModeratorRemoved,
};
pub use membership::{MemberJoined, MemberLeft, MembershipEvent, UserBanned, UserUnbanned};
pub use post::{PostCreated, PostDeleted, PostEdited, PostEvent, PostModerated};
pub use report::{ReportEvent, ReportFiled, ReportResolved};
pub use vote::{VoteCast, VoteEvent};

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
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    Default,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
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

// ---------------------------------------------------------------- DomainEvent impls

crate::domain_event!(CommunityEvent, CATALOGUE, UPCASTERS, {
    Created => COMMUNITY_CREATED,
    SettingsChanged => COMMUNITY_SETTINGS_CHANGED,
    ModeratorAppointed => MODERATOR_APPOINTED,
    ModeratorRemoved => MODERATOR_REMOVED,
});

crate::domain_event!(MembershipEvent, CATALOGUE, UPCASTERS, {
    Joined => MEMBER_JOINED,
    Left => MEMBER_LEFT,
    Banned => USER_BANNED,
    Unbanned => USER_UNBANNED,
});

crate::domain_event!(PostEvent, CATALOGUE, UPCASTERS, {
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

crate::domain_event!(CommentEvent, CATALOGUE, UPCASTERS, {
    Created => COMMENT_CREATED,
    Edited => COMMENT_EDITED,
    Deleted => COMMENT_DELETED,
    Removed => COMMENT_REMOVED,
    Restored => COMMENT_RESTORED,
});

crate::domain_event!(VoteEvent, CATALOGUE, UPCASTERS, { Cast => VOTE_CAST });

crate::domain_event!(ReportEvent, CATALOGUE, UPCASTERS, {
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
