//! The moderation reads: a community's report queue (its moderators only) and its public
//! moderation log.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use http_kernel::openapi::MinPositionHeader;
use http_kernel::{ApiError, Caller, Path, Problem, Query};
use serde::Deserialize;
use utoipa::IntoParams;

use super::super::CommunitiesApi;
use super::super::openapi::{
    self,
    schemas::{ModlogPage, ReportPage},
};
use super::{PageParams, community, feed_error, limit_of, page_json};
use crate::projections::{DIRECTORY, MODLOG, REPORTS, is_moderator, modlog_page, reports_page};

/// `GET /communities/{name}/reports`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQueueParams {
    /// Which reports (default `open`).
    #[param(schema_with = openapi::report_statuses)]
    status: Option<String>,
    /// The page's size: 1 to 100 (larger ones are capped), default 20.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 20)]
    limit: Option<String>,
    /// The previous page's `next_cursor` (opaque; only valid with the same `status`).
    cursor: Option<String>,
}

#[utoipa::path(
    get,
    operation_id = "communities_community_reports",
    path = "/api/v1/communities/{name}/reports",
    tag = "communities",
    summary = "A community's report queue (moderators)",
    description = "Newest first, keyset-paged; moderators of the community and admins only.",
    params(("name" = String, Path, description = "The community's name (any case)"), ReportQueueParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of reports", body = ReportPage),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out (or belongs to another sort); `invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthenticated`: no valid credentials (missing, expired or revoked token)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`not_moderator`: the caller does not moderate the community", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `status` is not open or resolved, or `limit` is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn community_reports(
    State(api): State<CommunitiesApi>,
    caller: Caller,
    Path(name): Path<String>,
    Query(params): Query<ReportQueueParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let status = params.status.as_deref().unwrap_or("open");
    if !matches!(status, "open" | "resolved") {
        return Err(ApiError::Validation(
            "status must be open or resolved".into(),
        ));
    }
    let limit = limit_of(params.limit.as_deref())?;
    api.wait_for(&headers, &[DIRECTORY, REPORTS]).await?;
    let c = community(&api, &name).await?;
    let moderates = caller.is_admin()
        || is_moderator(&api.read, &c.id, &caller.user_id.to_string())
            .await
            .map_err(ApiError::internal)?;
    if !moderates {
        return Err(ApiError::refused(
            shared_kernel::RejectionKind::Forbidden,
            "not_moderator",
            format!("only moderators of {} read its reports", c.name),
        ));
    }
    let page = reports_page(&api.read, &c.id, status, params.cursor.as_deref(), limit)
        .await
        .map_err(feed_error)?;
    Ok(page_json(
        page.items
            .iter()
            .map(crate::projections::ReportRow::to_json)
            .collect(),
        page.next_cursor,
    ))
}

#[utoipa::path(
    get,
    operation_id = "communities_community_modlog",
    path = "/api/v1/communities/{name}/modlog",
    tag = "communities",
    summary = "A community's moderation log",
    description = "Public; newest first, keyset-paged.",
    params(("name" = String, Path, description = "The community's name (any case)"), PageParams, MinPositionHeader),
    responses(
        (status = 200, description = "A page of moderator actions", body = ModlogPage),
        (status = 400, description = "`invalid_cursor`: `cursor` is not one this list gave out (or belongs to another sort); `invalid_min_position`: `Agora-Min-Position` is not an integer from 0 to 2^63-1", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not_found`: no community has this name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: `limit` is not an integer", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: the read model has not reached `Agora-Min-Position` within the read wait", body = Problem, content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
    ),
)]
pub(crate) async fn community_modlog(
    State(api): State<CommunitiesApi>,
    Path(name): Path<String>,
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let limit = limit_of(params.limit.as_deref())?;
    api.wait_for(&headers, &[DIRECTORY, MODLOG]).await?;
    let c = community(&api, &name).await?;
    let page = modlog_page(&api.read, &c.id, params.cursor.as_deref(), limit)
        .await
        .map_err(feed_error)?;
    Ok(page_json(
        page.items
            .iter()
            .map(crate::projections::ModlogRow::to_json)
            .collect(),
        page.next_cursor,
    ))
}
