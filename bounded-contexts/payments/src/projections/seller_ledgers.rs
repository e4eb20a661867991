//! Sellers' balances and ledger entries: `payments_seller_balances` (one row per seller and
//! currency, the balance the latest event left) and `payments_seller_ledger_entries` (one row
//! per ledger event, keyed by the stream version, paged newest first).

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::payments::SellerLedgerEvent;
use http_kernel::{CursorSpec, IdKind, KeyKind};
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::{DomainEvent, Money, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const SELLER_LEDGERS: &str = "payments.seller_ledgers";

/// The cursor of a seller's entries: the stream version of the last entry served.
pub const ENTRIES_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "ledger",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS payments_seller_balances (
        seller_id         TEXT NOT NULL,
        currency          TEXT NOT NULL,
        available_minor   BIGINT NOT NULL,
        pending_minor     BIGINT NOT NULL,
        paid_out_minor    BIGINT NOT NULL,
        commission_minor  BIGINT NOT NULL,
        updated_at        TEXT NOT NULL,
        version           BIGINT NOT NULL,
        PRIMARY KEY (seller_id, currency)
    )",
    "CREATE TABLE IF NOT EXISTS payments_seller_ledger_entries (
        seller_id         TEXT NOT NULL,
        version           BIGINT NOT NULL,
        kind              TEXT NOT NULL,
        entry             TEXT,
        order_id          TEXT,
        payout_id         TEXT,
        currency          TEXT NOT NULL,
        gross_minor       BIGINT,
        commission_minor  BIGINT,
        amount_minor      BIGINT NOT NULL,
        detail            TEXT,
        available_minor   BIGINT NOT NULL,
        at                TEXT NOT NULL,
        PRIMARY KEY (seller_id, version)
    )",
];

/// A seller's balance in one currency (minor units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct SellerBalanceRow {
    pub currency: String,
    pub available_minor: i64,
    pub pending_minor: i64,
    pub paid_out_minor: i64,
    pub commission_minor: i64,
}

/// One ledger event as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct LedgerEntryRow {
    pub version: i64,
    /// `credit`, `debit`, `payout_requested`, `payout_paid` or `payout_failed`.
    pub kind: String,
    pub entry: Option<String>,
    pub order_id: Option<String>,
    pub payout_id: Option<String>,
    pub currency: String,
    pub gross_minor: Option<i64>,
    pub commission_minor: Option<i64>,
    /// Credit or debit: the seller's net; payout: its amount.
    pub amount_minor: i64,
    /// A paid payout's provider reference, a failed one's reason.
    pub detail: Option<String>,
    pub available_minor: i64,
    pub at: String,
}

/// A seller's balances, by currency.
///
/// # Errors
/// The read-model database failed.
pub async fn seller_balances(
    pool: &sqlx::AnyPool,
    seller_id: &str,
) -> Result<Vec<SellerBalanceRow>, sqlx::Error> {
    sqlx::query_as::<_, SellerBalanceRow>(
        "SELECT currency, available_minor, pending_minor, paid_out_minor, commission_minor \
         FROM payments_seller_balances WHERE seller_id = $1 ORDER BY currency",
    )
    .bind(seller_id)
    .fetch_all(pool)
    .await
}

/// At most `limit` of a seller's entries, newest first, older than version `before`.
///
/// # Errors
/// The read-model database failed.
pub async fn ledger_entries(
    pool: &sqlx::AnyPool,
    seller_id: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<LedgerEntryRow>, sqlx::Error> {
    sqlx::query_as::<_, LedgerEntryRow>(
        "SELECT version, kind, entry, order_id, payout_id, currency, gross_minor, \
         commission_minor, amount_minor, detail, available_minor, at \
         FROM payments_seller_ledger_entries WHERE seller_id = $1 AND version < $2 \
         ORDER BY version DESC LIMIT $3",
    )
    .bind(seller_id)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Default)]
pub struct SellerLedgersProjection;

