//! The fulfilments read model: one row per order and seller (`ordering_fulfilments`), what
//! the seller owes the buyer and where it stands. A seller lists theirs
//! (`GET /sellers/me/fulfilments`); an order shows its own.
//!
//! Each order event is folded ([`fold::apply`]) into the order's stored rows, guarded by the
//! order stream's version so a replayed event changes nothing.

mod fold;

use async_trait::async_trait;
use event_schemas::ordering::OrderEvent;
use http_kernel::{CursorSpec, IdKind, KeyKind, PageCursor, SortKey};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

pub use fold::{FulfilmentLine, FulfilmentReturn, FulfilmentView, apply};

use super::orders::{rfc3339, version_of};

/// The projection's name (its checkpoint key).
pub const FULFILMENTS: &str = "ordering.fulfilments";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS ordering_fulfilments (
        order_id        TEXT NOT NULL,
        seller_id       TEXT NOT NULL,
        buyer_id        TEXT NOT NULL,
        status          TEXT NOT NULL,
        paid            BIGINT NOT NULL,
        lines           TEXT NOT NULL,
        returns         TEXT NOT NULL,
        carrier         TEXT,
        tracking_number TEXT,
        shipped_at      TEXT,
        delivered_at    TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        version         BIGINT NOT NULL,
        PRIMARY KEY (order_id, seller_id)
    )",
    // The seller's list, newest first, with the order id tiebreaker of its keyset.
    "CREATE INDEX IF NOT EXISTS ordering_fulfilments_by_seller
        ON ordering_fulfilments (seller_id, created_at, order_id)",
];

const COLUMNS: &str = "order_id, seller_id, buyer_id, status, paid, lines, returns, carrier, \
     tracking_number, shipped_at, delivered_at, created_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
