//! "Listeners of this show also subscribe to": item-to-item co-occurrence of subscriptions.
//!
//! - `recommendations_user_shows`: each listener's subscriptions (with the subscription stream's version,
//!   the guard that makes an event applied twice change nothing);
//! - `recommendations_show_pairs`: for each ordered pair of shows, how many listeners subscribe to both,
//!   with an index on `(show_id, users, other_id)` so a show's most co-subscribed neighbours
//!   are one index range scan;
//! - `recommendations_shows`: titles, and which shows were deleted (from podcasts' show events).
//!
//! A subscription of a listener who has `k` others moves `2k` pair rows, in two set-based
//! statements; an unsubscription moves the same rows back. Nothing depends on the order of
//! events across streams (only within a subscription's own stream, which every feed keeps).

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::podcasts::{ShowEvent, SubscriptionEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool};

use super::Neighbour;

/// The projection's name (its checkpoint key).
pub const CO_SUBSCRIPTIONS: &str = "recommendations.co_subscriptions";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS recommendations_user_shows (
        user_id    TEXT NOT NULL,
        show_id    TEXT NOT NULL,
        subscribed BIGINT NOT NULL,
        since      TEXT NOT NULL,
        version    BIGINT NOT NULL,
        PRIMARY KEY (user_id, show_id)
    )",
    "CREATE INDEX IF NOT EXISTS recommendations_user_shows_recent
        ON recommendations_user_shows (user_id, subscribed, since)",
    "CREATE TABLE IF NOT EXISTS recommendations_show_pairs (
        show_id  TEXT NOT NULL,
        other_id TEXT NOT NULL,
        users    BIGINT NOT NULL,
        PRIMARY KEY (show_id, other_id)
    )",
    "CREATE INDEX IF NOT EXISTS recommendations_show_pairs_ranked
        ON recommendations_show_pairs (show_id, users, other_id)",
    "CREATE TABLE IF NOT EXISTS recommendations_shows (
        show_id TEXT PRIMARY KEY,
        title   TEXT NOT NULL,
        deleted BIGINT NOT NULL,
        version BIGINT NOT NULL
    )",
];

/// Whether recommendations know the show: `Some(deleted)`, or `None`.
///
/// # Errors
/// The read-model database failed.
pub async fn show_state(pool: &AnyPool, show_id: &str) -> Result<Option<bool>, sqlx::Error> {
    let deleted: Option<i64> =
        sqlx::query_scalar("SELECT deleted FROM recommendations_shows WHERE show_id = $1")
            .bind(show_id)
            .fetch_optional(pool)
            .await?;
    Ok(deleted.map(|d| d != 0))
}

