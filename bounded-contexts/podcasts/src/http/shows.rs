//! `/api/v1/shows` and `/api/v1/shows/{id}`: create, list and search, read, edit and delete a
//! show.

use axum::extract::State;
use event_schemas::podcasts::{ShowId, ShowType};
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    Query, SortKey, Written,
};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{PodcastsApi, known_show, live_show, show_id};
use crate::application::{ShowRequest, ShowWritten};
use crate::domain::{ShowInput, ShowPatch};
use crate::projections::{
    EPISODES, ShowView, ShowsAfter, episodes_without_number, list_shows as shows_page,
};

const NEWEST: CursorSpec<'static> = CursorSpec {
    sort: "newest",
    key: KeyKind::Time,
    id: IdKind::Uuid,
};
const RELEVANCE: CursorSpec<'static> = CursorSpec {
    sort: "relevance",
    key: KeyKind::FINITE,
    id: IdKind::Uuid,
};

/// A show's id in a path.
pub(super) const SHOW: &str = "The show's id";

/// `?q=`: full-text search.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    /// Words to look for (a web search: `"a phrase"`, `or`, `-excluded`); relevance order.
    q: Option<String>,
}

impl SearchParams {
    pub(super) fn text(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/shows",
    summary = "Create a show (the caller owns it)",
    request_body = ShowInput,
    responses(
        (status = 201, description = "Created: its id, `podcast:guid` and feed URL", body = ShowWritten),
        (status = 422, description = "`validation_failed`: a field breaks its rule (category not Apple's, language not BCP 47, ...)"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn create_show(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Json(show): Json<ShowInput>,
) -> Result<Written<ShowWritten>, ApiError> {
    let show_id = ShowId::from(ids.derive("show"));
    let command = ShowRequest::CreateShow { show_id, show };
    let written: Written<ShowWritten> = api
        .command_creating(
            &caller,
            ids,
            &crate::application::PodcastsCommand::from(command),
            Some(show_id.to_string()),
        )
        .await?;
    Ok(written.created(|s| format!("/api/v1/shows/{}", s.id)))
}

#[utoipa::path(
    get,
    path = "/api/v1/shows",
    summary = "Shows, newest first, or searched (`q`) by relevance",
    params(SearchParams, Page),
    responses((status = 200, description = "A page of shows", body = Paged<ShowView>)),
)]
pub(super) async fn list_shows(
    State(api): State<PodcastsApi>,
    page: Page,
    Query(params): Query<SearchParams>,
) -> Result<Json<Paged<ShowView>>, ApiError> {
    let text = params.text();
    let spec = if text.is_some() { RELEVANCE } else { NEWEST };
    let after = match page.after(spec)? {
        None => ShowsAfter::Start,
        Some(PageCursor {
            key: SortKey::Text(t),
            id,
            ..
        }) => ShowsAfter::Created(t, id),
        Some(PageCursor {
            key: SortKey::Float(s),
            id,
            ..
        }) => ShowsAfter::Score(s, id),
        Some(_) => return Err(http_kernel::InvalidCursor("not a show cursor").into()),
    };
    let rows = shows_page(&api.read, text, &after, page.fetch())
        .await
        .map_err(ApiError::internal)?;
    let paged = Paged::of(rows, &page, |(row, score)| match text {
        Some(_) => PageCursor::new(spec.sort, SortKey::Float(*score), row.id.clone()),
        None => PageCursor::new(
            spec.sort,
            SortKey::Text(row.created_at.clone()),
            row.id.clone(),
        ),
    });
    Ok(Json(Paged {
        items: paged.items.iter().map(|(row, _)| row.view()).collect(),
        next_cursor: paged.next_cursor,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/shows/{id}",
    summary = "A show",
    params(("id" = String, Path, description = SHOW)),
    responses(
        (status = 200, description = "The show, with its subscriber count", body = ShowView),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
    ),
)]
pub(super) async fn get_show(
    State(api): State<PodcastsApi>,
    Path(id): Path<String>,
) -> Result<Json<ShowView>, ApiError> {
    Ok(Json(live_show(&api, &id).await?.view()))
}

#[utoipa::path(
    patch,
    path = "/api/v1/shows/{id}",
    summary = "Edit a show (its owner); `null` clears an optional field",
    params(("id" = String, Path, description = SHOW)),
    request_body = ShowPatch,
    responses(
        (status = 200, description = "Edited (its `podcast:guid` never changes)", body = ShowWritten),
        (status = 403, description = "`not_owner`: the show is someone else's"),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
        (status = 422, description = "`validation_failed`: a field breaks its rule (`null` for a required one); `episode_number_required`: `show_type` `serial` while episodes have no `episode_number` (`episodes` lists their ids)"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn edit_show(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
    Json(patch): Json<ShowPatch>,
) -> Result<Written<ShowWritten>, ApiError> {
    let show_id = show_id(&id)?;
    if patch.show_type == Some(ShowType::Serial) {
        serial_needs_numbers(&api, &caller, &id).await?;
    }
    let command = ShowRequest::EditShow { show_id, patch };
    api.command(
        &caller,
        ids,
        &crate::application::PodcastsCommand::from(command),
    )
    .await
}

/// The most episodes a refusal of `serial` names.
const MAX_NAMED: i64 = 10;

/// Refuses to make a show `serial` while any of its episodes (drafts included) has no
/// `episode_number`, the rule the episodes keep under a serial show. The show aggregate does
/// not know its episodes, so this is checked here, on the episodes read model once it has
/// caught up with the store: an episode drafted or renumbered in the same instant as the edit
/// can still slip through (README, "Podcasts"). Only the owner is told (a stranger is refused
/// by the command, and learns nothing of drafts).
async fn serial_needs_numbers(
    api: &PodcastsApi,
    caller: &Caller,
    id: &str,
) -> Result<(), ApiError> {
    let show = known_show(api, id).await?;
    if show.owner_id != caller.user_id.to_string() || show.is_deleted() {
        return Ok(());
    }
    api.caught_up(EPISODES).await?;
    let missing = episodes_without_number(&api.read, id, MAX_NAMED)
        .await
        .map_err(ApiError::internal)?;
    if missing.is_empty() {
        return Ok(());
    }
    let titles: Vec<String> = missing.iter().map(|(_, t)| format!("{t:?}")).collect();
    Err(ApiError::Refused {
        kind: shared_kernel::RejectionKind::Invalid,
        code: "episode_number_required".to_owned(),
        message: format!(
            "a serial show's episodes need their episode_number: give one to {} first",
            titles.join(", ")
        ),
        details: Some(serde_json::json!({
            "episodes": missing.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        })),
    })
}

#[utoipa::path(
    delete,
    path = "/api/v1/shows/{id}",
    summary = "Delete a show (its owner): its feed answers 410 Gone from then on",
    params(("id" = String, Path, description = SHOW)),
    responses(
        (status = 200, description = "Deleted (a repeat changes nothing)", body = ShowWritten),
        (status = 403, description = "`not_owner`: the show is someone else's"),
        (status = 404, description = "`not_found`: no such show"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_show(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<ShowWritten>, ApiError> {
    let show_id = show_id(&id)?;
    let command = ShowRequest::DeleteShow { show_id };
    api.command(
        &caller,
        ids,
        &crate::application::PodcastsCommand::from(command),
    )
    .await
}
