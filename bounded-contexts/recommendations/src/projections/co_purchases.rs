//! "Buyers of this also bought": item-to-item co-occurrence of purchases, from ordering's
//! published events (`order_placed` carries the lines, `order_paid` makes them bought).
//!
//! - `recommendations_orders`: each placed order's buyer and products, and whether it was paid (the guard
//!   that counts an order once, however often its events are applied);
//! - `recommendations_user_products`: what each buyer has bought;
//! - `recommendations_product_pairs`: for each ordered pair of products, how many buyers bought both, with
//!   an index on `(product_id, buyers, other_id)`;
//! - `recommendations_products`: titles, as the order lines carried them.
//!
//! A paid order of `n` products new to a buyer who had bought `k` moves at most `2nk` pair
//! rows, two set-based statements per new product. A later cancellation or return does not
//! take a purchase back: the buyer did choose the two together.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::ordering::OrderEvent;
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool};

use super::Neighbour;

/// The projection's name (its checkpoint key).
pub const CO_PURCHASES: &str = "recommendations.co_purchases";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS recommendations_orders (
        order_id TEXT PRIMARY KEY,
        buyer_id TEXT NOT NULL,
        products TEXT NOT NULL,
        paid     BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS recommendations_user_products (
        user_id    TEXT NOT NULL,
        product_id TEXT NOT NULL,
        since      TEXT NOT NULL,
        PRIMARY KEY (user_id, product_id)
    )",
    "CREATE INDEX IF NOT EXISTS recommendations_user_products_recent
        ON recommendations_user_products (user_id, since)",
    "CREATE TABLE IF NOT EXISTS recommendations_product_pairs (
        product_id TEXT NOT NULL,
        other_id   TEXT NOT NULL,
        buyers     BIGINT NOT NULL,
        PRIMARY KEY (product_id, other_id)
    )",
    "CREATE INDEX IF NOT EXISTS recommendations_product_pairs_ranked
        ON recommendations_product_pairs (product_id, buyers, other_id)",
    "CREATE TABLE IF NOT EXISTS recommendations_products (
        product_id TEXT PRIMARY KEY,
        title      TEXT NOT NULL
    )",
];

/// Up to `limit` products most often bought by `product_id`'s buyers, after `(buyers,
/// other_id)` in the order `buyers DESC, other_id DESC`: one index range scan, O(page).
///
/// # Errors
/// The read-model database failed.
pub async fn also_bought(
    pool: &AnyPool,
    product_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Neighbour>, sqlx::Error> {
    let (buyers, other) = after.unwrap_or((i64::MAX, String::new()));
    sqlx::query_as::<_, Neighbour>(
        "SELECT p.other_id AS id, COALESCE(t.title, '') AS title, p.buyers AS score \
         FROM recommendations_product_pairs p LEFT JOIN recommendations_products t ON t.product_id = p.other_id \
         WHERE p.product_id = $1 AND p.buyers > 0 AND (p.buyers, p.other_id) < ($2, $3) \
         ORDER BY p.buyers DESC, p.other_id DESC LIMIT $4",
    )
    .bind(product_id)
    .bind(buyers)
    .bind(if other.is_empty() {
        "\u{10FFFF}".to_owned()
    } else {
        other
    })
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// `user_id`'s `limit` most recently bought products.
///
/// # Errors
/// The read-model database failed.
pub async fn recent_products(
    pool: &AnyPool,
    user_id: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT product_id FROM recommendations_user_products WHERE user_id = $1 ORDER BY since DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Which of `ids` `user_id` has bought.
///
/// # Errors
/// The read-model database failed.
pub async fn bought_among(
    pool: &AnyPool,
    user_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    super::owned_among(
        pool,
        "recommendations_user_products",
        "product_id",
        "",
        user_id,
        ids,
    )
    .await
}

#[derive(Debug, Default)]
pub struct CoPurchasesProjection;

async fn placed(
    conn: &mut AnyConnection,
    e: &event_schemas::ordering::OrderPlaced,
) -> Result<(), sqlx::Error> {
    let mut products: Vec<String> = e.lines.iter().map(|l| l.product_id.to_string()).collect();
    products.sort();
    products.dedup();
    sqlx::query(
        "INSERT INTO recommendations_orders (order_id, buyer_id, products, paid) VALUES ($1, $2, $3, 0) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(e.order_id.to_string())
    .bind(e.buyer_id.to_string())
    .bind(serde_json::to_string(&products).unwrap_or_else(|_| "[]".into()))
    .execute(&mut *conn)
    .await?;
    for line in &e.lines {
        sqlx::query(
            "INSERT INTO recommendations_products (product_id, title) VALUES ($1, $2) \
             ON CONFLICT (product_id) DO NOTHING",
        )
        .bind(line.product_id.to_string())
        .bind(line.title.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn paid(
    conn: &mut AnyConnection,
    event: &Recorded,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    let moved =
        sqlx::query("UPDATE recommendations_orders SET paid = 1 WHERE order_id = $1 AND paid = 0")
            .bind(order_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    if moved == 0 {
        return Ok(());
    }
    let Some((buyer, products)): Option<(String, String)> =
        sqlx::query_as("SELECT buyer_id, products FROM recommendations_orders WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(());
    };
    let products: Vec<String> = serde_json::from_str(&products).unwrap_or_default();
    let since = event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    for product in products {
        let new = sqlx::query(
            "INSERT INTO recommendations_user_products (user_id, product_id, since) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, product_id) DO NOTHING",
        )
        .bind(buyer.clone())
        .bind(product.clone())
        .bind(since.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if new == 0 {
            continue;
        }
        for (a, b) in [("$2", "product_id"), ("product_id", "$2")] {
            sqlx::query(&format!(
                "INSERT INTO recommendations_product_pairs (product_id, other_id, buyers) \
                 SELECT {a}, {b}, 1 FROM recommendations_user_products \
                 WHERE user_id = $1 AND product_id <> $2 \
                 ON CONFLICT (product_id, other_id) DO UPDATE \
                 SET buyers = recommendations_product_pairs.buyers + 1"
            ))
            .bind(buyer.clone())
            .bind(product.clone())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

const EVENTS: &[&str] = &[
    event_schemas::ordering::ORDER_PLACED,
    event_schemas::ordering::ORDER_PAID,
];

#[async_trait]
impl Projection for CoPurchasesProjection {
    fn name(&self) -> &'static str {
        CO_PURCHASES
    }

    fn handles(&self) -> Interest {
        Interest::Types(EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "recommendations_orders",
            "recommendations_user_products",
            "recommendations_product_pairs",
            "recommendations_products",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        match OrderEvent::decode(&event.event_type, event.schema_version, event.data.clone())? {
            OrderEvent::Placed(e) => placed(conn, &e).await?,
            OrderEvent::Paid(e) => paid(conn, event, &e.order_id.to_string()).await?,
            _ => {}
        }
        Ok(())
    }
}
