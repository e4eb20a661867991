//! Reads of the live figures, a page at a time (keyset: each list continues after the key of
//! its last row).

use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use utoipa::ToSchema;

/// Days from `from` to `to`, both included, as `YYYY-MM-DD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    pub from: String,
    pub to: String,
}

impl Default for Range {
    /// Every day.
    fn default() -> Self {
        Self {
            from: "0000-01-01".into(),
            to: "9999-12-31".into(),
        }
    }
}

/// Sales by product or by seller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SalesKey {
    Product,
    Seller,
}

/// What paid orders sold on a day: of one product, or of one seller, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
#[schema(example = json!({"day": "2026-12-07", "key": "01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e10",
    "title": "Chess set", "seller_id": "01936b2e-6f1c-7cc3-9b5e-2f2a1d6c8e11", "currency": "EUR",
    "orders": 3, "units": 4, "revenue_minor": 51600}))]
pub struct SalesDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The product id (by product) or the seller id (by seller).
    pub key: String,
    /// The product's title (by product; empty by seller).
    pub title: String,
    pub seller_id: String,
    pub currency: String,
    /// Paid orders with this product (or seller's lines).
    pub orders: i64,
    pub units: i64,
    /// Revenue in the currency's minor unit.
    pub revenue_minor: i64,
}

/// Up to `limit` days of sales by `key`, after `(day, key, currency)`, of `seller` only when
/// given.
///
/// # Errors
/// The read-model database failed.
pub async fn sales_days(
    pool: &AnyPool,
    key: SalesKey,
    seller: Option<&str>,
    range: &Range,
    after: Option<(String, String, String)>,
    limit: i64,
) -> Result<Vec<SalesDay>, sqlx::Error> {
    let (table, key_column, title) = match key {
        SalesKey::Product => ("analytics_product_sales_daily", "product_id", "title"),
        SalesKey::Seller => ("analytics_seller_sales_daily", "seller_id", "''"),
    };
    let (a_day, a_key, a_currency) = after.unwrap_or_default();
    let sql = format!(
        "SELECT day, {key_column} AS key, {title} AS title, seller_id, currency, orders, units, \
         revenue_minor FROM {table} \
         WHERE day >= $1 AND day <= $2 AND ($3 = '' OR seller_id = $3) \
           AND (day, {key_column}, currency) > ($4, $5, $6) \
         ORDER BY day, {key_column}, currency LIMIT $7"
    );
    sqlx::query_as::<_, SalesDay>(&sql)
        .bind(&range.from)
        .bind(&range.to)
        .bind(seller.unwrap_or_default())
        .bind(a_day)
        .bind(a_key)
        .bind(a_currency)
        .bind(limit)
        .fetch_all(pool)
        .await
}

/// A product's sales over a range, in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct TopProduct {
    pub product_id: String,
    pub title: String,
    pub seller_id: String,
    pub currency: String,
    pub orders: i64,
    pub units: i64,
    pub revenue_minor: i64,
}