struct Row {
    order_id: String,
    seller_id: String,
    buyer_id: String,
    status: String,
    paid: i64,
    lines: String,
    returns: String,
    carrier: Option<String>,
    tracking_number: Option<String>,
    shipped_at: Option<String>,
    delivered_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl Row {
    fn into_view(self) -> Result<FulfilmentView, sqlx::Error> {
        Ok(FulfilmentView {
            lines: serde_json::from_str(&self.lines).map_err(|e| {
                sqlx::Error::Decode(format!("ordering_fulfilments.lines: {e}").into())
            })?,
            returns: serde_json::from_str(&self.returns).map_err(|e| {
                sqlx::Error::Decode(format!("ordering_fulfilments.returns: {e}").into())
            })?,
            order_id: self.order_id,
            seller_id: self.seller_id,
            buyer_id: self.buyer_id,
            status: self.status,
            paid: self.paid != 0,
            carrier: self.carrier,
            tracking_number: self.tracking_number,
            shipped_at: self.shipped_at,
            delivered_at: self.delivered_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn order_id_of(e: &OrderEvent) -> String {
    match e {
        OrderEvent::Placed(p) => p.order_id,
        OrderEvent::PaymentAuthorized(a) => a.order_id,
        OrderEvent::StockReserved(s) => s.order_id,
        OrderEvent::Paid(p) => p.order_id,
        OrderEvent::Shipped(s) => s.order_id,
        OrderEvent::Delivered(d) => d.order_id,
        OrderEvent::Cancelled(c) => c.order_id,
        OrderEvent::Rejected(r) => r.order_id,
        OrderEvent::FulfilmentShipped(s) => s.order_id,
        OrderEvent::FulfilmentDelivered(d) => d.order_id,
        OrderEvent::LinesCancelled(c) => c.order_id,
        OrderEvent::ReturnRequested(r) => r.order_id,
        OrderEvent::ReturnReceived(r) => r.order_id,
    }
    .to_string()
}

/// An order's fulfilments, in the order their sellers first appear among its lines.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn order_fulfilments(
    conn: impl sqlx::Executor<'_, Database = sqlx::Any>,
    order_id: &str,
) -> Result<Vec<FulfilmentView>, sqlx::Error> {
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM ordering_fulfilments WHERE order_id = $1 ORDER BY seller_id"
    ))
    .bind(order_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter().map(Row::into_view).collect()
}

#[derive(Debug, Default)]
pub struct FulfilmentsProjection;

#[async_trait]
impl Projection for FulfilmentsProjection {
    fn name(&self) -> &'static str {
        FULFILMENTS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::ordering::ORDER_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ordering_fulfilments"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "order" {
            return Ok(());
        }
        let e = OrderEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        let order_id = order_id_of(&e);
        let stored: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM ordering_fulfilments WHERE order_id = $1")
                .bind(order_id.clone())
                .fetch_one(&mut *conn)
                .await?;
        if stored.is_some_and(|v| v >= version) {
            return Ok(());
        }
        let mut fulfilments = order_fulfilments(&mut *conn, &order_id).await?;
        apply(&mut fulfilments, &e, &rfc3339(event.recorded_at));
        for f in &fulfilments {
            let encode =
                |e: serde_json::Error| ProjectionError::Database(sqlx::Error::Encode(Box::new(e)));
            let lines = serde_json::to_string(&f.lines).map_err(encode)?;
            let returns = serde_json::to_string(&f.returns).map_err(encode)?;
            sqlx::query(
                "INSERT INTO ordering_fulfilments (order_id, seller_id, buyer_id, status, lines, \
                 carrier, tracking_number, shipped_at, delivered_at, created_at, updated_at, \
                 version, paid, returns) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (order_id, seller_id) DO UPDATE SET status = $4, lines = $5, \
                 carrier = $6, tracking_number = $7, shipped_at = $8, delivered_at = $9, \
                 updated_at = $11, version = $12, paid = $13, returns = $14",
            )
            .bind(f.order_id.clone())
            .bind(f.seller_id.clone())
            .bind(f.buyer_id.clone())
            .bind(f.status.clone())
            .bind(lines)
            .bind(f.carrier.clone())
            .bind(f.tracking_number.clone())
            .bind(f.shipped_at.clone())
            .bind(f.delivered_at.clone())
            .bind(f.created_at.clone())
            .bind(f.updated_at.clone())
            .bind(version)
            .bind(i64::from(f.paid))
            .bind(returns)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

/// What a cursor of a seller's fulfilments carries (newest first): the last row's creation
/// time and order id.
pub const FULFILMENTS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "fulfilments",
    key: KeyKind::Time,
    id: IdKind::Uuid,
};

/// The fulfilments `seller_id` owes or owed (of paid orders only), newest first: `fetch` of
/// them after the cursor's; only those at `status` when given.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn list_fulfilments(
    pool: &sqlx::AnyPool,
    seller_id: &str,
    status: Option<&str>,
    after: Option<&PageCursor>,
    fetch: i64,
) -> Result<Vec<FulfilmentView>, sqlx::Error> {
    let (created_at, order_id) = match after.map(|c| (&c.key, &c.id)) {
        // Decoded with FULFILMENTS_CURSOR: the key is a time.
        Some((SortKey::Text(t), id)) => (Some(t.clone()), id.clone()),
        Some(_) => return Ok(Vec::new()),
        None => (None, String::new()),
    };
    // One statement for every case: an absent filter or cursor is a NULL that matches all.
    let rows = sqlx::query_as::<_, Row>(&format!(
        "SELECT {COLUMNS} FROM ordering_fulfilments WHERE seller_id = $1 \
         AND paid = 1 AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND order_id < $4)) \
         ORDER BY created_at DESC, order_id DESC LIMIT $5"
    ))
    .bind(seller_id)
    .bind(status.map(str::to_owned))
    .bind(created_at)
    .bind(order_id)
    .bind(fetch)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Row::into_view).collect()
}

/// Where the page after `last` starts.
#[must_use]
pub fn fulfilments_cursor(last: &FulfilmentView) -> PageCursor {
    PageCursor::new(
        FULFILMENTS_CURSOR.sort,
        SortKey::Text(last.created_at.clone()),
        last.order_id.clone(),
    )
}
