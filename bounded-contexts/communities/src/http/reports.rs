//! Reports of a post or comment (`/api/v1/posts/{id}/reports`, `/comments/{id}/reports`), a
//! community's report queue and their resolution by its moderators, and its public
//! moderation log (`/api/v1/communities/{name}/reports`, `/modlog`).

use axum::extract::State;
use event_schemas::communities::ContentRef;
use http_kernel::{ApiError, Caller, CommandIds, Json, Page, Paged, Path, Query, Written};
use serde::Deserialize;
use shared_kernel::RejectionKind;
use shared_kernel::ids::ReportId;
use utoipa::{IntoParams, ToSchema};

use super::comments::COMMENT_ID;
use super::posts::POST_ID;
use super::{CommunitiesApi, NAME, Reason, community, parse};
use crate::application::{IdReply, ReportRequest, ReportResolvedReply};
use crate::projections::{
    MODLOG_CURSOR, ModlogEntry, Report, ReportStatus, is_moderator, modlog_page, reports_page,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ResolveReport)]
pub(super) struct Resolve {
    /// What was done about it: 1 to 1,000 characters.
    #[schema(min_length = 1, max_length = 1000)]
    resolution: String,
}

/// Which reports of the queue.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct QueueQuery {
    /// Which reports (default `open`). A cursor is only valid with the `status` it came with.
    #[param(inline)]
    status: Option<ReportStatus>,
}

async fn file_report(
    api: &CommunitiesApi,
    caller: &Caller,
    ids: CommandIds,
    target: ContentRef,
    reason: String,
) -> Result<Written<IdReply>, ApiError> {
    let report_id = ReportId::derived(ids.command_id(), "report");
    let command = ReportRequest::FileReport {
        report_id,
        target,
        reason,
    };
    let written: Written<IdReply> = api
        .command_creating(
            caller,
            ids,
            &command.into_command(),
            Some(report_id.to_string()),
        )
        .await?;
    Ok(written.created(|r| format!("/api/v1/reports/{}", r.id)))
}

#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/reports",
    summary = "Report a post",
    description = "To the community's moderators (`GET /communities/{name}/reports`).",
    params(("id" = uuid::Uuid, Path, description = POST_ID)),
    request_body = Reason,
    responses(
        (status = 201, description = "Filed: the report's id", body = IdReply,
            headers(("Location" = String, description = "The report: `/api/v1/reports/{id}`"))),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no post has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn report_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<IdReply>, ApiError> {
    let target = ContentRef::Post(parse(&id, "post")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/comments/{id}/reports",
    summary = "Report a comment",
    description = "To the community's moderators (`GET /communities/{name}/reports`).",
    params(("id" = uuid::Uuid, Path, description = COMMENT_ID)),
    request_body = Reason,
    responses(
        (status = 201, description = "Filed: the report's id", body = IdReply,
            headers(("Location" = String, description = "The report: `/api/v1/reports/{id}`"))),
        (status = 403, description = "`banned`: the caller is banned from the community; `not_a_member`: the community is restricted and the caller is not a member"),
        (status = 404, description = "`not_found`: no comment has this id"),
        (status = 422, description = "`validation_failed`: the reason is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn report_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Written<IdReply>, ApiError> {
    let target = ContentRef::Comment(parse(&id, "comment")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{id}/resolve",
    summary = "Resolve a report (moderator)",
    description = "Logged in the modlog with the resolution.",
    params(("id" = uuid::Uuid, Path, description = "The report's id")),
    request_body = Resolve,
    responses(
        (status = 200, description = "Resolved", body = ReportResolvedReply),
        (status = 403, description = "`not_a_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no report has this id"),
        (status = 409, description = "`already_resolved`: the report is already resolved"),
        (status = 422, description = "`validation_failed`: the resolution is blank or too long"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn resolve_report(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Resolve>,
) -> Result<Written<ReportResolvedReply>, ApiError> {
    let command = ReportRequest::ResolveReport {
        report_id: parse(&id, "report")?,
        resolution: req.resolution,
    };
    api.command(&caller, ids, &command.into_command()).await
}

#[utoipa::path(
    get,
    path = "/api/v1/communities/{name}/reports",
    summary = "A community's report queue (moderators)",
    description = "Newest first, keyset-paged; moderators of the community and admins only.",
    params(("name" = String, Path, description = NAME), Page, QueueQuery),
    responses(
        (status = 200, description = "A page of reports", body = Paged<Report>),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this queue gave out for this `status`"),
        (status = 403, description = "`not_moderator`: the caller does not moderate the community"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn community_reports(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    Path(name): Path<String>,
    page: Page,
    Query(query): Query<QueueQuery>,
) -> Result<Json<Paged<Report>>, ApiError> {
    let status = query.status.unwrap_or_default();
    let after = page.after(status.spec())?;
    let c = community(&api, &name).await?;
    let moderates = caller.is_admin()
        || is_moderator(&api.read, &c.id, &caller.user_id.to_string())
            .await
            .map_err(ApiError::internal)?;
    if !moderates {
        return Err(ApiError::refused(
            RejectionKind::Forbidden,
            "not_moderator",
            format!("only moderators of {} read its reports", c.name),
        ));
    }
    let rows = reports_page(&api.read, &c.id, status, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        Paged::of(rows, &page, |r| r.cursor(status)).map(Report::from),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/communities/{name}/modlog",
    summary = "A community's moderation log",
    description = "Public; newest first, keyset-paged.",
    params(("name" = String, Path, description = NAME), Page),
    responses(
        (status = 200, description = "A page of moderator actions", body = Paged<ModlogEntry>),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this log gave out"),
        (status = 404, description = "`not_found`: no community has this name"),
    ),
)]
pub(super) async fn community_modlog(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
    page: Page,
) -> Result<Json<Paged<ModlogEntry>>, ApiError> {
    let after = page.after(MODLOG_CURSOR)?;
    let c = community(&api, &name).await?;
    let rows = modlog_page(&api.read, &c.id, after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    Ok(Json(
        Paged::of(rows, &page, |e| e.cursor()).map(ModlogEntry::from),
    ))
}