/// Products by revenue in `currency` over `range`, most first, after `(revenue, product)`.
///
/// # Errors
/// The read-model database failed.
pub async fn top_products(
    pool: &AnyPool,
    currency: &str,
    seller: Option<&str>,
    range: &Range,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<TopProduct>, sqlx::Error> {
    let (after_revenue, after_product) = after.unwrap_or((i64::MAX, String::new()));
    sqlx::query_as::<_, TopProduct>(
        "SELECT product_id, max(title) AS title, max(seller_id) AS seller_id, \
                max(currency) AS currency, CAST(sum(orders) AS BIGINT) AS orders, \
                CAST(sum(units) AS BIGINT) AS units, \
                CAST(sum(revenue_minor) AS BIGINT) AS revenue_minor \
         FROM analytics_product_sales_daily \
         WHERE day >= $1 AND day <= $2 AND currency = $3 AND ($4 = '' OR seller_id = $4) \
         GROUP BY product_id \
         HAVING sum(revenue_minor) < $5 OR (sum(revenue_minor) = $5 AND product_id > $6) \
         ORDER BY sum(revenue_minor) DESC, product_id LIMIT $7",
    )
    .bind(&range.from)
    .bind(&range.to)
    .bind(currency)
    .bind(seller.unwrap_or_default())
    .bind(after_revenue)
    .bind(after_product)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Orders per stage on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct FunnelDay {
    pub day: String,
    pub placed: i64,
    pub paid: i64,
    pub rejected: i64,
    pub cancelled: i64,
}

/// Up to `limit` days of the funnel after `after`.
///
/// # Errors
/// The read-model database failed.
pub async fn funnel_days(
    pool: &AnyPool,
    range: &Range,
    after: &str,
    limit: i64,
) -> Result<Vec<FunnelDay>, sqlx::Error> {
    sqlx::query_as::<_, FunnelDay>(
        "SELECT day, placed, paid, rejected, cancelled FROM analytics_funnel_daily \
         WHERE day >= $1 AND day <= $2 AND day > $3 ORDER BY day LIMIT $4",
    )
    .bind(&range.from)
    .bind(&range.to)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// New and active users on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct UsersDay {
    pub day: String,
    /// Accounts registered that day.
    pub new_users: i64,
    /// Users on whose behalf anything was recorded that day.
    pub active_users: i64,
}

/// Up to `limit` days of users after `after`.
///
/// # Errors
/// The read-model database failed.
pub async fn users_days(
    pool: &AnyPool,
    range: &Range,
    after: &str,
    limit: i64,
) -> Result<Vec<UsersDay>, sqlx::Error> {
    sqlx::query_as::<_, UsersDay>(
        "SELECT day, CAST(sum(new_users) AS BIGINT) AS new_users, \
                CAST(sum(active_users) AS BIGINT) AS active_users FROM ( \
            SELECT day, users AS new_users, 0 AS active_users FROM analytics_new_users_daily \
            WHERE day >= $1 AND day <= $2 AND day > $3 \
            UNION ALL \
            SELECT day, 0 AS new_users, count(*) AS active_users FROM analytics_active_users \
            WHERE day >= $1 AND day <= $2 AND day > $3 GROUP BY day \
         ) d GROUP BY day ORDER BY day LIMIT $4",
    )
    .bind(&range.from)
    .bind(&range.to)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Posts and comments in a community on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct CommunityDay {
    pub day: String,
    pub community_id: String,
    pub community_name: String,
    pub posts: i64,
    pub comments: i64,
}

/// Up to `limit` (day, community) rows after `after`.
///
/// # Errors
/// The read-model database failed.
pub async fn community_days(
    pool: &AnyPool,
    range: &Range,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<CommunityDay>, sqlx::Error> {
    let (a_day, a_id) = after.unwrap_or_default();
    sqlx::query_as::<_, CommunityDay>(
        "SELECT day, community_id, community_name, posts, comments \
         FROM analytics_community_daily \
         WHERE day >= $1 AND day <= $2 AND (day, community_id) > ($3, $4) \
         ORDER BY day, community_id LIMIT $5",
    )
    .bind(&range.from)
    .bind(&range.to)
    .bind(a_day)
    .bind(a_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Downloads of a show on a day (UTC), as the podcasts context counts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow, ToSchema)]
pub struct ShowDownloadsDay {
    /// `YYYY-MM-DD`.
    pub day: String,
    pub show_id: String,
    /// The show's title (empty when its creation is not in the log).
    pub show_title: String,
    /// Listeners who downloaded an episode of the show that day (one per listener, episode
    /// and day).
    pub downloads: i64,
}

/// Up to `limit` (day, show) rows after `after`, oldest day first.
///
/// # Errors
/// The read-model database failed.
pub async fn download_days(
    pool: &AnyPool,
    range: &Range,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<ShowDownloadsDay>, sqlx::Error> {
    let (a_day, a_id) = after.unwrap_or_default();
    sqlx::query_as::<_, ShowDownloadsDay>(
        "SELECT d.day, d.show_id, COALESCE(s.title, '') AS show_title, d.downloads \
         FROM analytics_show_downloads_daily d \
         LEFT JOIN analytics_shows s ON s.show_id = d.show_id \
         WHERE d.day >= $1 AND d.day <= $2 AND (d.day, d.show_id) > ($3, $4) \
         ORDER BY d.day, d.show_id LIMIT $5",
    )
    .bind(&range.from)
    .bind(&range.to)
    .bind(a_day)
    .bind(a_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
