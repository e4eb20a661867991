//! Restock alerts: per seller, the skus whose available stock is under their threshold now.
//!
//! A row appears with `LowStockDetected` and goes away with the first event that shows the sku
//! back at or above its threshold (a receipt, a release, a lower threshold).

use async_trait::async_trait;
use event_schemas::inventory::StockEvent;
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{Aggregate, DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool};

use super::stock_levels::{recorded_at, version_of};
use crate::domain::StockItem;

/// The projection's name (its checkpoint key).
pub const RESTOCK_ALERTS: &str = "inventory.restock_alerts";

/// Alerts are raised, re-thresholded, and updated or cleared as `available` changes.
const RESTOCK_EVENTS: &[&str] = &[
    event_schemas::inventory::LOW_STOCK_DETECTED,
    event_schemas::inventory::LOW_STOCK_THRESHOLD_SET,
    event_schemas::inventory::STOCK_ITEM_OPENED,
    event_schemas::inventory::STOCK_RECEIVED,
    event_schemas::inventory::STOCK_ADJUSTED,
    event_schemas::inventory::STOCK_RESERVED,
    event_schemas::inventory::STOCK_RELEASED,
    event_schemas::inventory::STOCK_RETURNED,
];

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS inventory_restock_alerts (
        sku                 TEXT PRIMARY KEY,
        seller_id           TEXT NOT NULL,
        product_id          TEXT NOT NULL,
        available           BIGINT NOT NULL,
        low_stock_threshold BIGINT NOT NULL,
        detected_at         TEXT NOT NULL,
        version             BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS inventory_restock_alerts_by_seller
        ON inventory_restock_alerts (seller_id, sku)",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RestockAlert {
    pub sku: String,
    pub product_id: String,
    pub available: i64,
    pub low_stock_threshold: i64,
    /// When the sku fell to its threshold (RFC 3339, UTC).
    pub detected_at: String,
}

/// Up to `limit` alerts of `seller_id` with a sku after `after`, by sku.
///
/// # Errors
/// The read-model database failed.
pub async fn alerts_of(
    pool: &AnyPool,
    seller_id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<RestockAlert>, sqlx::Error> {
    sqlx::query_as::<_, RestockAlert>(
        "SELECT sku, product_id, available, low_stock_threshold, detected_at \
         FROM inventory_restock_alerts WHERE seller_id = $1 AND sku > $2 ORDER BY sku LIMIT $3",
    )
    .bind(seller_id)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Default)]
pub struct RestockAlertsProjection;

/// The available quantity an event leaves, for the events that move stock.
fn available_after(event: &StockEvent) -> Option<(&str, i64)> {
    match event {
        StockEvent::Received(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Adjusted(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Reserved(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Released(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Committed(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Returned(e) => Some((&e.sku, e.levels.available)),
        StockEvent::Opened(_) | StockEvent::ThresholdSet(_) | StockEvent::LowStockDetected(_) => {
            None
        }
    }
}

async fn clear_if_restocked(conn: &mut AnyConnection, sku: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM inventory_restock_alerts WHERE sku = $1 AND available >= low_stock_threshold",
    )
    .bind(sku)
    .execute(conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Projection for RestockAlertsProjection {
    fn name(&self) -> &'static str {
        RESTOCK_ALERTS
    }

    fn handles(&self) -> Interest {
        Interest::Types(RESTOCK_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inventory_restock_alerts"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != StockItem::KIND {
            return Ok(());
        }
        let e = StockEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        match &e {
            StockEvent::LowStockDetected(low) => {
                sqlx::query(
                    "INSERT INTO inventory_restock_alerts (sku, seller_id, product_id, available, \
                     low_stock_threshold, detected_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (sku) DO UPDATE SET available = excluded.available, \
                     low_stock_threshold = excluded.low_stock_threshold, \
                     detected_at = excluded.detected_at, version = excluded.version \
                     WHERE inventory_restock_alerts.version < excluded.version",
                )
                .bind(low.sku.clone())
                .bind(low.seller_id.to_string())
                .bind(low.product_id.to_string())
                .bind(low.available)
                .bind(low.threshold)
                .bind(recorded_at(event))
                .bind(version)
                .execute(&mut *conn)
                .await?;
            }
            StockEvent::ThresholdSet(t) => {
                sqlx::query(
                    "UPDATE inventory_restock_alerts SET low_stock_threshold = $2, version = $3 \
                     WHERE sku = $1 AND version < $3",
                )
                .bind(t.sku.clone())
                .bind(t.threshold)
                .bind(version)
                .execute(&mut *conn)
                .await?;
                clear_if_restocked(conn, &t.sku).await?;
            }
            other => {
                let Some((sku, available)) = available_after(other) else {
                    return Ok(());
                };
                sqlx::query(
                    "UPDATE inventory_restock_alerts SET available = $2, version = $3 \
                     WHERE sku = $1 AND version < $3",
                )
                .bind(sku.to_owned())
                .bind(available)
                .bind(version)
                .execute(&mut *conn)
                .await?;
                clear_if_restocked(conn, sku).await?;
            }
        }
        Ok(())
    }
}
