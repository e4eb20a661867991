//! Application layer: commands as messages and the handler that runs them, one file per
//! aggregate the commands change.

mod commands;
mod comment;
mod community;
mod handler;
mod membership;
mod post;
mod report;
mod vote;

pub use commands::{CommentModeration, CommunitiesCommand, CreateCommunity, PostModeration};
pub use handler::CommunitiesHandler;
