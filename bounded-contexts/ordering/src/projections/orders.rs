//! The orders read model: one row per order with its lines, and every status it went through.
//!
//! Tables (emptied together on a rebuild):
//! - `ordering_orders`: the order rows; the buyer's list reads them newest first.
//! - `ordering_order_history`: one row per order event: status, when, and why (cancelled,
//!   rejected).
//!
//! [`OrderView`] is also what `GET /orders/{id}?as_of=` folds from the order's own events, so
//! both answers have one shape.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::ordering::{OrderEvent, OrderLine, ShippingAddress};
use http_kernel::{CursorSpec, IdKind, KeyKind, PageCursor, SortKey};
use projections::{Interest, Projection, ProjectionError};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Money, Recorded, Timestamp};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const ORDERS: &str = "ordering.orders";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS ordering_orders (
        id               TEXT PRIMARY KEY,
        buyer_id         TEXT NOT NULL,
        status           TEXT NOT NULL,
        lines            TEXT NOT NULL,
        total_minor      BIGINT NOT NULL,
        currency         TEXT NOT NULL,
        shipping_address TEXT NOT NULL,
        payment_method   TEXT NOT NULL,
        payment_id       TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        version          BIGINT NOT NULL
    )",
    // The buyer's list, newest first, with the id tiebreaker of its keyset.
    "CREATE INDEX IF NOT EXISTS ordering_orders_by_buyer
        ON ordering_orders (buyer_id, created_at, id)",
    "CREATE TABLE IF NOT EXISTS ordering_order_history (
        order_id TEXT NOT NULL,
        version  BIGINT NOT NULL,
        status   TEXT NOT NULL,
        at       TEXT NOT NULL,
        reason   TEXT,
        PRIMARY KEY (order_id, version)
    )",
];

/// One step of an order's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct HistoryEntry {
    pub status: String,
    /// RFC 3339, microseconds, UTC.
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// An order as its buyer and sellers read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    pub id: String,
    pub buyer_id: String,
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub total: Money,
    pub shipping_address: ShippingAddress,
    pub payment_method: String,
    pub payment_id: String,
    pub history: Vec<HistoryEntry>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn version_of(event: &Recorded) -> i64 {
    i64::try_from(event.stream_version).unwrap_or(i64::MAX)
}

/// The status an event moves its order to, and the reason it gives, if any.
fn step_of(e: &OrderEvent) -> (&'static str, Option<String>) {
    match e {
        OrderEvent::Placed(_) => ("pending", None),
        OrderEvent::StockReserved(_) => ("stock_reserved", None),
        OrderEvent::Paid(_) => ("paid", None),
        OrderEvent::Shipped(_) => ("shipped", None),
        OrderEvent::Delivered(_) => ("delivered", None),
        OrderEvent::Cancelled(c) => ("cancelled", Some(c.reason.clone())),
        OrderEvent::Rejected(r) => ("rejected", Some(r.reason.clone())),
    }
}

impl OrderView {
    /// Whether `user` placed the order or sells one of its lines.
    #[must_use]
    pub fn visible_to(&self, user: &str) -> bool {
        self.buyer_id == user || self.lines.iter().any(|l| l.seller_id.to_string() == user)
    }

    /// The order folded from its events, oldest first; `None` before it was placed.
    ///
    /// # Errors
    /// An event this code cannot decode.
    pub fn from_events(events: &[Recorded]) -> Result<Option<Self>, shared_kernel::DecodeError> {
        let mut view: Option<Self> = None;
        for event in events {
            let e =
                OrderEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
            let at = rfc3339(event.recorded_at);
            let (status, reason) = step_of(&e);
            let entry = HistoryEntry {
                status: status.to_owned(),
                at: at.clone(),
                reason,
            };
            if let OrderEvent::Placed(p) = &e {
                view = Some(Self {
                    id: p.order_id.to_string(),
                    buyer_id: p.buyer_id.to_string(),
                    status: status.to_owned(),
                    lines: p.lines.clone(),
                    total: p.total,
                    shipping_address: p.shipping_address.clone(),
                    payment_method: p.payment.method.as_str().to_owned(),
                    payment_id: p.payment_id.to_string(),
                    history: vec![entry],
                    created_at: at.clone(),
                    updated_at: at,
                    version: version_of(event),
                });
            } else if let Some(v) = view.as_mut() {
                v.status = status.to_owned();
                v.history.push(entry);
                v.updated_at = at;
                v.version = version_of(event);
            }
        }
        Ok(view)
    }

