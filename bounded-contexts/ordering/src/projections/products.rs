//! Ordering's own view of the catalog, fed by merchandise events: what an order line needs
//! (price, sku, seller, title) and whether the product may be ordered. Ordering never reads
//! another context's tables.

use async_trait::async_trait;
use event_schemas::merchandise::ProductEvent;
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const ORDERING_PRODUCTS: &str = "ordering.products";

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS ordering_products (
        product_id  TEXT PRIMARY KEY,
        seller_id   TEXT NOT NULL,
        sku         TEXT NOT NULL,
        title       TEXT NOT NULL,
        status      TEXT NOT NULL,
        price_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        version     BIGINT NOT NULL
    )"];

/// A product as ordering sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderableProduct {
    pub product_id: String,
    pub seller_id: String,
    pub sku: String,
    pub title: String,
    /// `draft`, `active` or `archived`: only active products can be ordered.
    pub status: String,
    pub price_minor: i64,
    pub currency: String,
}

/// The products among `ids` that ordering knows.
///
/// # Errors
/// The read-model database failed.
pub async fn find_products(
    pool: &sqlx::AnyPool,
    ids: &[String],
) -> Result<Vec<OrderableProduct>, sqlx::Error> {
    let mut found = Vec::with_capacity(ids.len());
    // Orders have few lines: one indexed lookup each keeps the SQL portable.
    for id in ids {
        let product = sqlx::query_as::<_, OrderableProduct>(
            "SELECT product_id, seller_id, sku, title, status, price_minor, currency \
             FROM ordering_products WHERE product_id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?;
        found.extend(product);
    }
    Ok(found)
}

#[derive(Debug, Default)]
pub struct ProductsProjection;

#[async_trait]
impl Projection for ProductsProjection {
    fn name(&self) -> &'static str {
        ORDERING_PRODUCTS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::merchandise::PRODUCT_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ordering_products"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "product" {
            return Ok(());
        }
        let e = ProductEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        // Every update is guarded by the stream version: applying an event twice is harmless.
        let query = match &e {
            ProductEvent::Created(c) => sqlx::query(
                "INSERT INTO ordering_products (product_id, seller_id, sku, title, status, \
                 price_minor, currency, version) VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7) \
                 ON CONFLICT (product_id) DO NOTHING",
            )
            .bind(c.product_id.to_string())
            .bind(c.seller_id.to_string())
            .bind(c.sku.clone())
            .bind(c.title.clone())
            .bind(c.price.amount_minor)
            .bind(c.price.currency.to_string())
            .bind(version),
            ProductEvent::Published(p) => sqlx::query(
                "UPDATE ordering_products SET status = 'active', version = $2 \
                 WHERE product_id = $1 AND version < $2",
            )
            .bind(p.product_id.to_string())
            .bind(version),
            ProductEvent::DetailsChanged(d) => sqlx::query(
                "UPDATE ordering_products SET title = $2, version = $3 \
                 WHERE product_id = $1 AND version < $3",
            )
            .bind(d.product_id.to_string())
            .bind(d.title.clone())
            .bind(version),
            ProductEvent::PriceChanged(p) => sqlx::query(
                "UPDATE ordering_products SET price_minor = $2, currency = $3, version = $4 \
                 WHERE product_id = $1 AND version < $4",
            )
            .bind(p.product_id.to_string())
            .bind(p.price.amount_minor)
            .bind(p.price.currency.to_string())
            .bind(version),
            ProductEvent::Archived(a) => sqlx::query(
                "UPDATE ordering_products SET status = 'archived', version = $2 \
                 WHERE product_id = $1 AND version < $2",
            )
            .bind(a.product_id.to_string())
            .bind(version),
        };
        query.execute(conn).await?;
        Ok(())
    }
}
