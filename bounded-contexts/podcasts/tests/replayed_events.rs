//! The podcasts read models applied event by event on SQLite and on PostgreSQL: an event
//! applied twice (a replay, a redelivery) is counted once, and counts follow subscriptions,
//! unsubscriptions and downloads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{TimeZone, Utc};
use event_schemas::podcasts::{
    DownloadCounted, DownloadEvent, EpisodeId, ShowId, ShowSubscribed, ShowUnsubscribed,
    SubscriptionEvent,
};
use podcasts::application::{download_stream, subscription_stream};
use podcasts::projections::{DownloadsProjection, SubscriptionsProjection, show_downloads};
use projections::Projection;
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
    for p in [
        &SubscriptionsProjection as &dyn Projection,
        &DownloadsProjection,
    ] {
        projections::create_schema(p, &pool).await.unwrap();
    }
    pool
}

fn recorded(stream: &StreamId, version: u64, position: u64, event: &impl DomainEvent) -> Recorded {
    Recorded {
        event_id: uuid::Uuid::now_v7(),
        stream_id: stream.clone(),
        stream_version: version,
        position,
        cursor: Cursor::new(0, position),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
    }
}

async fn apply(pool: &AnyPool, projection: &dyn Projection, event: &Recorded) {
    let mut conn = pool.acquire().await.unwrap();
    projection.apply(&mut conn, event).await.unwrap();
}

async fn subscribers(pool: &AnyPool, show: ShowId) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT subscribers FROM podcasts_show_subscribers WHERE show_id = $1",
    )
    .bind(show.to_string())
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or(0)
}

async fn a_replayed_event_is_counted_once(postgres: bool) {
    let pool = pool(postgres).await;
    let show = ShowId::new();
    let (ada, bo) = (UserId::new(), UserId::new());
    let subscribed = |user| {
        SubscriptionEvent::Subscribed(ShowSubscribed {
            show_id: show,
            user_id: user,
        })
    };
    let ada_1 = recorded(&subscription_stream(show, ada), 1, 1, &subscribed(ada));
    let bo_1 = recorded(&subscription_stream(show, bo), 1, 2, &subscribed(bo));
    for event in [&ada_1, &ada_1, &bo_1, &bo_1, &ada_1] {
        apply(&pool, &SubscriptionsProjection, event).await;
    }
    assert_eq!(subscribers(&pool, show).await, 2);
    let gone = SubscriptionEvent::Unsubscribed(ShowUnsubscribed {
        show_id: show,
        user_id: ada,
    });
    let ada_2 = recorded(&subscription_stream(show, ada), 2, 3, &gone);
    apply(&pool, &SubscriptionsProjection, &ada_2).await;
    apply(&pool, &SubscriptionsProjection, &ada_2).await;
    // The subscription replayed after its unsubscription is older: nothing moves.
    apply(&pool, &SubscriptionsProjection, &ada_1).await;
    assert_eq!(subscribers(&pool, show).await, 1);

    let episode = EpisodeId::new();
    let counted = DownloadEvent::Counted(DownloadCounted {
        episode_id: episode,
        show_id: show,
        day: "2026-12-01".into(),
        listener: "aa".repeat(32),
        at: Utc.timestamp_opt(1_790_000_000, 0).unwrap(),
    });
    let download = recorded(
        &download_stream(episode, "2026-12-01", &"aa".repeat(32)),
        1,
        4,
        &counted,
    );
    apply(&pool, &DownloadsProjection, &download).await;
    apply(&pool, &DownloadsProjection, &download).await;
    let days = show_downloads(&pool, &show.to_string(), "2026-11-01", "2026-12-31", "", 10)
        .await
        .unwrap();
    assert_eq!(days.len(), 1);
    assert_eq!((days[0].downloads, days[0].episodes[0].downloads), (1, 1));
}

#[tokio::test]
async fn sqlite_a_replayed_event_is_counted_once() {
    a_replayed_event_is_counted_once(false).await;
}

#[tokio::test]
async fn postgres_a_replayed_event_is_counted_once() {
    a_replayed_event_is_counted_once(true).await;
}