    /// The API's JSON of the order.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "buyer_id": self.buyer_id,
            "status": self.status,
            "lines": self.lines,
            "total": self.total,
            "shipping_address": self.shipping_address,
            "payment": { "method": self.payment_method },
            "payment_id": self.payment_id,
            "history": self.history,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
struct OrderRow {
    id: String,
    buyer_id: String,
    status: String,
    lines: String,
    total_minor: i64,
    currency: String,
    shipping_address: String,
    payment_method: String,
    payment_id: String,
    created_at: String,
    updated_at: String,
    version: i64,
}

const ORDER_COLUMNS: &str = "id, buyer_id, status, lines, total_minor, currency, \
     shipping_address, payment_method, payment_id, created_at, updated_at, version";

fn corrupt(what: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("ordering_orders.{what}: {e}").into())
}

impl OrderRow {
    fn into_view(self, history: Vec<HistoryEntry>) -> Result<OrderView, sqlx::Error> {
        Ok(OrderView {
            lines: serde_json::from_str(&self.lines).map_err(|e| corrupt("lines", e))?,
            total: Money::new(
                self.total_minor,
                self.currency.parse().map_err(|e| corrupt("currency", e))?,
            ),
            shipping_address: serde_json::from_str(&self.shipping_address)
                .map_err(|e| corrupt("shipping_address", e))?,
            id: self.id,
            buyer_id: self.buyer_id,
            status: self.status,
            payment_method: self.payment_method,
            payment_id: self.payment_id,
            history,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

/// Reads one order with its history.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn find_order(pool: &sqlx::AnyPool, id: &str) -> Result<Option<OrderView>, sqlx::Error> {
    // One round trip: the order once per step of its history (a handful of rows).
    let rows = sqlx::query_as::<_, OrderWithStep>(
        "SELECT o.id, o.buyer_id, o.status, o.lines, o.total_minor, o.currency, \
                o.shipping_address, o.payment_method, o.payment_id, o.created_at, o.updated_at, \
                o.version, h.status AS step_status, h.at AS step_at, h.reason AS step_reason \
         FROM ordering_orders o \
         LEFT JOIN ordering_order_history h ON h.order_id = o.id \
         WHERE o.id = $1 ORDER BY h.version",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let mut history = Vec::with_capacity(rows.len());
    let mut order = None;
    for row in rows {
        if let (Some(status), Some(at)) = (row.step_status, row.step_at) {
            history.push(HistoryEntry {
                status,
                at,
                reason: row.step_reason,
            });
        }
        order = Some(row.order);
    }
    order.map(|o| o.into_view(history)).transpose()
}

/// A row of [`find_order`]'s join: the order and one step of its history (none yet: NULLs).
#[derive(Debug, sqlx::FromRow)]
struct OrderWithStep {
    #[sqlx(flatten)]
    order: OrderRow,
    step_status: Option<String>,
    step_at: Option<String>,
    step_reason: Option<String>,
}

/// What a cursor of the buyer's orders carries (newest first): the last row's creation time
/// and id.
pub const ORDERS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "orders",
    key: KeyKind::Time,
    id: IdKind::Uuid,
};

/// One page of a buyer's orders (without their histories) and where the next one starts.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    pub next: Option<PageCursor>,
}

/// The orders `buyer_id` placed, newest first, `limit` per page.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn list_orders(
    pool: &sqlx::AnyPool,
    buyer_id: &str,
    after: Option<&PageCursor>,
    limit: u32,
) -> Result<OrderPage, sqlx::Error> {
    let fetch = i64::from(limit) + 1;
    let rows = match after {
        None => {
            sqlx::query_as::<_, OrderRow>(&format!(
                "SELECT {ORDER_COLUMNS} FROM ordering_orders WHERE buyer_id = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT $2"
            ))
            .bind(buyer_id)
            .bind(fetch)
            .fetch_all(pool)
            .await?
        }
        Some(c) => {
            // Decoded with ORDERS_CURSOR: the key is a time.
            let SortKey::Text(created_at) = &c.key else {
                return Ok(OrderPage {
                    items: Vec::new(),
                    next: None,
                });
            };
            sqlx::query_as::<_, OrderRow>(&format!(
                "SELECT {ORDER_COLUMNS} FROM ordering_orders WHERE buyer_id = $1 \
                 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                 ORDER BY created_at DESC, id DESC LIMIT $4"
            ))
            .bind(buyer_id)
            .bind(created_at.clone())
            .bind(c.id.clone())
            .bind(fetch)
            .fetch_all(pool)
            .await?
        }
    };
    let mut items = rows
        .into_iter()
        .map(|r| r.into_view(Vec::new()))
        .collect::<Result<Vec<_>, _>>()?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| {
            PageCursor::new(
                ORDERS_CURSOR.sort,
                SortKey::Text(last.created_at.clone()),
                last.id.clone(),
            )
        })
    } else {
        None
    };
    Ok(OrderPage { items, next })
}

