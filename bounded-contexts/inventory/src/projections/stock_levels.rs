//! Stock levels per sku, and the ledger of every movement that led to them.
//!
//! - `inventory_stock_levels`: one row per sku (levels as of its newest event).
//! - `inventory_stock_ledger`: one row per movement with its signed effect on `on_hand` and
//!   `reserved` and the levels after it; its sums equal the levels row (tests check this).

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::inventory::{StockEvent, StockLevels};
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::ids::OrderId;
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool};

use crate::domain::StockItem;

/// The projection's name (its checkpoint key).
pub const STOCK_LEVELS: &str = "inventory.stock_levels";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS inventory_stock_levels (
        sku                 TEXT PRIMARY KEY,
        product_id          TEXT NOT NULL,
        seller_id           TEXT NOT NULL,
        on_hand             BIGINT NOT NULL,
        reserved            BIGINT NOT NULL,
        available           BIGINT NOT NULL,
        low_stock_threshold BIGINT NOT NULL,
        version             BIGINT NOT NULL,
        updated_at          TEXT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS inventory_stock_ledger (
        sku            TEXT NOT NULL,
        version        BIGINT NOT NULL,
        movement       TEXT NOT NULL,
        order_id       TEXT,
        reason         TEXT,
        on_hand_delta  BIGINT NOT NULL,
        reserved_delta BIGINT NOT NULL,
        on_hand        BIGINT NOT NULL,
        reserved       BIGINT NOT NULL,
        available      BIGINT NOT NULL,
        recorded_at    TEXT NOT NULL,
        PRIMARY KEY (sku, version)
    )",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct StockLevelsRow {
    pub sku: String,
    pub product_id: String,
    pub seller_id: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    pub low_stock_threshold: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LedgerEntry {
    /// The stock item's version after the movement (unique per sku).
    pub version: i64,
    /// `received`, `adjusted`, `reserved`, `released`, `committed` or `returned`.
    pub movement: String,
    /// The order of a reservation's movement.
    pub order_id: Option<String>,
    /// An adjustment's reason.
    pub reason: Option<String>,
    pub on_hand_delta: i64,
    pub reserved_delta: i64,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
    /// RFC 3339, UTC.
    pub recorded_at: String,
}

/// The levels of `sku`, if stock is kept for it.
///
/// # Errors
/// The read-model database failed.
pub async fn find_levels(pool: &AnyPool, sku: &str) -> Result<Option<StockLevelsRow>, sqlx::Error> {
    sqlx::query_as::<_, StockLevelsRow>(
        "SELECT sku, product_id, seller_id, on_hand, reserved, available, low_stock_threshold \
         FROM inventory_stock_levels WHERE sku = $1",
    )
    .bind(sku)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` movements of `sku` after stream version `after`, oldest first.
///
/// # Errors
/// The read-model database failed.
pub async fn ledger_page(
    pool: &AnyPool,
    sku: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<LedgerEntry>, sqlx::Error> {
    sqlx::query_as::<_, LedgerEntry>(
        "SELECT version, movement, order_id, reason, on_hand_delta, reserved_delta, on_hand, \
         reserved, available, recorded_at FROM inventory_stock_ledger \
         WHERE sku = $1 AND version > $2 ORDER BY version LIMIT $3",
    )
    .bind(sku)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Default)]
pub struct StockLevelsProjection;

/// One ledger line: what moved, for which order, why, and by how much.
struct Movement<'a> {
    sku: &'a str,
    kind: &'static str,
    order_id: Option<OrderId>,
    reason: Option<&'a str>,
    on_hand_delta: i64,
    reserved_delta: i64,
    levels: StockLevels,
}

fn movement(event: &StockEvent) -> Option<Movement<'_>> {
    let m = match event {
        StockEvent::Received(e) => Movement {
            sku: &e.sku,
            kind: "received",
            order_id: None,
            reason: None,
            on_hand_delta: e.quantity,
            reserved_delta: 0,
            levels: e.levels,
        },
        StockEvent::Adjusted(e) => Movement {
            sku: &e.sku,
            kind: "adjusted",
            order_id: None,
            reason: Some(&e.reason),
            on_hand_delta: e.delta,
            reserved_delta: 0,
            levels: e.levels,
        },
        StockEvent::Reserved(e) => Movement {
            sku: &e.sku,
            kind: "reserved",
            order_id: Some(e.order_id),
            reason: None,
            on_hand_delta: 0,
            reserved_delta: e.quantity,
            levels: e.levels,
        },
        StockEvent::Released(e) => Movement {
            sku: &e.sku,
            kind: "released",
            order_id: Some(e.order_id),
            reason: Some(&e.reason),
            on_hand_delta: 0,
            reserved_delta: -e.quantity,
            levels: e.levels,
        },
        StockEvent::Committed(e) => Movement {
            sku: &e.sku,
            kind: "committed",
            order_id: Some(e.order_id),
            reason: None,
            on_hand_delta: -e.quantity,
            reserved_delta: -e.quantity,
            levels: e.levels,
        },
        StockEvent::Returned(e) => Movement {
            sku: &e.sku,
            kind: "returned",
            order_id: Some(e.order_id),
            reason: Some(&e.reason),
            on_hand_delta: e.quantity,
            reserved_delta: 0,
            levels: e.levels,
        },
        StockEvent::Opened(_) | StockEvent::ThresholdSet(_) | StockEvent::LowStockDetected(_) => {
            return None;
        }
    };
    Some(m)
}

pub(crate) fn version_of(event: &Recorded) -> i64 {
    i64::try_from(event.stream_version).unwrap_or(i64::MAX)
}

pub(crate) fn recorded_at(event: &Recorded) -> String {
    event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[async_trait]
impl Projection for StockLevelsProjection {
    fn name(&self) -> &'static str {
        STOCK_LEVELS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::inventory::STOCK_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["inventory_stock_levels", "inventory_stock_ledger"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        use shared_kernel::Aggregate;
        if event.stream_id.kind() != StockItem::KIND {
            return Ok(());
        }
        let e = StockEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        let at = recorded_at(event);
        // Guarded by the stream version: applying an event twice changes nothing.
        match &e {
            StockEvent::Opened(o) => {
                sqlx::query(
                    "INSERT INTO inventory_stock_levels (sku, product_id, seller_id, on_hand, \
                     reserved, available, low_stock_threshold, version, updated_at) \
                     VALUES ($1, $2, $3, 0, 0, 0, $4, $5, $6) ON CONFLICT (sku) DO NOTHING",
                )
                .bind(o.sku.clone())
                .bind(o.product_id.to_string())
                .bind(o.seller_id.to_string())
                .bind(o.low_stock_threshold)
                .bind(version)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            StockEvent::ThresholdSet(t) => {
                sqlx::query(
                    "UPDATE inventory_stock_levels SET low_stock_threshold = $2, version = $3, \
                     updated_at = $4 WHERE sku = $1 AND version < $3",
                )
                .bind(t.sku.clone())
                .bind(t.threshold)
                .bind(version)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
            other => {
                let Some(m) = movement(other) else {
                    return Ok(());
                };
                sqlx::query(
                    "UPDATE inventory_stock_levels SET on_hand = $2, reserved = $3, \
                     available = $4, version = $5, updated_at = $6 \
                     WHERE sku = $1 AND version < $5",
                )
                .bind(m.sku.to_owned())
                .bind(m.levels.on_hand)
                .bind(m.levels.reserved)
                .bind(m.levels.available)
                .bind(version)
                .bind(at.clone())
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO inventory_stock_ledger (sku, version, movement, order_id, \
                     reason, on_hand_delta, reserved_delta, on_hand, reserved, available, \
                     recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                     ON CONFLICT (sku, version) DO NOTHING",
                )
                .bind(m.sku.to_owned())
                .bind(version)
                .bind(m.kind)
                .bind(m.order_id.map(|o| o.to_string()))
                .bind(m.reason.map(str::to_owned))
                .bind(m.on_hand_delta)
                .bind(m.reserved_delta)
                .bind(m.levels.on_hand)
                .bind(m.levels.reserved)
                .bind(m.levels.available)
                .bind(at)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}
