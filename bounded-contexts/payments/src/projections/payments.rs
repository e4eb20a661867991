//! One row per payment, as its payer (and admins) read it: `payments_payments`.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::payments::{PaymentAuthorized, PaymentDeclined, PaymentEvent, PaymentMethod};
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{DomainEvent, Money, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const PAYMENTS: &str = "payments.payments";

const SCHEMA: &[&str] = &["CREATE TABLE IF NOT EXISTS payments_payments (
        id             TEXT PRIMARY KEY,
        order_id       TEXT NOT NULL,
        payer_id       TEXT NOT NULL,
        status         TEXT NOT NULL,
        amount_minor   BIGINT NOT NULL,
        currency       TEXT NOT NULL,
        method         TEXT NOT NULL,
        refunded_minor BIGINT NOT NULL,
        decline_reason TEXT,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        version        BIGINT NOT NULL
    )"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PaymentRow {
    pub id: String,
    pub order_id: String,
    pub payer_id: String,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub method: String,
    pub refunded_minor: i64,
    pub decline_reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// Reads one payment.
///
/// # Errors
/// The read-model database failed.
pub async fn find_payment(
    pool: &sqlx::AnyPool,
    id: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    sqlx::query_as::<_, PaymentRow>(
        "SELECT id, order_id, payer_id, status, amount_minor, currency, method, refunded_minor, \
         decline_reason, created_at, updated_at, version FROM payments_payments WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Default)]
pub struct PaymentsProjection;

#[async_trait]
impl Projection for PaymentsProjection {
    fn name(&self) -> &'static str {
        PAYMENTS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::payments::PAYMENT_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments_payments"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "payment" {
            return Ok(());
        }
        let e = PaymentEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let at = event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        match &e {
            PaymentEvent::Authorized(PaymentAuthorized {
                payment_id,
                order_id,
                payer_id,
                amount,
                method,
                ..
            }) => {
                let row = Opened {
                    id: payment_id.to_string(),
                    order_id: order_id.to_string(),
                    payer_id: payer_id.to_string(),
                    status: "authorized",
                    amount: *amount,
                    method: *method,
                    decline_reason: None,
                };
                open(conn, &row, &at, version).await?;
            }
            PaymentEvent::Declined(PaymentDeclined {
                payment_id,
                order_id,
                payer_id,
                amount,
                method,
                reason,
            }) => {
                let row = Opened {
                    id: payment_id.to_string(),
                    order_id: order_id.to_string(),
                    payer_id: payer_id.to_string(),
                    status: "declined",
                    amount: *amount,
                    method: *method,
                    decline_reason: Some(reason.clone()),
                };
                open(conn, &row, &at, version).await?;
            }
            PaymentEvent::Captured(c) => {
                set_status(conn, &c.payment_id.to_string(), "captured", &at, version).await?;
            }
            PaymentEvent::Voided(v) => {
                set_status(conn, &v.payment_id.to_string(), "voided", &at, version).await?;
            }
            PaymentEvent::Refunded(r) => {
                // Every update is guarded by the stream version: a replay changes nothing.
                sqlx::query(
                    "UPDATE payments_payments SET refunded_minor = $2, \
                     status = CASE WHEN $2 >= amount_minor THEN 'refunded' \
                     ELSE 'partially_refunded' END, updated_at = $3, version = $4 \
                     WHERE id = $1 AND version < $4",
                )
                .bind(r.payment_id.to_string())
                .bind(r.refunded_total.amount_minor)
                .bind(at)
                .bind(version)
                .execute(&mut *conn)
                .await?;
            }
        }
        Ok(())
    }
}

/// The row an authorization or a decline creates.
struct Opened {
    id: String,
    order_id: String,
    payer_id: String,
    status: &'static str,
    amount: Money,
    method: PaymentMethod,
    decline_reason: Option<String>,
}

async fn open(
    conn: &mut AnyConnection,
    row: &Opened,
    at: &str,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO payments_payments (id, order_id, payer_id, status, amount_minor, currency, \
         method, refunded_minor, decline_reason, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $9, $10) \
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(row.id.clone())
    .bind(row.order_id.clone())
    .bind(row.payer_id.clone())
    .bind(row.status)
    .bind(row.amount.amount_minor)
    .bind(row.amount.currency.to_string())
    .bind(row.method.as_str())
    .bind(row.decline_reason.clone())
    .bind(at.to_owned())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    at: &str,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE payments_payments SET status = $2, updated_at = $3, version = $4 \
         WHERE id = $1 AND version < $4",
    )
    .bind(id.to_owned())
    .bind(status.to_owned())
    .bind(at.to_owned())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}