fn to_json_text(value: &impl Serialize) -> Result<String, ProjectionError> {
    serde_json::to_string(value)
        .map_err(|e| ProjectionError::Database(sqlx::Error::Encode(Box::new(e))))
}

#[derive(Debug, Default)]
pub struct OrdersProjection;

#[async_trait]
impl Projection for OrdersProjection {
    fn name(&self) -> &'static str {
        ORDERS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::ordering::ORDER_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["ordering_orders", "ordering_order_history"]
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
        let at = rfc3339(event.recorded_at);
        let version = version_of(event);
        let (status, reason) = step_of(&e);
        let order_id = match &e {
            OrderEvent::Placed(p) => {
                sqlx::query(
                    "INSERT INTO ordering_orders (id, buyer_id, status, lines, total_minor, \
                     currency, shipping_address, payment_method, payment_id, created_at, \
                     updated_at, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11) \
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(p.order_id.to_string())
                .bind(p.buyer_id.to_string())
                .bind(status)
                .bind(to_json_text(&p.lines)?)
                .bind(p.total.amount_minor)
                .bind(p.total.currency.to_string())
                .bind(to_json_text(&p.shipping_address)?)
                .bind(p.payment.method.as_str())
                .bind(p.payment_id.to_string())
                .bind(at.clone())
                .bind(version)
                .execute(&mut *conn)
                .await?;
                p.order_id
            }
            OrderEvent::StockReserved(s) => s.order_id,
            OrderEvent::Paid(p) => p.order_id,
            OrderEvent::Shipped(s) => s.order_id,
            OrderEvent::Delivered(d) => d.order_id,
            OrderEvent::Cancelled(c) => c.order_id,
            OrderEvent::Rejected(r) => r.order_id,
        };
        let id = order_id.to_string();
        if !matches!(e, OrderEvent::Placed(_)) {
            // Guarded by the stream version: a replayed older event does not step back.
            sqlx::query(
                "UPDATE ordering_orders SET status = $2, updated_at = $3, version = $4 \
                 WHERE id = $1 AND version < $4",
            )
            .bind(id.clone())
            .bind(status)
            .bind(at.clone())
            .bind(version)
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "INSERT INTO ordering_order_history (order_id, version, status, at, reason) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id, version) DO NOTHING",
        )
        .bind(id)
        .bind(version)
        .bind(status)
        .bind(at)
        .bind(reason)
        .execute(conn)
        .await?;
        Ok(())
    }
}
