//! The queries of the orders read model: one order with its history, a buyer's orders by page.

use event_schemas::payments::PaymentMethod;
use http_kernel::{CursorSpec, IdKind, KeyKind, PageCursor, SortKey};
use shared_kernel::Money;

use super::{HistoryEntry, OrderDetail, OrderPart, OrderPayment, OrderSummary};

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
    fn total(&self) -> Result<Money, sqlx::Error> {
        Ok(Money::new(
            self.total_minor,
            self.currency.parse().map_err(|e| corrupt("currency", e))?,
        ))
    }

    fn lines(&self) -> Result<Vec<event_schemas::ordering::OrderLine>, sqlx::Error> {
        serde_json::from_str(&self.lines).map_err(|e| corrupt("lines", e))
    }

    /// The whole order, as its buyer reads it.
    fn into_detail(self, history: Vec<HistoryEntry>) -> Result<OrderDetail, sqlx::Error> {
        let method = match self.payment_method.as_str() {
            "card" => PaymentMethod::Card,
            "wallet" => PaymentMethod::Wallet,
            other => return Err(corrupt("payment_method", other)),
        };
        Ok(OrderDetail {
            lines: self.lines()?,
            total: self.total()?,
            shipping_address: serde_json::from_str(&self.shipping_address)
                .map_err(|e| corrupt("shipping_address", e))?,
            id: self.id,
            buyer_id: self.buyer_id,
            part: OrderPart::Whole,
            status: self.status,
            payment: Some(OrderPayment { method }),
            payment_id: Some(self.payment_id),
            history,
            fulfilments: Vec::new(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }

    fn into_summary(self) -> Result<OrderSummary, sqlx::Error> {
        Ok(OrderSummary {
            lines: self.lines()?,
            total: self.total()?,
            id: self.id,
            status: self.status,
            payment_id: self.payment_id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Reads one order with its history.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn find_order(
    pool: &sqlx::AnyPool,
    id: &str,
) -> Result<Option<OrderDetail>, sqlx::Error> {
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
    let Some(order) = order else {
        return Ok(None);
    };
    let mut view = order.into_detail(history)?;
    view.fulfilments = crate::projections::order_fulfilments(pool, id).await?;
    Ok(Some(view))
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

/// The orders `buyer_id` placed (without their histories), newest first: `fetch` of them
/// after the cursor's.
///
/// # Errors
/// The read-model database failed, or holds a row this code cannot read.
pub async fn list_orders(
    pool: &sqlx::AnyPool,
    buyer_id: &str,
    after: Option<&PageCursor>,
    fetch: i64,
) -> Result<Vec<OrderSummary>, sqlx::Error> {
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
                return Ok(Vec::new());
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
    rows.into_iter().map(OrderRow::into_summary).collect()
}

/// Where the page after `last` starts.
#[must_use]
pub fn orders_cursor(last: &OrderSummary) -> PageCursor {
    PageCursor::new(
        ORDERS_CURSOR.sort,
        SortKey::Text(last.created_at.clone()),
        last.id.clone(),
    )
}
