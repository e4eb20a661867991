//! The co-occurrence read models applied event by event on SQLite and on PostgreSQL: the
//! known answer of a small fixture, and an event applied twice moving nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{TimeZone, Utc};
use event_schemas::podcasts::{ShowId, ShowSubscribed, SubscriptionEvent};
use projections::Projection;
use recommendations::projections::{CoSubscriptionsProjection, similar_shows};
use shared_kernel::ids::UserId;
use shared_kernel::{Cursor, DomainEvent, EventMetadata, Recorded, StreamId};
use sqlx::AnyPool;

async fn pool(postgres: bool) -> AnyPool {
    sqlx::any::install_default_drivers();
    let url = if postgres {
        infrastructure::testing::fresh_postgres_url().await
    } else {
        infrastructure::testing::fresh_sqlite_url() + "?mode=rwc"
    };
    let pool = AnyPool::connect(&url).await.unwrap();
    projections::create_schema(&CoSubscriptionsProjection, &pool)
        .await
        .unwrap();
    pool
}

fn subscribed(show: ShowId, user: UserId, position: u64) -> Recorded {
    let event = SubscriptionEvent::Subscribed(ShowSubscribed {
        show_id: show,
        user_id: user,
    });
    Recorded {
        event_id: uuid::Uuid::now_v7(),
        stream_id: StreamId::of("subscription", format!("{show}_{user}")),
        stream_version: 1,
        position,
        cursor: Cursor::new(0, position),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: Utc
            .timestamp_opt(1_790_000_000 + i64::try_from(position).unwrap(), 0)
            .unwrap(),
    }
}

async fn a_replayed_subscription_moves_no_pair_twice(postgres: bool) {
    let pool = pool(postgres).await;
    let (a, b, c) = (ShowId::new(), ShowId::new(), ShowId::new());
    let (u, v) = (UserId::new(), UserId::new());
    let events = [
        subscribed(a, u, 1),
        subscribed(b, u, 2),
        subscribed(a, v, 3),
        subscribed(c, v, 4),
        subscribed(b, v, 5),
    ];
    for event in events.iter().chain(events.iter()) {
        let mut conn = pool.acquire().await.unwrap();
        CoSubscriptionsProjection
            .apply(&mut conn, event)
            .await
            .unwrap();
    }
    let similar: Vec<(String, i64)> = similar_shows(&pool, &a.to_string(), None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.id, n.score))
        .collect();
    assert_eq!(similar, [(b.to_string(), 2), (c.to_string(), 1)]);
}

#[tokio::test]
async fn sqlite_a_replayed_subscription_moves_no_pair_twice() {
    a_replayed_subscription_moves_no_pair_twice(false).await;
}

#[tokio::test]
async fn postgres_a_replayed_subscription_moves_no_pair_twice() {
    a_replayed_subscription_moves_no_pair_twice(true).await;
}
