//! Who owns each sku: inventory's own copy of the merchandise facts it needs (sku -> product,
//! seller), so ownership checks never call into the catalog. It agrees with merchandise's sku
//! claims: only the product that claimed a sku is ever created with it, or given a variant
//! with it.

use async_trait::async_trait;
use event_schemas::merchandise::{PRODUCT_CREATED, ProductEvent, VARIANT_ADDED};
use projections::bulk::{self, MultiRow};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DecodeError, DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool};

/// The projection's name (its checkpoint key).
pub const SKU_OWNERS: &str = "inventory.sku_owners";

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS inventory_sku_owners (
        sku        TEXT PRIMARY KEY,
        product_id TEXT NOT NULL,
        seller_id  TEXT NOT NULL
    )"];

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SkuOwner {
    pub sku: String,
    pub product_id: String,
    pub seller_id: String,
}

/// The owner of `sku`, if a product with it was created.
///
/// # Errors
/// The read-model database failed.
pub async fn find_owner(pool: &AnyPool, sku: &str) -> Result<Option<SkuOwner>, sqlx::Error> {
    sqlx::query_as::<_, SkuOwner>(
        "SELECT sku, product_id, seller_id FROM inventory_sku_owners WHERE sku = $1",
    )
    .bind(sku)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Default)]
pub struct SkuOwnersProjection;

#[async_trait]
impl Projection for SkuOwnersProjection {
    fn name(&self) -> &'static str {
        SKU_OWNERS
    }

    fn handles(&self) -> Interest {
        Interest::Types(&[PRODUCT_CREATED, VARIANT_ADDED])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inventory_sku_owners"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        self.apply_page(conn, &[event]).await
    }

    /// One multi-row insert per round of the page's skus ([`bulk::rounds`]): a sku named twice
    /// in a page keeps its first owner, as event by event.
    async fn apply_page(
        &self,
        conn: &mut AnyConnection,
        events: &[&Recorded],
    ) -> Result<(), ProjectionError> {
        let mut owners = Vec::new();
        for event in events {
            owners.extend(owner_of(event)?);
        }
        for round in bulk::rounds(owners.iter().map(|o| (o.sku.as_str(), o))) {
            bulk::execute(conn, INSERT_OWNERS, &round, |query, o| {
                query.bind(&o.sku).bind(&o.product_id).bind(&o.seller_id)
            })
            .await?;
        }
        Ok(())
    }
}

// Merchandise creates a product (adds a variant) only once it holds its sku's claim
// (`sku_claimed`, first come first served), so one product names a sku and this is its
// owner: the same answer as the claim. Should a store hold two (products created before skus
// were claimed), the first keeps it.
const INSERT_OWNERS: MultiRow = MultiRow {
    head: "INSERT INTO inventory_sku_owners (sku, product_id, seller_id) VALUES ",
    row: "(?, ?, ?)",
    tail: " ON CONFLICT (sku) DO NOTHING",
};

/// The owner an event names: creation and variants say who owns a sku; other product events
/// are none of our business.
///
/// # Errors
/// The event cannot be decoded.
fn owner_of(event: &Recorded) -> Result<Option<SkuOwner>, DecodeError> {
    if event.event_type != PRODUCT_CREATED && event.event_type != VARIANT_ADDED {
        return Ok(None);
    }
    let (sku, product_id, seller_id) =
        match ProductEvent::decode(&event.event_type, event.schema_version, event.data.clone())? {
            ProductEvent::Created(c) => (c.sku, c.product_id, c.seller_id),
            ProductEvent::VariantAdded(v) => (v.sku, v.product_id, v.seller_id),
            _ => return Ok(None),
        };
    Ok(Some(SkuOwner {
        sku,
        product_id: product_id.to_string(),
        seller_id: seller_id.to_string(),
    }))
}
