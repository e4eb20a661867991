//! The carts read model: one row per buyer with the lines of their open cart (as JSON, with the
//! unit price each was shown at), for `GET /cart`. A checkout or an abandonment empties it.

use async_trait::async_trait;
use event_schemas::cart::{CartEvent, CartLine};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

use super::orders::{rfc3339, version_of};

/// The projection's name (its checkpoint key).
pub const CARTS: &str = "ordering.carts";

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS ordering_carts (
        buyer_id   TEXT PRIMARY KEY,
        lines      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        version    BIGINT NOT NULL
    )"];

/// A buyer's cart as the read model holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// RFC 3339, the last change.
    pub updated_at: String,
    /// The cart stream's version.
    pub version: i64,
}

fn corrupt(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("ordering_carts.lines: {e}").into())
}

/// The cart of `buyer_id`, if they ever had one.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn find_cart(
    pool: &sqlx::AnyPool,
    buyer_id: &str,
) -> Result<Option<CartView>, sqlx::Error> {
    let row: Option<(String, String, i64)> =
        sqlx::query_as("SELECT lines, updated_at, version FROM ordering_carts WHERE buyer_id = $1")
            .bind(buyer_id)
            .fetch_optional(pool)
            .await?;
    row.map(|(lines, updated_at, version)| {
        Ok(CartView {
            lines: serde_json::from_str(&lines).map_err(corrupt)?,
            updated_at,
            version,
        })
    })
    .transpose()
}

/// `lines` after `event`.
fn applied(mut lines: Vec<CartLine>, event: &CartEvent) -> Vec<CartLine> {
    match event {
        CartEvent::LineAdded(e) => upsert(&mut lines, &e.line),
        CartEvent::LineChanged(e) => upsert(&mut lines, &e.line),
        CartEvent::LineRemoved(e) => lines.retain(|l| l.sku != e.sku),
        CartEvent::Repriced(e) => {
            for repriced in &e.lines {
                if let Some(line) = lines.iter_mut().find(|l| l.sku == repriced.sku) {
                    line.unit_price = repriced.now;
                }
            }
        }
        CartEvent::CheckedOut(_) | CartEvent::Abandoned(_) => lines.clear(),
    }
    lines
}

fn upsert(lines: &mut Vec<CartLine>, line: &CartLine) {
    match lines.iter_mut().find(|l| l.sku == line.sku) {
        Some(existing) => *existing = line.clone(),
        None => lines.push(line.clone()),
    }
}

/// Keeps `ordering_carts` (one row per buyer) from the cart events.
#[derive(Debug, Default)]
pub struct CartsProjection;

#[async_trait]
impl Projection for CartsProjection {
    fn name(&self) -> &'static str {
        CARTS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::cart::CART_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ordering_carts"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "cart" {
            return Ok(());
        }
        let e = CartEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let buyer_id = e.buyer_id().to_string();
        let version = version_of(event);
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT lines, version FROM ordering_carts WHERE buyer_id = $1")
                .bind(buyer_id.clone())
                .fetch_optional(&mut *conn)
                .await?;
        // Guarded by the stream version: applying an event twice is harmless.
        let lines = match row {
            Some((_, seen)) if seen >= version => return Ok(()),
            Some((lines, _)) => serde_json::from_str(&lines).map_err(corrupt)?,
            None => Vec::new(),
        };
        let lines = serde_json::to_string(&applied(lines, &e))
            .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))?;
        sqlx::query(
            "INSERT INTO ordering_carts (buyer_id, lines, updated_at, version) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (buyer_id) DO UPDATE SET \
             lines = excluded.lines, updated_at = excluded.updated_at, version = excluded.version",
        )
        .bind(buyer_id)
        .bind(lines)
        .bind(rfc3339(event.recorded_at))
        .bind(version)
        .execute(conn)
        .await?;
        Ok(())
    }
}
