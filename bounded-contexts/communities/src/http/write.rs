//! The write routes of `/api/v1` for communities (see shared/API.md): each turns a request into
//! one command sent over the bus, and answers 201/200 with `Agora-Position`, or 202 with the
//! command's status location when the reply does not come in time.
//!
//! No route reads a read model: a `{name}` is resolved by the handler (the community id is
//! derived from the name), so writes never wait for projections.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{delete, post, put};
use event_schemas::communities::{ContentRef, Visibility};
use http_kernel::{ApiError, Caller, CommandIds, Json, OptionalJson, Path};
use serde::Deserialize;
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommentId, PostId, ReportId, UserId};

use super::CommunitiesApi;
use crate::application::{CommentModeration, CommunitiesCommand, PostModeration};

/// The write routes; merged with the read routes by [`super::router`].
pub fn routes() -> Router<CommunitiesApi> {
    Router::new()
        .route("/api/v1/communities", post(create_community))
        .route(
            "/api/v1/communities/{name}",
            axum::routing::patch(change_settings),
        )
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
        .route(
            "/api/v1/posts/{id}",
            axum::routing::patch(edit_post).delete(delete_post),
        )
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
            axum::routing::patch(edit_comment).delete(delete_comment),
        )
        .route("/api/v1/comments/{id}/vote", put(vote_comment))
        .route("/api/v1/comments/{id}/remove", post(remove_comment))
        .route("/api/v1/comments/{id}/restore", post(restore_comment))
        .route("/api/v1/comments/{id}/reports", post(report_comment))
        .route("/api/v1/reports/{id}/resolve", post(resolve_report))
}

