//! Ordering's own view of the catalog, fed by merchandise events: what an order line needs
//! (price, sku, seller, title), whether the product may be ordered, and its variants (each
//! sku with its price override). Ordering never reads another context's tables.
//!
//! A product's default variant (its creation sku) is a row of `ordering_variants` too; a
//! product without rows there (its events were applied before variants existed) counts as
//! having that one variant only.
//!
//! The runtimes hand it pages (a live batch, a rebuild's page), applied with multi-row
//! statements ([`page`]); [`ProductsProjection::apply`] applies one event alone, and is what
//! a page must come to.

mod page;

use async_trait::async_trait;
use event_schemas::merchandise::ProductEvent;
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const ORDERING_PRODUCTS: &str = "ordering.products";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS ordering_products (
        product_id  TEXT PRIMARY KEY,
        seller_id   TEXT NOT NULL,
        sku         TEXT NOT NULL,
        title       TEXT NOT NULL,
        status      TEXT NOT NULL,
        price_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        version     BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS ordering_variants (
        sku         TEXT PRIMARY KEY,
        product_id  TEXT NOT NULL,
        price_minor BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS ordering_variants_by_product ON ordering_variants (product_id)",
];

/// A variant as ordering sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderableVariant {
    pub product_id: String,
    pub sku: String,
    /// The override in minor units (the product's currency); `None`: the product's price.
    pub price_minor: Option<i64>,
}

/// The variants of the products among `ids` that ordering knows.
///
/// # Errors
/// The read-model database failed.
pub async fn find_variants(
    pool: &sqlx::AnyPool,
    ids: &[String],
) -> Result<Vec<OrderableVariant>, sqlx::Error> {
    let mut found = Vec::new();
    for id in ids {
        let variants = sqlx::query_as::<_, OrderableVariant>(
            "SELECT product_id, sku, price_minor FROM ordering_variants WHERE product_id = $1",
        )
        .bind(id)
        .fetch_all(pool)
        .await?;
        found.extend(variants);
    }
    Ok(found)
}

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
        &["ordering_products", "ordering_variants"]
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
            ProductEvent::Created(c) => {
                // The default variant: the creation's sku at the product's price.
                sqlx::query(
                    "INSERT INTO ordering_variants (sku, product_id, price_minor) \
                     VALUES ($1, $2, NULL) ON CONFLICT (sku) DO NOTHING",
                )
                .bind(c.sku.clone())
                .bind(c.product_id.to_string())
                .execute(&mut *conn)
                .await?;
                sqlx::query(
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
                .bind(version)
            }
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
            ProductEvent::VariantAdded(v) => {
                let price = v.price.map(|p| p.amount_minor);
                upsert_variant(conn, &v.product_id.to_string(), &v.sku, price).await?;
                return Ok(());
            }
            ProductEvent::VariantPriceChanged(v) => sqlx::query(
                "UPDATE ordering_variants SET price_minor = $3 WHERE sku = $1 AND product_id = $2",
            )
            .bind(v.sku.clone())
            .bind(v.product_id.to_string())
            .bind(v.price.map(|p| p.amount_minor)),
            // Options matter to buyers choosing a variant, not to pricing one.
            ProductEvent::OptionsSet(_) => return Ok(()),
        };
        query.execute(conn).await?;
        Ok(())
    }

    async fn apply_page(
        &self,
        conn: &mut AnyConnection,
        events: &[&Recorded],
    ) -> Result<(), ProjectionError> {
        page::apply_page(conn, events).await
    }
}

async fn upsert_variant(
    conn: &mut AnyConnection,
    product_id: &str,
    sku: &str,
    price_minor: Option<i64>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ordering_variants (sku, product_id, price_minor) VALUES ($1, $2, $3) \
         ON CONFLICT (sku) DO UPDATE SET price_minor = excluded.price_minor \
         WHERE ordering_variants.product_id = excluded.product_id",
    )
    .bind(sku)
    .bind(product_id)
    .bind(price_minor)
    .execute(conn)
    .await?;
    Ok(())
}
