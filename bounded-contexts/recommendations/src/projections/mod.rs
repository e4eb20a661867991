//! The recommendations read models: co-subscriptions of shows and co-purchases of products.
//! Both are written with set-based SQL guarded so that an event applied twice changes nothing,
//! and read one index range scan per item.

mod co_purchases;
mod co_subscriptions;

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
