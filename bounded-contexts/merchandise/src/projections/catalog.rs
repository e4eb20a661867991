//! The catalog: one row per product as buyers and sellers read it, its full-text search index,
//! its price history and the stock available per sku.
//!
//! Tables (all owned by this projection, emptied together on a rebuild):
//! - `merchandise_catalog`: the product rows.
//! - `merchandise_search`: the search index over title and description. On PostgreSQL a
//!   weighted `tsvector` (title `A`, description `B`) with a GIN index; on SQLite an FTS5 table
//!   (porter stemmer). Same name on both, so the shared code can empty it.
//! - `merchandise_price_history`: every price a product had, with when it took effect.
//! - `merchandise_stock`: the `available` quantity per sku, from the inventory's stock events.
//! - `merchandise_variants`: every product's variants by sku (see `variants`).
//! - `merchandise_facets`: counts of active products per category, currency, price band and
//!   availability (see `summary`).
//!
//! A read model built before variants lacks the catalog's `options`, `min_price_minor`,
//! `max_price_minor` and `in_stock` columns: drop `merchandise_catalog` and run
//! `agora projections rebuild merchandise.catalog`.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::inventory::StockEvent;
use event_schemas::merchandise::ProductEvent;
use projections::{Backend, Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

use super::schema::{POSTGRES_SCHEMA, SCHEMA, SQLITE_SCHEMA};
use super::{summary, variants};

/// The projection's name (its checkpoint key).
pub const CATALOG: &str = "merchandise.catalog";

/// Products, and the stock events that change what is available to buy.
const CATALOG_EVENTS: &[&str] = &[
    event_schemas::merchandise::PRODUCT_CREATED,
    event_schemas::merchandise::PRODUCT_PUBLISHED,
    event_schemas::merchandise::PRODUCT_DETAILS_CHANGED,
    event_schemas::merchandise::PRODUCT_PRICE_CHANGED,
    event_schemas::merchandise::PRODUCT_ARCHIVED,
    event_schemas::merchandise::PRODUCT_OPTIONS_SET,
    event_schemas::merchandise::VARIANT_ADDED,
    event_schemas::merchandise::VARIANT_PRICE_CHANGED,
    event_schemas::inventory::STOCK_ITEM_OPENED,
    event_schemas::inventory::STOCK_RECEIVED,
    event_schemas::inventory::STOCK_ADJUSTED,
    event_schemas::inventory::STOCK_RESERVED,
    event_schemas::inventory::STOCK_RELEASED,
    event_schemas::inventory::STOCK_RETURNED,
];

/// Text search configuration of PostgreSQL, close to SQLite's porter stemmer.
pub(crate) const PG_SEARCH_CONFIG: &str = "english";

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
    /// JSON array of `{name, values}`: the options the variants choose from.
    pub options: String,
    /// The lowest and highest variant price, minor units.
    pub min_price_minor: i64,
    pub max_price_minor: i64,
    /// 1 when some variant has stock available, else 0.
    pub in_stock: i64,
    /// Stock available for the product's (default variant's) sku; `None` before the
    /// inventory reported any.
    pub available: Option<i64>,
}

/// The catalog columns (table alias `c`) and the sku's stock (alias `s`), in
/// [`CatalogProduct`]'s order.
pub(crate) const PRODUCT_COLUMNS: &str = "c.id, c.seller_id, c.status, c.title, c.description, \
     c.category, c.sku, c.price_minor, c.currency, c.attributes, c.created_at, c.updated_at, \
     c.version, c.options, c.min_price_minor, c.max_price_minor, c.in_stock, s.available";

/// Reads one product from the catalog.
///
/// # Errors
/// The read-model database failed.
pub async fn find_product(
    pool: &sqlx::AnyPool,
    id: &str,
) -> Result<Option<CatalogProduct>, sqlx::Error> {
    sqlx::query_as::<_, CatalogProduct>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM merchandise_catalog c \
         LEFT JOIN merchandise_stock s ON s.sku = c.sku WHERE c.id = $1"
    ))
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

    fn handles(&self) -> Interest {
        Interest::Types(CATALOG_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn backend_schema(&self, backend: Backend) -> &'static [&'static str] {
        match backend {
            Backend::Postgres => POSTGRES_SCHEMA,
            Backend::Sqlite => SQLITE_SCHEMA,
        }
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "merchandise_catalog",
            "merchandise_search",
            "merchandise_price_history",
            "merchandise_stock",
            "merchandise_variants",
            "merchandise_facets",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        // The products the event concerns, with their facet keys before it: after it, their
        // price range and availability are recomputed and their facet counts moved.
        let mut before = Vec::new();
        match event.stream_id.kind() {
            "product" => {
                let e = ProductEvent::decode(
                    &event.event_type,
                    event.schema_version,
                    event.data.clone(),
                )?;
                let id = e.product_id().to_string();
                before.push((id.clone(), summary::facet_key(conn, &id).await?));
                apply_product(conn, event, &e).await?;
            }
            "stock" => {
                let e = StockEvent::decode(
                    &event.event_type,
                    event.schema_version,
                    event.data.clone(),
                )?;
                for id in variants::products_of_sku(conn, summary::stock_sku(&e)).await? {
                    before.push((id.clone(), summary::facet_key(conn, &id).await?));
                }
                summary::apply_stock(conn, version_of(event), &e).await?;
            }
            _ => return Ok(()),
        }
        for (id, key) in before {
            summary::refresh(conn, &id).await?;
            summary::recount(conn, &id, key).await?;
        }
        Ok(())
    }
}

