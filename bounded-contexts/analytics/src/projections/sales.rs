//! `analytics.sales`: the order funnel per day, and sales per day per product and per seller.

use async_trait::async_trait;
use event_schemas::ordering::{self, OrderEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::AnyConnection;

use super::day_of;

/// The projection's name (its checkpoint key).
pub const SALES: &str = "analytics.sales";

const EVENTS: &[&str] = &[
    ordering::ORDER_PLACED,
    ordering::ORDER_PAID,
    ordering::ORDER_REJECTED,
    ordering::ORDER_CANCELLED,
];

const SCHEMA: &[&str] = &[
    // An order's lines from its placing until it is paid (then they are counted and dropped).
    "CREATE TABLE IF NOT EXISTS analytics_order_lines (
        order_id    TEXT NOT NULL,
        sku         TEXT NOT NULL,
        product_id  TEXT NOT NULL,
        seller_id   TEXT NOT NULL,
        title       TEXT NOT NULL,
        quantity    BIGINT NOT NULL,
        total_minor BIGINT NOT NULL,
        currency    TEXT NOT NULL,
        PRIMARY KEY (order_id, sku)
    )",
    "CREATE TABLE IF NOT EXISTS analytics_funnel_daily (
        day       TEXT PRIMARY KEY,
        placed    BIGINT NOT NULL DEFAULT 0,
        paid      BIGINT NOT NULL DEFAULT 0,
        rejected  BIGINT NOT NULL DEFAULT 0,
        cancelled BIGINT NOT NULL DEFAULT 0
    )",
    // Per (day, product, currency): paid orders with the product, units, revenue.
    "CREATE TABLE IF NOT EXISTS analytics_product_sales_daily (
        day           TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        currency      TEXT NOT NULL,
        seller_id     TEXT NOT NULL,
        title         TEXT NOT NULL,
        orders        BIGINT NOT NULL,
        units         BIGINT NOT NULL,
        revenue_minor BIGINT NOT NULL,
        PRIMARY KEY (day, product_id, currency)
    )",
    "CREATE INDEX IF NOT EXISTS analytics_product_sales_by_seller
        ON analytics_product_sales_daily (seller_id, day, product_id)",
    // Per (day, seller, currency): paid orders with the seller's lines, units, revenue.
    "CREATE TABLE IF NOT EXISTS analytics_seller_sales_daily (
        day           TEXT NOT NULL,
        seller_id     TEXT NOT NULL,
        currency      TEXT NOT NULL,
        orders        BIGINT NOT NULL,
        units         BIGINT NOT NULL,
        revenue_minor BIGINT NOT NULL,
        PRIMARY KEY (day, seller_id, currency)
    )",
    "CREATE INDEX IF NOT EXISTS analytics_seller_sales_by_seller
        ON analytics_seller_sales_daily (seller_id, day)",
];

/// The funnel and the sales.
#[derive(Debug, Default)]
pub struct SalesProjection;

async fn count(conn: &mut AnyConnection, day: &str, stage: &str) -> Result<(), sqlx::Error> {
    // `stage` is one of four column names of this file, never input.
    let sql = format!(
        "INSERT INTO analytics_funnel_daily (day, {stage}) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET {stage} = analytics_funnel_daily.{stage} + 1"
    );
    sqlx::query(&sql).bind(day).execute(conn).await?;
    Ok(())
}

/// A paid order's lines, grouped per product and per seller.
#[derive(Debug, sqlx::FromRow)]
struct Line {
    product_id: String,
    seller_id: String,
    title: String,
    quantity: i64,
    total_minor: i64,
    currency: String,
}

