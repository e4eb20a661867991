//! Pure domain code: no clock, no I/O, no async.
//!
//! One aggregate per consistency boundary, each small on purpose:
//!
//! | aggregate | stream | holds |
//! |---|---|---|
//! | [`Community`] | `community-<id>` | owner, moderators, visibility, rules |
//! | [`Membership`] | `membership-<community_id>_<user_id>` | joined or not, ban and its expiry |
//! | [`Post`] | `post-<id>` | content and revisions, deleted, removed, locked, pinned |
//! | [`Comment`] | `comment-<id>` | body, place in the tree, deleted, removed |
//! | [`Vote`] | `vote-<target_id>_<voter_id>` | one voter's current vote on one target |
//! | [`Report`] | `report-<id>` | what was reported, and whether it is resolved |
//!
//! Rules that span aggregates (may this user post here? is this post locked?) are decided on
//! plain facts the application layer reads from the other streams and passes in
//! ([`Standing`], [`PostFacts`], [`ParentFacts`]): decide stays pure, and a huge community
//! never has to load a huge stream. The facts are a snapshot read just before the command;
//! a ban that lands concurrently with a post applies from the next command on.

mod comment;
mod community;
mod error;
mod membership;
mod post;
mod report;
mod standing;
mod vote;

pub use comment::{Comment, CommentCommand, NewComment, ParentFacts, PostFacts};
pub use community::{
    Community, CommunityCommand, NewCommunity, community_id_for, normalize_name, validate_name,
};
pub use error::CommunitiesError;
pub use membership::{Ban, Membership, MembershipCommand, membership_stream_key};
pub use post::{NewPost, Post, PostCommand};
pub use report::{Report, ReportCommand};
pub use standing::Standing;
pub use vote::{Vote, VoteCommand, vote_stream_key};