fn version_of(event: &Recorded) -> i64 {
    i64::try_from(event.stream_version).unwrap_or(i64::MAX)
}

async fn apply_product(
    conn: &mut AnyConnection,
    event: &Recorded,
    e: &ProductEvent,
) -> Result<(), ProjectionError> {
    let at = event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let version = version_of(event);
    // Every update is guarded by the stream version, so applying an event twice is harmless;
    // the search index and the price history follow only an update that happened.
    match e {
        ProductEvent::Created(c) => {
            let id = c.product_id.to_string();
            let inserted = sqlx::query(
                "INSERT INTO merchandise_catalog (id, seller_id, status, title, description, \
                 category, sku, price_minor, currency, attributes, created_at, updated_at, version, \
                 min_price_minor, max_price_minor) \
                 VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $7, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(id.clone())
            .bind(c.seller_id.to_string())
            .bind(c.title.clone())
            .bind(c.description.clone())
            .bind(c.category.clone())
            .bind(c.sku.clone())
            .bind(c.price.amount_minor)
            .bind(c.price.currency.to_string())
            .bind(serde_json::to_string(&c.attributes).unwrap_or_else(|_| "{}".into()))
            .bind(at.clone())
            .bind(version)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if inserted > 0 {
                // The default variant: the product's sku at the product's price.
                sqlx::query(
                    "INSERT INTO merchandise_variants (sku, product_id, option_values, price_minor, \
                     position) VALUES ($1, $2, '{}', NULL, $3) ON CONFLICT (sku) DO NOTHING",
                )
                .bind(c.sku.clone())
                .bind(id.clone())
                .bind(version)
                .execute(&mut *conn)
                .await?;
                index_for_search(conn, &id, &c.title, &c.description).await?;
                record_price(
                    conn,
                    &id,
                    version,
                    c.price.amount_minor,
                    &c.price.currency,
                    &at,
                )
                .await?;
            }
        }
        ProductEvent::Published(p) => {
            sqlx::query(
                "UPDATE merchandise_catalog SET status = 'active', updated_at = $2, version = $3 \
                 WHERE id = $1 AND version < $3",
            )
            .bind(p.product_id.to_string())
            .bind(at)
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        ProductEvent::DetailsChanged(d) => {
            let id = d.product_id.to_string();
            let updated = sqlx::query(
                "UPDATE merchandise_catalog SET title = $2, description = $3, category = $4, \
                 updated_at = $5, version = $6 WHERE id = $1 AND version < $6",
            )
            .bind(id.clone())
            .bind(d.title.clone())
            .bind(d.description.clone())
            .bind(d.category.clone())
            .bind(at)
            .bind(version)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if updated > 0 {
                index_for_search(conn, &id, &d.title, &d.description).await?;
            }
        }
        ProductEvent::PriceChanged(p) => {
            let id = p.product_id.to_string();
            let updated = sqlx::query(
                "UPDATE merchandise_catalog SET price_minor = $2, currency = $3, updated_at = $4, \
                 version = $5 WHERE id = $1 AND version < $5",
            )
            .bind(id.clone())
            .bind(p.price.amount_minor)
            .bind(p.price.currency.to_string())
            .bind(at.clone())
            .bind(version)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if updated > 0 {
                record_price(
                    conn,
                    &id,
                    version,
                    p.price.amount_minor,
                    &p.price.currency,
                    &at,
                )
                .await?;
            }
        }
        ProductEvent::Archived(a) => {
            sqlx::query(
                "UPDATE merchandise_catalog SET status = 'archived', updated_at = $2, version = $3 \
                 WHERE id = $1 AND version < $3",
            )
            .bind(a.product_id.to_string())
            .bind(at)
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        variant => variants::apply_variant_event(conn, variant, version).await?,
    }
    Ok(())
}

/// (Re)indexes a product's title and description.
async fn index_for_search(
    conn: &mut AnyConnection,
    id: &str,
    title: &str,
    description: &str,
) -> Result<(), sqlx::Error> {
    match Backend::of(conn) {
        Backend::Postgres => {
            // Title words weigh more (A) than description words (B) in `ts_rank`.
            sqlx::query(&format!(
                "INSERT INTO merchandise_search (id, document) VALUES ($1, \
                 setweight(to_tsvector('{PG_SEARCH_CONFIG}', $2::text), 'A') || \
                 setweight(to_tsvector('{PG_SEARCH_CONFIG}', $3::text), 'B')) \
                 ON CONFLICT (id) DO UPDATE SET document = excluded.document"
            ))
            .bind(id)
            .bind(title)
            .bind(description)
            .execute(&mut *conn)
            .await?;
        }
        Backend::Sqlite => {
            // FTS5 tables have no unique constraint to upsert on.
            sqlx::query("DELETE FROM merchandise_search WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO merchandise_search (id, title, description) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(title)
            .bind(description)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn record_price(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    amount_minor: i64,
    currency: &shared_kernel::Currency,
    at: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO merchandise_price_history (product_id, version, price_minor, currency, at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (product_id, version) DO NOTHING",
    )
    .bind(id)
    .bind(version)
    .bind(amount_minor)
    .bind(currency.to_string())
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
