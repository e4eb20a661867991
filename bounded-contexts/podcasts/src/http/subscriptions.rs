//! Subscriptions: `POST` and `DELETE /shows/{id}/subscriptions` (both idempotent: a repeat
//! changes nothing) and the caller's list, `GET /me/subscriptions` (keyset pages).

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CommandIds, CursorSpec, IdKind, Json, KeyKind, Page, PageCursor, Paged, Path,
    SortKey, Written,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::shows::SHOW;
use super::{PodcastsApi, show_id};
use crate::application::{PodcastsCommand, SubscriptionRequest, SubscriptionState};
use crate::projections::{shows_by_id, subscriptions_of};

const SINCE: CursorSpec<'static> = CursorSpec {
    sort: "since",
    key: KeyKind::Time,
    id: IdKind::Uuid,
};

/// One of the caller's subscriptions, with the show's title and feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(super) struct MySubscription {
    #[schema(format = Uuid)]
    pub show_id: String,
    pub title: String,
    pub image_url: String,
    pub feed_url: String,
    /// When the caller subscribed (RFC 3339).
    pub since: String,
}

/// Sends the caller's subscribe (or unsubscribe) of `show_id` under `ids`.
pub(super) async fn send_subscription(
    api: &PodcastsApi,
    caller: &Caller,
    ids: CommandIds,
    request: SubscriptionRequest,
) -> Result<Written<SubscriptionState>, ApiError> {
    api.command(caller, ids, &PodcastsCommand::from(request))
        .await
}

#[utoipa::path(
    post,
    path = "/api/v1/shows/{id}/subscriptions",
    summary = "Subscribe to a show (idempotent)",
    params(("id" = String, Path, description = SHOW)),
    responses(
        (status = 200, description = "Subscribed (also when the caller already was)", body = SubscriptionState),
        (status = 404, description = "`not_found`: no such show"),
        (status = 410, description = "`show_deleted`: its owner deleted it"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn subscribe(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<SubscriptionState>, ApiError> {
    // The handler checks the show on the store, so a show just created may be subscribed to
    // before a read model has it.
    let show_id = show_id(&id)?;
    send_subscription(
        &api,
        &caller,
        ids,
        SubscriptionRequest::Subscribe { show_id },
    )
    .await
}

#[utoipa::path(
    delete,
    path = "/api/v1/shows/{id}/subscriptions",
    summary = "Unsubscribe from a show (idempotent)",
    params(("id" = String, Path, description = SHOW)),
    responses(
        (status = 200, description = "Not subscribed (also when the caller was not)", body = SubscriptionState),
        (status = 404, description = "`not_found`: no such show"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn unsubscribe(
    State(api): State<PodcastsApi>,
    caller: Caller,
    ids: CommandIds,
    Path(id): Path<String>,
) -> Result<Written<SubscriptionState>, ApiError> {
    let show_id = show_id(&id)?;
    send_subscription(
        &api,
        &caller,
        ids,
        SubscriptionRequest::Unsubscribe { show_id },
    )
    .await
}

/// A page of `user_id`'s subscriptions with their shows, newest first (deleted shows left
/// out).
pub(super) async fn subscriptions_page(
    api: &PodcastsApi,
    user_id: &str,
    after: Option<(String, String)>,
    fetch: i64,
) -> Result<Vec<MySubscription>, ApiError> {
    let rows = subscriptions_of(&api.read, user_id, after, fetch)
        .await
        .map_err(ApiError::internal)?;
    let ids: Vec<String> = rows.iter().map(|r| r.show_id.clone()).collect();
    let shows = shows_by_id(&api.read, &ids)
        .await
        .map_err(ApiError::internal)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let show = shows.iter().find(|s| s.id == row.show_id);
            MySubscription {
                title: show.map(|s| s.title.clone()).unwrap_or_default(),
                image_url: show.map(|s| s.image_url.clone()).unwrap_or_default(),
                feed_url: show.map(|s| s.feed_url.clone()).unwrap_or_default(),
                show_id: row.show_id,
                since: row.since,
            }
        })
        .collect())
}

#[utoipa::path(
    get,
    path = "/api/v1/me/subscriptions",
    summary = "The caller's subscriptions, newest first",
    params(Page),
    responses((status = 200, description = "A page of subscriptions", body = Paged<MySubscription>)),
    security(("bearer" = [])),
)]
pub(super) async fn my_subscriptions(
    State(api): State<PodcastsApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Paged<MySubscription>>, ApiError> {
    let after = match page.after(SINCE)? {
        None => None,
        Some(PageCursor {
            key: SortKey::Text(since),
            id,
            ..
        }) => Some((since, id)),
        Some(_) => return Err(http_kernel::InvalidCursor("not a subscription cursor").into()),
    };
    let rows = subscriptions_page(&api, &caller.user_id.to_string(), after, page.fetch()).await?;
    Ok(Json(Paged::of(rows, &page, |s| {
        PageCursor::new(
            SINCE.sort,
            SortKey::Text(s.since.clone()),
            s.show_id.clone(),
        )
    })))
}