// ------------------------------------------------------------------ request bodies

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateCommunity {
    name: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    visibility: Visibility,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeSettings {
    title: Option<String>,
    description: Option<String>,
    rules: Option<Vec<String>>,
    visibility: Option<Visibility>,
}

/// Empty to join oneself; a moderator names the user to admit.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Join {
    user_id: Option<UserId>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRef {
    user_id: UserId,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BanRequest {
    user_id: UserId,
    reason: String,
    expires_at: Option<Timestamp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreatePost {
    title: String,
    body: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditPost {
    title: Option<String>,
    body: Option<String>,
    url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CastVote {
    value: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateComment {
    body: String,
    parent_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditComment {
    body: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reason {
    reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionalReason {
    reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resolve {
    resolution: String,
}

// ------------------------------------------------------------------ helpers

/// Sends `command` under the request's command id and turns the reply into `status` + the
/// handler's body.
async fn send(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    command: &CommunitiesCommand,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let envelope = command
        .envelope(ids.command_id(), caller.user_id)
        .map_err(ApiError::internal)?;
    http_kernel::send_command(api.bus.as_ref(), envelope, "communities", status, None).await
}

/// Like [`send`], with a `Location` header on success.
async fn send_created(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    command: &CommunitiesCommand,
    location: &str,
) -> Result<Response, ApiError> {
    let mut response = send(api, caller, ids, command, StatusCode::CREATED).await?;
    if response.status() == StatusCode::CREATED
        && let Ok(value) = HeaderValue::from_str(location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

fn parse<T: std::str::FromStr>(id: &str, what: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::NotFound(what.into()))
}

// ------------------------------------------------------------------ communities

async fn create_community(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Json(req): Json<CreateCommunity>,
) -> Result<Response, ApiError> {
    let location = format!(
        "/api/v1/communities/{}",
        crate::domain::normalize_name(&req.name)
    );
    let command = CommunitiesCommand::CreateCommunity {
        name: req.name,
        title: req.title,
        description: req.description,
        rules: req.rules,
        visibility: req.visibility,
    };
    send_created(&api, &caller, ids, &command, &location).await
}

async fn change_settings(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<ChangeSettings>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ChangeCommunitySettings {
        community: name,
        title: req.title,
        description: req.description,
        rules: req.rules,
        visibility: req.visibility,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn join(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    OptionalJson(req): OptionalJson<Join>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::JoinCommunity {
        community: name,
        user_id: req.user_id,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn leave(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::LeaveCommunity { community: name };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn appoint_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<UserRef>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::AppointModerator {
        community: name,
        user_id: req.user_id,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn remove_moderator(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::RemoveModerator {
        community: name,
        user_id: parse(&user_id, "moderator")?,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn ban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<BanRequest>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::BanUser {
        community: name,
        user_id: req.user_id,
        reason: req.reason,
        expires_at: req.expires_at,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn unban(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path((name, user_id)): Path<(String, String)>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::UnbanUser {
        community: name,
        user_id: parse(&user_id, "ban")?,
        reason: req.reason,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

// ------------------------------------------------------------------ posts

async fn create_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(name): Path<String>,
    Json(req): Json<CreatePost>,
) -> Result<Response, ApiError> {
    let post_id = PostId::derived(ids.command_id(), "post");
    let command = CommunitiesCommand::CreatePost {
        community: name,
        post_id,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    send_created(
        &api,
        &caller,
        ids,
        &command,
        &format!("/api/v1/posts/{post_id}"),
    )
    .await
}

async fn edit_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditPost>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::EditPost {
        post_id: parse(&id, "post")?,
        title: req.title,
        body: req.body,
        url: req.url,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn delete_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::DeletePost {
        post_id: parse(&id, "post")?,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn vote_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::VotePost {
        post_id: parse(&id, "post")?,
        value: req.value,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn moderate_post(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    id: &str,
    action: PostModeration,
    reason: Option<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModeratePost {
        post_id: parse(id, "post")?,
        action,
        reason,
    };
    send(api, caller, ids, &command, StatusCode::OK).await
}

async fn remove_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    moderate_post(
        &api,
        &caller,
        ids,
        &id,
        PostModeration::Remove,
        Some(req.reason),
    )
    .await
}

async fn restore_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    moderate_post(
        &api,
        &caller,
        ids,
        &id,
        PostModeration::Restore,
        Some(req.reason),
    )
    .await
}

async fn lock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Lock, req.reason).await
}

async fn unlock_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    OptionalJson(req): OptionalJson<OptionalReason>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unlock, req.reason).await
}

async fn pin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Pin, None).await
}

async fn unpin_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    moderate_post(&api, &caller, ids, &id, PostModeration::Unpin, None).await
}

// ------------------------------------------------------------------ comments

async fn create_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CreateComment>,
) -> Result<Response, ApiError> {
    let parent_id = req
        .parent_id
        .as_deref()
        .map(|p| {
            p.parse::<CommentId>()
                .map_err(|_| ApiError::Validation("parent_id is not a comment id".into()))
        })
        .transpose()?;
    let comment_id = CommentId::derived(ids.command_id(), "comment");
    let command = CommunitiesCommand::CreateComment {
        post_id: parse(&id, "post")?,
        comment_id,
        parent_id,
        body: req.body,
    };
    send_created(
        &api,
        &caller,
        ids,
        &command,
        &format!("/api/v1/comments/{comment_id}"),
    )
    .await
}

async fn edit_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<EditComment>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::EditComment {
        comment_id: parse(&id, "comment")?,
        body: req.body,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn delete_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::DeleteComment {
        comment_id: parse(&id, "comment")?,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn vote_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<CastVote>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::VoteComment {
        comment_id: parse(&id, "comment")?,
        value: req.value,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn remove_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModerateComment {
        comment_id: parse(&id, "comment")?,
        action: CommentModeration::Remove,
        reason: req.reason,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

async fn restore_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ModerateComment {
        comment_id: parse(&id, "comment")?,
        action: CommentModeration::Restore,
        reason: req.reason,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}

// ------------------------------------------------------------------ reports

async fn file_report(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    target: ContentRef,
    reason: String,
) -> Result<Response, ApiError> {
    let report_id = ReportId::derived(ids.command_id(), "report");
    let command = CommunitiesCommand::FileReport {
        report_id,
        target,
        reason,
    };
    send_created(
        api,
        caller,
        ids,
        &command,
        &format!("/api/v1/reports/{report_id}"),
    )
    .await
}

async fn report_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Post(parse(&id, "post")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

async fn report_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Comment(parse(&id, "comment")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

async fn resolve_report(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Resolve>,
) -> Result<Response, ApiError> {
    let command = CommunitiesCommand::ResolveReport {
        report_id: parse(&id, "report")?,
        resolution: req.resolution,
    };
    send(&api, &caller, ids, &command, StatusCode::OK).await
}
