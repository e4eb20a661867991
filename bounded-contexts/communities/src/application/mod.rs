//! Application layer: commands as messages (one enum per aggregate they change), the handler
//! that runs them (one file per aggregate) and their typed replies.

mod commands;
mod comment;
mod community;
mod handler;
mod membership;
mod post;
mod replies;
mod report;
mod vote;

pub use commands::{
    CommentModeration, CommentRequest, CommunitiesCommand, CommunityRequest, CreateCommunity,
    MembershipRequest, PostModeration, PostRequest, ReportRequest, VoteRequest,
};
pub use handler::CommunitiesHandler;
pub use replies::{
    BanReply, CommentCreatedReply, CommunityReply, DeletedReply, IdReply, MembershipReply,
    ModerationAction, ModerationReply, ModeratorReply, PostCreatedReply, ReportResolvedReply,
    VoteReply,
};
