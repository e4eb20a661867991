//! Who subscribes to what: `podcasts_subscriptions` (one row per listener and show, with the
//! subscription stream's version) and `podcasts_show_subscribers` (a count per show).
//!
//! A count moves only when the row's version moves: the row is written with the event's
//! stream version `WHERE version < $v`, and the count follows only when that write took. So an
//! event applied twice (a replay, a redelivery) is counted once, and racing subscribers of one
//! show (separate streams) each move it once.

use async_trait::async_trait;
use event_schemas::podcasts::SubscriptionEvent;
use projections::{Interest, Projection, ProjectionError};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool, FromRow};
use utoipa::ToSchema;

use super::{recorded_at, version_of};

/// The projection's name (its checkpoint key).
pub const SUBSCRIPTIONS: &str = "podcasts.subscriptions";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_subscriptions (
        user_id    TEXT NOT NULL,
        show_id    TEXT NOT NULL,
        subscribed BIGINT NOT NULL,
        since      TEXT NOT NULL,
        version    BIGINT NOT NULL,
        PRIMARY KEY (user_id, show_id)
    )",
    // A listener's subscriptions, newest first, keyset on (since, show_id).
    "CREATE INDEX IF NOT EXISTS podcasts_subscriptions_by_user
        ON podcasts_subscriptions (user_id, subscribed, since, show_id)",
    "CREATE TABLE IF NOT EXISTS podcasts_show_subscribers (
        show_id     TEXT PRIMARY KEY,
        subscribers BIGINT NOT NULL
    )",
];

/// One of a listener's subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, ToSchema)]
pub struct SubscriptionRow {
    #[schema(format = Uuid)]
    pub show_id: String,
    /// When the listener (last) subscribed, RFC 3339.
    pub since: String,
}

/// Up to `limit` of `user_id`'s subscriptions, newest first, after `(since, show_id)`.
///
/// # Errors
/// The read-model database failed.
pub async fn subscriptions_of(
    pool: &AnyPool,
    user_id: &str,
    after: Option<(String, String)>,
    limit: i64,
) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    let (since, show) = after.unwrap_or_else(|| ("9999".to_owned(), String::new()));
    sqlx::query_as::<_, SubscriptionRow>(
        "SELECT show_id, since FROM podcasts_subscriptions \
         WHERE user_id = $1 AND subscribed = 1 AND (since < $2 OR (since = $2 AND show_id < $3)) \
         ORDER BY since DESC, show_id DESC LIMIT $4",
    )
    .bind(user_id)
    .bind(since)
    .bind(show)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Whether `user_id` subscribes to `show_id` now.
///
/// # Errors
/// The read-model database failed.
pub async fn is_subscribed(
    pool: &AnyPool,
    user_id: &str,
    show_id: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT subscribed FROM podcasts_subscriptions WHERE user_id = $1 AND show_id = $2",
    )
    .bind(user_id)
    .bind(show_id)
    .fetch_optional(pool)
    .await?;
    Ok(found == Some(1))
}

#[derive(Debug, Default)]
pub struct SubscriptionsProjection;

#[async_trait]
impl Projection for SubscriptionsProjection {
    fn name(&self) -> &'static str {
        SUBSCRIPTIONS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::podcasts::SUBSCRIPTION_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["podcasts_subscriptions", "podcasts_show_subscribers"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let e =
            SubscriptionEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        let (show_id, user_id, subscribed) = match &e {
            SubscriptionEvent::Subscribed(s) => (s.show_id, s.user_id, 1_i64),
            SubscriptionEvent::Unsubscribed(u) => (u.show_id, u.user_id, 0_i64),
        };
        // An unsubscription only ever follows a subscription of the same stream (every feed
        // keeps a stream's order), so it updates a row and never creates one.
        let moved = if subscribed == 1 {
            sqlx::query(
                "INSERT INTO podcasts_subscriptions (user_id, show_id, subscribed, since, \
                 version) VALUES ($1, $2, 1, $3, $4) ON CONFLICT (user_id, show_id) DO UPDATE \
                 SET subscribed = 1, since = excluded.since, version = excluded.version \
                 WHERE podcasts_subscriptions.version < excluded.version \
                   AND podcasts_subscriptions.subscribed = 0",
            )
        } else {
            sqlx::query(
                "UPDATE podcasts_subscriptions SET subscribed = 0, since = $3, version = $4 \
                 WHERE user_id = $1 AND show_id = $2 AND version < $4 AND subscribed = 1",
            )
        }
        .bind(user_id.to_string())
        .bind(show_id.to_string())
        .bind(recorded_at(event))
        .bind(version)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if moved == 0 {
            return Ok(());
        }
        let delta = if subscribed == 1 { 1_i64 } else { -1 };
        sqlx::query(
            "INSERT INTO podcasts_show_subscribers (show_id, subscribers) VALUES ($1, $2) \
             ON CONFLICT (show_id) DO UPDATE \
             SET subscribers = podcasts_show_subscribers.subscribers + excluded.subscribers",
        )
        .bind(show_id.to_string())
        .bind(delta)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
