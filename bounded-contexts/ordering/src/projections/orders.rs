//! The orders read model: one row per order with its lines, and every status it went through.
//!
//! Tables (emptied together on a rebuild):
//! - `ordering_orders`: the order rows; the buyer's list reads them newest first.
//! - `ordering_order_history`: one row per order event: status, when, and why (cancelled,
//!   rejected).
//!
//! [`OrderDetail`] is also what `GET /orders/{id}?as_of=` folds from the order's own events,
//! so both answers have one shape; a seller's part of an order is folded from its events too
//! ([`part`]), since the rows do not say which seller each step concerned.

mod part;
mod queries;
mod view;

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::ordering::OrderEvent;
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{DomainEvent, Recorded, Timestamp};
use sqlx::AnyConnection;

pub use queries::{ORDERS_CURSOR, find_order, list_orders, orders_cursor};
pub use view::{HistoryEntry, OrderDetail, OrderPart, OrderPayment, OrderSummary};

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

pub(super) fn rfc3339(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn version_of(event: &Recorded) -> i64 {
    i64::try_from(event.stream_version).unwrap_or(i64::MAX)
}

/// The status an event moves its order to, and the reason it gives, if any.
pub(super) fn step_of(e: &OrderEvent) -> (&'static str, Option<String>) {
    match e {
        OrderEvent::Placed(_) => ("pending", None),
        OrderEvent::PaymentAuthorized(_) => ("payment_authorized", None),
        OrderEvent::StockReserved(_) => ("stock_reserved", None),
        OrderEvent::Paid(_) => ("paid", None),
        OrderEvent::Shipped(_) => ("shipped", None),
        OrderEvent::Delivered(_) => ("delivered", None),
        OrderEvent::Cancelled(c) => ("cancelled", Some(c.reason.clone())),
        OrderEvent::Rejected(r) => ("rejected", Some(r.reason.clone())),
        OrderEvent::FulfilmentShipped(s) => (s.order_status.as_str(), None),
        OrderEvent::FulfilmentDelivered(d) => (d.order_status.as_str(), None),
        // Some lines cancelled: the order goes on with the others.
        OrderEvent::LinesCancelled(c) => (
            c.order_status.as_str(),
            Some(format!("{}: {}", c.reason, c.skus.join(", "))),
        ),
        OrderEvent::ReturnRequested(r) => (
            r.order_status.as_str(),
            Some(format!("return_requested: {}", r.skus.join(", "))),
        ),
        OrderEvent::ReturnReceived(r) => (
            r.order_status.as_str(),
            Some(format!("returned: {}", r.skus.join(", "))),
        ),
    }
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