/// The columns of one entry that differ by kind.
struct Entry<'a> {
    kind: &'static str,
    entry: Option<&'a str>,
    order_id: Option<String>,
    payout_id: Option<String>,
    gross: Option<Money>,
    commission: Option<Money>,
    amount: Money,
    detail: Option<&'a str>,
}

fn entry_of(e: &SellerLedgerEvent) -> Entry<'_> {
    let payout = |kind, id: &event_schemas::payments::PayoutId, amount, detail| Entry {
        kind,
        entry: None,
        order_id: None,
        payout_id: Some(id.to_string()),
        gross: None,
        commission: None,
        amount,
        detail,
    };
    match e {
        SellerLedgerEvent::Credited(c) => Entry {
            kind: "credit",
            entry: Some(&c.entry),
            order_id: Some(c.order_id.to_string()),
            payout_id: None,
            gross: Some(c.gross),
            commission: Some(c.commission),
            amount: c.net,
            detail: None,
        },
        SellerLedgerEvent::Debited(d) => Entry {
            kind: "debit",
            entry: Some(&d.entry),
            order_id: Some(d.order_id.to_string()),
            payout_id: None,
            gross: Some(d.gross),
            commission: Some(d.commission),
            amount: d.net,
            detail: None,
        },
        SellerLedgerEvent::PayoutRequested(p) => {
            payout("payout_requested", &p.payout_id, p.amount, None)
        }
        SellerLedgerEvent::PayoutPaid(p) => payout(
            "payout_paid",
            &p.payout_id,
            p.amount,
            Some(p.reference.as_str()),
        ),
        SellerLedgerEvent::PayoutFailed(p) => payout(
            "payout_failed",
            &p.payout_id,
            p.amount,
            Some(p.reason.as_str()),
        ),
    }
}

#[async_trait]
impl Projection for SellerLedgersProjection {
    fn name(&self) -> &'static str {
        SELLER_LEDGERS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::payments::SELLER_LEDGER_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments_seller_balances", "payments_seller_ledger_entries"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "seller_ledger" {
            return Ok(());
        }
        let e =
            SellerLedgerEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let entry = entry_of(&e);
        let balance = e.balance();
        let at = event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        let seller_id = e.seller_id().to_string();
        let currency = balance.available.currency.to_string();
        sqlx::query(
            "INSERT INTO payments_seller_ledger_entries (seller_id, version, kind, entry, \
             order_id, payout_id, currency, gross_minor, commission_minor, amount_minor, detail, \
             available_minor, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (seller_id, version) DO NOTHING",
        )
        .bind(seller_id.clone())
        .bind(version)
        .bind(entry.kind)
        .bind(entry.entry.map(str::to_owned))
        .bind(entry.order_id)
        .bind(entry.payout_id)
        .bind(currency.clone())
        .bind(entry.gross.map(|m| m.amount_minor))
        .bind(entry.commission.map(|m| m.amount_minor))
        .bind(entry.amount.amount_minor)
        .bind(entry.detail.map(str::to_owned))
        .bind(balance.available.amount_minor)
        .bind(at.clone())
        .execute(&mut *conn)
        .await?;
        // Guarded by the stream version: a replayed older event does not overwrite the balance.
        sqlx::query(
            "INSERT INTO payments_seller_balances (seller_id, currency, available_minor, \
             pending_minor, paid_out_minor, commission_minor, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (seller_id, currency) DO UPDATE \
             SET available_minor = excluded.available_minor, \
             pending_minor = excluded.pending_minor, paid_out_minor = excluded.paid_out_minor, \
             commission_minor = excluded.commission_minor, updated_at = excluded.updated_at, \
             version = excluded.version WHERE payments_seller_balances.version < excluded.version",
        )
        .bind(seller_id)
        .bind(currency)
        .bind(balance.available.amount_minor)
        .bind(balance.pending_payouts.amount_minor)
        .bind(balance.paid_out.amount_minor)
        .bind(balance.commission_total.amount_minor)
        .bind(at)
        .bind(version)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
