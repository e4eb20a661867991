//! The write routes of `/api/v1` for communities (see shared/API.md): each turns a request into
//! one command sent over the bus, and answers 201/200 with `Agora-Position`, or 202 with the
//! command's status location when the reply does not come in time. One file per resource:
//! [`communities`] (with members, moderators and bans), [`posts`] (and [`post_moderation`]),
//! [`comments`], [`reports`].
//!
//! No route reads a read model: a `{name}` is resolved by the handler (the community id is
//! derived from the name), so writes never wait for projections.

pub(super) mod comments;
pub(super) mod communities;
pub(super) mod post_moderation;
pub(super) mod posts;
pub(super) mod reports;

use axum::Router;
use axum::routing::{delete, patch, post, put};
use http_kernel::ApiError;
use serde::Deserialize;
use utoipa::ToSchema;

use super::CommunitiesApi;
use comments::{
    create_comment, delete_comment, edit_comment, remove_comment, restore_comment, vote_comment,
};
use communities::{
    appoint_moderator, ban, change_settings, create_community, join, leave, remove_moderator, unban,
};
use post_moderation::{lock_post, pin_post, remove_post, restore_post, unlock_post, unpin_post};
use posts::{create_post, delete_post, edit_post, vote_post};
use reports::{report_comment, report_post, resolve_report};

/// The write routes; merged with the read routes by [`super::router`].
pub fn routes() -> Router<CommunitiesApi> {
    Router::new()
        .route("/api/v1/communities", post(create_community))
        .route("/api/v1/communities/{name}", patch(change_settings))
        .route(
            "/api/v1/communities/{name}/members",
            post(join).delete(leave),
        )
        .route(
            "/api/v1/communities/{name}/moderators",
            post(appoint_moderator),
        )
        .route(
            "/api/v1/communities/{name}/moderators/{user_id}",
            delete(remove_moderator),
        )
        .route("/api/v1/communities/{name}/bans", post(ban))
        .route("/api/v1/communities/{name}/bans/{user_id}", delete(unban))
        .route("/api/v1/communities/{name}/posts", post(create_post))
        .route("/api/v1/posts/{id}", patch(edit_post).delete(delete_post))
        .route("/api/v1/posts/{id}/vote", put(vote_post))
        .route("/api/v1/posts/{id}/comments", post(create_comment))
        .route("/api/v1/posts/{id}/remove", post(remove_post))
        .route("/api/v1/posts/{id}/restore", post(restore_post))
        .route("/api/v1/posts/{id}/lock", post(lock_post))
        .route("/api/v1/posts/{id}/unlock", post(unlock_post))
        .route("/api/v1/posts/{id}/pin", post(pin_post))
        .route("/api/v1/posts/{id}/unpin", post(unpin_post))
        .route("/api/v1/posts/{id}/reports", post(report_post))
        .route(
            "/api/v1/comments/{id}",
            patch(edit_comment).delete(delete_comment),
        )
        .route("/api/v1/comments/{id}/vote", put(vote_comment))
        .route("/api/v1/comments/{id}/remove", post(remove_comment))
        .route("/api/v1/comments/{id}/restore", post(restore_comment))
        .route("/api/v1/comments/{id}/reports", post(report_comment))
        .route("/api/v1/reports/{id}/resolve", post(resolve_report))
}

/// A vote on a post or comment (the value rules are the vote aggregate's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CastVote {
    /// `1` up, `-1` down, `0` no vote.
    #[schema(minimum = -1, maximum = 1, example = 1)]
    pub value: i32,
}

/// Why (a report, a moderator's removal or restoration).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reason {
    /// 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// An optional reason (the body may also be empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct OptionalReason {
    /// Up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// The id in a path, or 404 naming `what` when it is not one.
fn parse<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound(what.into()))
}
