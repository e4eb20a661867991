//! Wallet balances and their movements: `payments_wallets` (one row per user) and
//! `payments_wallet_movements` (one row per credit or debit, keyed by the stream version).

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::payments::WalletEvent;
use http_kernel::{CursorSpec, IdKind, KeyKind};
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::{DomainEvent, Money, Recorded};
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const WALLETS: &str = "payments.wallets";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS payments_wallets (
        user_id       TEXT PRIMARY KEY,
        balance_minor BIGINT NOT NULL,
        currency      TEXT NOT NULL,
        updated_at    TEXT NOT NULL,
        version       BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS payments_wallet_movements (
        user_id       TEXT NOT NULL,
        version       BIGINT NOT NULL,
        kind          TEXT NOT NULL,
        amount_minor  BIGINT NOT NULL,
        currency      TEXT NOT NULL,
        reason        TEXT NOT NULL,
        payment_id    TEXT,
        balance_minor BIGINT NOT NULL,
        at            TEXT NOT NULL,
        PRIMARY KEY (user_id, version)
    )",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct WalletRow {
    pub user_id: String,
    pub balance_minor: i64,
    pub currency: String,
    pub updated_at: String,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct MovementRow {
    pub version: i64,
    /// `credit` or `debit`.
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub reason: String,
    pub payment_id: Option<String>,
    pub balance_minor: i64,
    pub at: String,
}

/// Reads a user's wallet balance.
///
/// # Errors
/// The read-model database failed.
pub async fn find_wallet(
    pool: &sqlx::AnyPool,
    user_id: &str,
) -> Result<Option<WalletRow>, sqlx::Error> {
    sqlx::query_as::<_, WalletRow>(
        "SELECT user_id, balance_minor, currency, updated_at, version \
         FROM payments_wallets WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// The cursor of a user's wallet movements: the stream version of the last movement served.
pub const MOVEMENTS_CURSOR: CursorSpec<'static> = CursorSpec {
    sort: "wallet",
    key: KeyKind::NON_NEGATIVE_INT,
    id: IdKind::None,
};

/// At most `limit` of a user's wallet movements, newest first, older than version `before`.
///
/// # Errors
/// The read-model database failed.
pub async fn wallet_movements(
    pool: &sqlx::AnyPool,
    user_id: &str,
    before: i64,
    limit: i64,
) -> Result<Vec<MovementRow>, sqlx::Error> {
    sqlx::query_as::<_, MovementRow>(
        "SELECT version, kind, amount_minor, currency, reason, payment_id, balance_minor, at \
         FROM payments_wallet_movements WHERE user_id = $1 AND version < $2 \
         ORDER BY version DESC LIMIT $3",
    )
    .bind(user_id)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[derive(Debug, Default)]
pub struct WalletsProjection;

/// One credit or debit as stored.
struct Movement<'a> {
    user_id: UserId,
    kind: &'static str,
    amount: Money,
    reason: &'a str,
    payment_id: Option<PaymentId>,
    balance: Money,
}

#[async_trait]
impl Projection for WalletsProjection {
    fn name(&self) -> &'static str {
        WALLETS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::payments::WALLET_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payments_wallets", "payments_wallet_movements"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if event.stream_id.kind() != "wallet" {
            return Ok(());
        }
        let e = WalletEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let movement = match &e {
            WalletEvent::Credited(c) => Movement {
                user_id: c.user_id,
                kind: "credit",
                amount: c.amount,
                reason: &c.reason,
                payment_id: c.payment_id,
                balance: c.balance,
            },
            WalletEvent::Debited(d) => Movement {
                user_id: d.user_id,
                kind: "debit",
                amount: d.amount,
                reason: "payment",
                payment_id: Some(d.payment_id),
                balance: d.balance,
            },
        };
        let at = event
            .recorded_at
            .to_rfc3339_opts(SecondsFormat::Micros, true);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        let user_id = movement.user_id.to_string();
        sqlx::query(
            "INSERT INTO payments_wallet_movements (user_id, version, kind, amount_minor, \
             currency, reason, payment_id, balance_minor, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id, version) DO NOTHING",
        )
        .bind(user_id.clone())
        .bind(version)
        .bind(movement.kind)
        .bind(movement.amount.amount_minor)
        .bind(movement.amount.currency.to_string())
        .bind(movement.reason.to_owned())
        .bind(movement.payment_id.map(|p| p.to_string()))
        .bind(movement.balance.amount_minor)
        .bind(at.clone())
        .execute(&mut *conn)
        .await?;
        // Guarded by the stream version: a replayed older event does not overwrite the balance.
        sqlx::query(
            "INSERT INTO payments_wallets (user_id, balance_minor, currency, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id) DO UPDATE SET \
             balance_minor = excluded.balance_minor, currency = excluded.currency, \
             updated_at = excluded.updated_at, version = excluded.version \
             WHERE payments_wallets.version < excluded.version",
        )
        .bind(user_id)
        .bind(movement.balance.amount_minor)
        .bind(movement.balance.currency.to_string())
        .bind(at)
        .bind(version)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
