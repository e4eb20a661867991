//! Application layer: commands as messages and the handler that runs them.

mod commands;
mod handler;

pub use commands::{CommentModeration, CommunitiesCommand, PostModeration};
pub use handler::CommunitiesHandler;