async fn record_sale(
    conn: &mut AnyConnection,
    day: &str,
    order_id: &str,
) -> Result<(), sqlx::Error> {
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT product_id, seller_id, title, quantity, total_minor, currency \
         FROM analytics_order_lines WHERE order_id = $1 ORDER BY sku",
    )
    .bind(order_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut products: Vec<(String, String, String, String, i64, i64)> = Vec::new();
    let mut sellers: Vec<(String, String, i64, i64)> = Vec::new();
    for l in lines {
        match products
            .iter_mut()
            .find(|p| p.0 == l.product_id && p.3 == l.currency)
        {
            Some(p) => {
                p.4 += l.quantity;
                p.5 += l.total_minor;
            }
            None => products.push((
                l.product_id.clone(),
                l.seller_id.clone(),
                l.title.clone(),
                l.currency.clone(),
                l.quantity,
                l.total_minor,
            )),
        }
        match sellers
            .iter_mut()
            .find(|s| s.0 == l.seller_id && s.1 == l.currency)
        {
            Some(s) => {
                s.2 += l.quantity;
                s.3 += l.total_minor;
            }
            None => sellers.push((l.seller_id, l.currency, l.quantity, l.total_minor)),
        }
    }
    for (product_id, seller_id, title, currency, units, revenue) in products {
        sqlx::query(
            "INSERT INTO analytics_product_sales_daily \
             (day, product_id, currency, seller_id, title, orders, units, revenue_minor) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) \
             ON CONFLICT (day, product_id, currency) DO UPDATE SET \
             orders = analytics_product_sales_daily.orders + 1, \
             units = analytics_product_sales_daily.units + excluded.units, \
             revenue_minor = analytics_product_sales_daily.revenue_minor + excluded.revenue_minor, \
             title = excluded.title",
        )
        .bind(day)
        .bind(product_id)
        .bind(currency)
        .bind(seller_id)
        .bind(title)
        .bind(units)
        .bind(revenue)
        .execute(&mut *conn)
        .await?;
    }
    for (seller_id, currency, units, revenue) in sellers {
        sqlx::query(
            "INSERT INTO analytics_seller_sales_daily \
             (day, seller_id, currency, orders, units, revenue_minor) \
             VALUES ($1, $2, $3, 1, $4, $5) \
             ON CONFLICT (day, seller_id, currency) DO UPDATE SET \
             orders = analytics_seller_sales_daily.orders + 1, \
             units = analytics_seller_sales_daily.units + excluded.units, \
             revenue_minor = analytics_seller_sales_daily.revenue_minor + excluded.revenue_minor",
        )
        .bind(day)
        .bind(seller_id)
        .bind(currency)
        .bind(units)
        .bind(revenue)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM analytics_order_lines WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[async_trait]
impl Projection for SalesProjection {
    fn name(&self) -> &'static str {
        SALES
    }

    fn handles(&self) -> Interest {
        Interest::Types(EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "analytics_order_lines",
            "analytics_funnel_daily",
            "analytics_product_sales_daily",
            "analytics_seller_sales_daily",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let day = day_of(event);
        match OrderEvent::decode(&event.event_type, event.schema_version, event.data.clone())? {
            OrderEvent::Placed(placed) => {
                for line in &placed.lines {
                    sqlx::query(
                        "INSERT INTO analytics_order_lines (order_id, sku, product_id, \
                         seller_id, title, quantity, total_minor, currency) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (order_id, sku) DO NOTHING",
                    )
                    .bind(placed.order_id.to_string())
                    .bind(line.sku.clone())
                    .bind(line.product_id.to_string())
                    .bind(line.seller_id.to_string())
                    .bind(line.title.clone())
                    .bind(line.quantity)
                    .bind(line.line_total.amount_minor)
                    .bind(line.line_total.currency.to_string())
                    .execute(&mut *conn)
                    .await?;
                }
                count(conn, &day, "placed").await?;
            }
            OrderEvent::Paid(paid) => {
                record_sale(conn, &day, &paid.order_id.to_string()).await?;
                count(conn, &day, "paid").await?;
            }
            OrderEvent::Rejected(rejected) => {
                drop_lines(conn, &rejected.order_id.to_string()).await?;
                count(conn, &day, "rejected").await?;
            }
            OrderEvent::Cancelled(cancelled) => {
                drop_lines(conn, &cancelled.order_id.to_string()).await?;
                count(conn, &day, "cancelled").await?;
            }
            _ => {}
        }
        Ok(())
    }
}

async fn drop_lines(conn: &mut AnyConnection, order_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM analytics_order_lines WHERE order_id = $1")
        .bind(order_id)
        .execute(conn)
        .await?;
    Ok(())
}
