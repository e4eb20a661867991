//! Reports of a post or comment, and their resolution by a moderator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use event_schemas::communities::ContentRef;
use http_kernel::{ApiError, Caller, CommandIds, Json, Path};
use serde::Deserialize;
use shared_kernel::ids::ReportId;

use super::Reason;
use crate::application::CommunitiesCommand;

use super::super::CommunitiesApi;
use super::parse;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Resolve {
    resolution: String,
}

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
    api.send_created(
        caller,
        ids,
        &command,
        &format!("/api/v1/reports/{report_id}"),
    )
    .await
}

pub(super) async fn report_post(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Post(parse(&id, "post")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

pub(super) async fn report_comment(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(req): Json<Reason>,
) -> Result<Response, ApiError> {
    let target = ContentRef::Comment(parse(&id, "comment")?);
    file_report(&api, &caller, ids, target, req.reason).await
}

pub(super) async fn resolve_report(
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
    api.send(&caller, ids, &command, StatusCode::OK).await
}