/// Up to `limit` shows most often subscribed to by `show_id`'s listeners, after `(users,
/// other_id)` in the order `users DESC, other_id DESC` (deleted shows left out). One index
/// range scan from the cursor on: O(page), whatever the number of listeners.
///
/// # Errors
/// The read-model database failed.
pub async fn similar_shows(
    pool: &AnyPool,
    show_id: &str,
    after: Option<(i64, String)>,
    limit: i64,
) -> Result<Vec<Neighbour>, sqlx::Error> {
    let (users, other) = after.unwrap_or((i64::MAX, String::new()));
    sqlx::query_as::<_, Neighbour>(
        "SELECT p.other_id AS id, COALESCE(s.title, '') AS title, p.users AS score \
         FROM recommendations_show_pairs p LEFT JOIN recommendations_shows s ON s.show_id = p.other_id \
         WHERE p.show_id = $1 AND p.users > 0 AND (p.users, p.other_id) < ($2, $3) \
           AND COALESCE(s.deleted, 0) = 0 \
         ORDER BY p.users DESC, p.other_id DESC LIMIT $4",
    )
    .bind(show_id)
    .bind(users)
    .bind(if other.is_empty() {
        "\u{10FFFF}".to_owned()
    } else {
        other
    })
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// `user_id`'s `limit` most recent subscriptions.
///
/// # Errors
/// The read-model database failed.
pub async fn recent_shows(
    pool: &AnyPool,
    user_id: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT show_id FROM recommendations_user_shows WHERE user_id = $1 AND subscribed = 1 \
         ORDER BY since DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Which of `ids` `user_id` subscribes to.
///
/// # Errors
/// The read-model database failed.
pub async fn subscribed_among(
    pool: &AnyPool,
    user_id: &str,
    ids: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    super::owned_among(
        pool,
        "recommendations_user_shows",
        "show_id",
        "AND subscribed = 1",
        user_id,
        ids,
    )
    .await
}

#[derive(Debug, Default)]
pub struct CoSubscriptionsProjection;

async fn apply_subscription(
    conn: &mut AnyConnection,
    event: &Recorded,
    e: &SubscriptionEvent,
) -> Result<(), sqlx::Error> {
    let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
    let since = event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true);
    let (user, show, subscribing) = match e {
        SubscriptionEvent::Subscribed(s) => (s.user_id.to_string(), s.show_id.to_string(), true),
        SubscriptionEvent::Unsubscribed(u) => (u.user_id.to_string(), u.show_id.to_string(), false),
    };
    let moved = if subscribing {
        sqlx::query(
            "INSERT INTO recommendations_user_shows (user_id, show_id, subscribed, since, version) \
             VALUES ($1, $2, 1, $3, $4) ON CONFLICT (user_id, show_id) DO UPDATE \
             SET subscribed = 1, since = excluded.since, version = excluded.version \
             WHERE recommendations_user_shows.version < excluded.version AND recommendations_user_shows.subscribed = 0",
        )
    } else {
        sqlx::query(
            "UPDATE recommendations_user_shows SET subscribed = 0, since = $3, version = $4 \
             WHERE user_id = $1 AND show_id = $2 AND version < $4 AND subscribed = 1",
        )
    }
    .bind(user.clone())
    .bind(show.clone())
    .bind(since)
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if moved == 0 {
        return Ok(());
    }
    // The listener's other subscriptions, each pair both ways: 2k rows.
    let others = "SELECT show_id FROM recommendations_user_shows \
                  WHERE user_id = $1 AND subscribed = 1 AND show_id <> $2";
    if subscribing {
        for (a, b) in [("$2", "show_id"), ("show_id", "$2")] {
            sqlx::query(&format!(
                "INSERT INTO recommendations_show_pairs (show_id, other_id, users) \
                 SELECT {a}, {b}, 1 FROM recommendations_user_shows \
                 WHERE user_id = $1 AND subscribed = 1 AND show_id <> $2 \
                 ON CONFLICT (show_id, other_id) DO UPDATE SET users = recommendations_show_pairs.users + 1"
            ))
            .bind(user.clone())
            .bind(show.clone())
            .execute(&mut *conn)
            .await?;
        }
    } else {
        for (fixed, free) in [("show_id", "other_id"), ("other_id", "show_id")] {
            sqlx::query(&format!(
                "UPDATE recommendations_show_pairs SET users = users - 1 \
                 WHERE {fixed} = $2 AND {free} IN ({others})"
            ))
            .bind(user.clone())
            .bind(show.clone())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

async fn apply_show(
    conn: &mut AnyConnection,
    event: &Recorded,
    e: &ShowEvent,
) -> Result<(), sqlx::Error> {
    let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
    let (title, deleted) = match e {
        ShowEvent::Created(c) => (Some(c.details.title.clone()), 0_i64),
        ShowEvent::Edited(edit) => (Some(edit.details.title.clone()), 0),
        ShowEvent::Deleted(_) => (None, 1),
    };
    sqlx::query(
        "INSERT INTO recommendations_shows (show_id, title, deleted, version) VALUES ($1, COALESCE($2, ''), $3, $4) \
         ON CONFLICT (show_id) DO UPDATE SET title = COALESCE($2, recommendations_shows.title), \
         deleted = excluded.deleted, version = excluded.version \
         WHERE recommendations_shows.version < excluded.version",
    )
    .bind(e.show_id().to_string())
    .bind(title)
    .bind(deleted)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The events this read model is built from.
const EVENTS: &[&str] = &[
    event_schemas::podcasts::SHOW_SUBSCRIBED,
    event_schemas::podcasts::SHOW_UNSUBSCRIBED,
    event_schemas::podcasts::SHOW_CREATED,
    event_schemas::podcasts::SHOW_EDITED,
    event_schemas::podcasts::SHOW_DELETED,
];

#[async_trait]
impl Projection for CoSubscriptionsProjection {
    fn name(&self) -> &'static str {
        CO_SUBSCRIPTIONS
    }

    fn handles(&self) -> Interest {
        Interest::Types(EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "recommendations_user_shows",
            "recommendations_show_pairs",
            "recommendations_shows",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let (t, v, data) = (&event.event_type, event.schema_version, event.data.clone());
        if event_schemas::podcasts::SUBSCRIPTION_EVENTS.contains(&t.as_str()) {
            apply_subscription(conn, event, &SubscriptionEvent::decode(t, v, data)?).await?;
        } else {
            apply_show(conn, event, &ShowEvent::decode(t, v, data)?).await?;
        }
        Ok(())
    }
}
