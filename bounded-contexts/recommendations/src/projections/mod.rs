//! The recommendations read models: co-subscriptions of shows and co-purchases of products.
//! Both are written with set-based SQL guarded so that an event applied twice changes nothing,
//! and read one index range scan per item.

mod co_purchases;
mod co_subscriptions;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;

pub use co_purchases::{
    CO_PURCHASES, CoPurchasesProjection, also_bought, bought_among, recent_products,
};
pub use co_subscriptions::{
    CO_SUBSCRIPTIONS, CoSubscriptionsProjection, recent_shows, show_state, similar_shows,
    subscribed_among,
};

/// Every read model of the context, by name.
pub const READ_MODELS: &[&str] = &[CO_SUBSCRIPTIONS, CO_PURCHASES];

/// An item recommended beside another: its id, title, and how many users have both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct Neighbour {
    #[schema(format = Uuid)]
    pub id: String,
    pub title: String,
    /// Users who have both (listeners subscribed to both shows, buyers of both products).
    pub score: i64,
}

/// Which of `ids` the user has in `table` (`column` names the item).
pub(crate) async fn owned_among(
    pool: &AnyPool,
    table: &str,
    column: &str,
    condition: &str,
    user_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (2..ids.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {column} FROM {table} WHERE user_id = $1 {condition} AND {column} IN ({})",
        marks.join(", ")
    );
    let mut query = sqlx::query_scalar(&sql).bind(user_id.to_owned());
    for id in ids {
        query = query.bind(id.clone());
    }
    query.fetch_all(pool).await
}

/// How many of the caller's most recent items the recommendations start from (per kind).
pub const RECENT_ITEMS: i64 = 20;
/// How many neighbours of each of them are considered.
pub const NEIGHBOURS_PER_ITEM: i64 = 50;

/// A show or a product recommended to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
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
    #[must_use]
    pub fn key(&self) -> String {
        format!("{:019}:{}:{}", i64::MAX - self.score, self.kind, self.id)
    }
}

/// Sums neighbours' scores per id (the title of the first seen).
fn merge(into: &mut HashMap<String, (String, i64)>, neighbours: Vec<Neighbour>) {
    for n in neighbours {
        into.entry(n.id).or_insert((n.title, 0)).1 += n.score;
    }
}

/// Shows and products for `user`, best first (score descending, then kind and id), from the
/// neighbours of what they have, without what they have. Bounded whatever the number of users:
/// the user's [`RECENT_ITEMS`] most recent subscriptions and purchases, [`NEIGHBOURS_PER_ITEM`]
/// neighbours of each (an index range scan apiece), scores summed.
///
/// # Errors
/// The read-model database failed.
pub async fn recommendations_for(
    pool: &AnyPool,
    user: &str,
) -> Result<Vec<Recommendation>, sqlx::Error> {
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
