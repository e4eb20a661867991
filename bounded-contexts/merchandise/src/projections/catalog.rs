//! The catalog: one row per product, as buyers and sellers read it.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::merchandise::ProductEvent;
use projections::{Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const CATALOG: &str = "merchandise.catalog";

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS merchandise_catalog (
        id          TEXT PRIMARY KEY,
        seller_id   TEXT NOT NULL,
        status      TEXT NOT NULL,
        title       TEXT NOT NULL,
        description TEXT NOT NULL,
        category    TEXT NOT NULL,
        sku         TEXT NOT NULL,
        price_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        attributes  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        version     BIGINT NOT NULL
    )"];

/// A catalog row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct CatalogProduct {
    pub id: String,
    pub seller_id: String,
    pub status: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub sku: String,
    pub price_minor: i64,
    pub currency: String,
    pub attributes: String,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// Reads one product from the catalog.
///
/// # Errors
/// The read-model database failed.
pub async fn find_product(
    pool: &sqlx::AnyPool,
    id: &str,
) -> Result<Option<CatalogProduct>, sqlx::Error> {
    sqlx::query_as::<_, CatalogProduct>(
        "SELECT id, seller_id, status, title, description, category, sku, price_minor, currency, \
         attributes, created_at, updated_at, version FROM merchandise_catalog WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Default)]
pub struct CatalogProjection;

#[async_trait]
impl Projection for CatalogProjection {
    fn name(&self) -> &'static str {
        CATALOG
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["merchandise_catalog"]
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
        let at = event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        // Every update is guarded by the stream version, so applying an event twice is harmless.
        let query = match &e {
            ProductEvent::Created(c) => sqlx::query(
                "INSERT INTO merchandise_catalog (id, seller_id, status, title, description, \
                 category, sku, price_minor, currency, attributes, created_at, updated_at, version) \
                 VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(c.product_id.to_string())
            .bind(c.seller_id.to_string())
            .bind(c.title.clone())
            .bind(c.description.clone())
            .bind(c.category.clone())
            .bind(c.sku.clone())
            .bind(c.price.amount_minor)
            .bind(c.price.currency.to_string())
            .bind(serde_json::to_string(&c.attributes).unwrap_or_else(|_| "{}".into()))
            .bind(at)
            .bind(version),
            ProductEvent::Published(p) => sqlx::query(
                "UPDATE merchandise_catalog SET status = 'active', updated_at = $2, version = $3 \
                 WHERE id = $1 AND version < $3",
            )
            .bind(p.product_id.to_string())
            .bind(at)
            .bind(version),
            ProductEvent::DetailsChanged(d) => sqlx::query(
                "UPDATE merchandise_catalog SET title = $2, description = $3, category = $4, \
                 updated_at = $5, version = $6 WHERE id = $1 AND version < $6",
            )
            .bind(d.product_id.to_string())
            .bind(d.title.clone())
            .bind(d.description.clone())
            .bind(d.category.clone())
            .bind(at)
            .bind(version),
            ProductEvent::PriceChanged(p) => sqlx::query(
                "UPDATE merchandise_catalog SET price_minor = $2, currency = $3, updated_at = $4, \
                 version = $5 WHERE id = $1 AND version < $5",
            )
            .bind(p.product_id.to_string())
            .bind(p.price.amount_minor)
            .bind(p.price.currency.to_string())
            .bind(at)
            .bind(version),
            ProductEvent::Archived(a) => sqlx::query(
                "UPDATE merchandise_catalog SET status = 'archived', updated_at = $2, version = $3 \
                 WHERE id = $1 AND version < $3",
            )
            .bind(a.product_id.to_string())
            .bind(at)
            .bind(version),
        };
        query.execute(conn).await?;
        Ok(())
    }
}
