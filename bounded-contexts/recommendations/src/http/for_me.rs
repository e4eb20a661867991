//! `GET /api/v1/me/recommendations`: shows and products for the caller, from the neighbours of
//! what they have, without what they have. Bounded whatever the number of users: the caller's
//! [`RECENT_ITEMS`] most recent subscriptions and purchases, [`NEIGHBOURS_PER_ITEM`] neighbours
//! of each (an index range scan apiece), scores summed, what the caller has left out.

use std::collections::HashMap;

use axum::extract::State;
use http_kernel::{
    ApiError, Caller, CursorSpec, IdKind, InvalidCursor, Json, KeyKind, Page, PageCursor, Paged,
    SortKey,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::RecommendationsApi;
use crate::projections::{
    Neighbour, also_bought, bought_among, recent_products, recent_shows, similar_shows,
    subscribed_among,
};

/// How many of the caller's most recent items the recommendations start from (per kind).
pub const RECENT_ITEMS: i64 = 20;
/// How many neighbours of each of them are considered.
pub const NEIGHBOURS_PER_ITEM: i64 = 50;

const RANKED: CursorSpec<'static> = CursorSpec {
    sort: "ranked",
    key: KeyKind::Text { max_chars: 100 },
    id: IdKind::None,
};

/// A show or a product recommended to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(super) struct Recommendation {
    /// `show` or `product`.
    pub kind: String,
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    /// Summed over the caller's items: users who have both.
    pub score: i64,
}

impl Recommendation {
    /// The position in the ranking (score descending, then kind and id) as a cursor key.
    fn key(&self) -> String {
        format!("{:019}:{}:{}", i64::MAX - self.score, self.kind, self.id)
    }
}

/// Sums neighbours' scores per id (the title of the first seen).
fn merge(into: &mut HashMap<String, (String, i64)>, neighbours: Vec<Neighbour>) {
    for n in neighbours {
        into.entry(n.id).or_insert((n.title, 0)).1 += n.score;
    }
}

async fn ranked(api: &RecommendationsApi, user: &str) -> Result<Vec<Recommendation>, sqlx::Error> {
    let pool = &api.read;
    let mut shows = HashMap::new();
    for show in recent_shows(pool, user, RECENT_ITEMS).await? {
        merge(
            &mut shows,
            similar_shows(pool, &show, None, NEIGHBOURS_PER_ITEM).await?,
        );
    }
    let mut products = HashMap::new();
    for product in recent_products(pool, user, RECENT_ITEMS).await? {
        merge(
            &mut products,
            also_bought(pool, &product, None, NEIGHBOURS_PER_ITEM).await?,
        );
    }
    let show_ids: Vec<String> = shows.keys().cloned().collect();
    for had in subscribed_among(pool, user, &show_ids).await? {
        shows.remove(&had);
    }
    let product_ids: Vec<String> = products.keys().cloned().collect();
    for had in bought_among(pool, user, &product_ids).await? {
        products.remove(&had);
    }
    let mut all: Vec<Recommendation> = shows
        .into_iter()
        .map(|(id, (title, score))| ("show", id, title, score))
        .chain(
            products
                .into_iter()
                .map(|(id, (title, score))| ("product", id, title, score)),
        )
        .map(|(kind, id, title, score)| Recommendation {
            kind: kind.to_owned(),
            id,
            title,
            score,
        })
        .collect();
    all.sort_by_key(Recommendation::key);
    Ok(all)
}

#[utoipa::path(
    get,
    path = "/api/v1/me/recommendations",
    summary = "Shows and products for the caller, without what they already have",
    params(Page),
    responses((status = 200, description = "A page of recommendations, best first", body = Paged<Recommendation>)),
    security(("bearer" = [])),
)]
pub(super) async fn recommendations(
    State(api): State<RecommendationsApi>,
    caller: Caller,
    page: Page,
) -> Result<Json<Paged<Recommendation>>, ApiError> {
    let after = match page.after(RANKED)? {
        None => None,
        Some(PageCursor {
            key: SortKey::Text(key),
            ..
        }) => Some(key),
        Some(_) => return Err(InvalidCursor("not a ranking").into()),
    };
    let all = ranked(&api, &caller.user_id.to_string())
        .await
        .map_err(ApiError::internal)?;
    let fetch = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
    let rows: Vec<Recommendation> = all
        .into_iter()
        .filter(|r| after.as_ref().is_none_or(|a| r.key() > *a))
        .take(fetch)
        .collect();
    Ok(Json(Paged::of(rows, &page, |r| {
        PageCursor::new(RANKED.sort, SortKey::Text(r.key()), "")
    })))
}
