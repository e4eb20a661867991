//! A read of the log up to an instant already past holds every event recorded before it,
//! even while an unrelated transaction (here: another database's, as on a shared server)
//! holds the gap-free order back. Found as a flaky time-travel test under CI's load: a post
//! read `as_of` the instant after two votes showed one of them.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::{Duration, Instant};

use infrastructure::postgres::{self, PgEventStore};
use infrastructure::testing::fresh_postgres_url;
use shared_kernel::{
    Cursor, EventFilter, EventMetadata, EventStore, ExpectedVersion, NewEvent, StoreError,
    StreamId, TypeMatch,
};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const TYPE: &str = "agora.test.voted";

async fn store() -> PgEventStore {
    let pool = sqlx::PgPool::connect(&fresh_postgres_url().await)
        .await
        .unwrap();
    postgres::migrate(&pool).await.unwrap();
    PgEventStore::new(pool)
}

/// A transaction in another database that has taken a transaction id and stays open: the
/// cluster-wide guard stays below everything committed after it.
async fn open_transaction_elsewhere() -> PgConnection {
    let mut conn = PgConnection::connect(&fresh_postgres_url().await)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

async fn vote(store: &PgEventStore) -> Uuid {
    let id = Uuid::now_v7();
    store
        .append(
            &StreamId::of("vote", Uuid::now_v7()),
            ExpectedVersion::NoStream,
            vec![NewEvent {
                event_id: id,
                event_type: TYPE.into(),
                schema_version: 1,
                data: serde_json::json!({}),
                metadata: EventMetadata::default(),
            }],
        )
        .await
        .unwrap();
    id
}

fn up_to(to: chrono::DateTime<chrono::Utc>) -> EventFilter {
    EventFilter {
        types: vec![TypeMatch::Exact(TYPE.into())],
        to: Some(to),
        ..EventFilter::default()
    }
}

#[tokio::test]
async fn a_past_range_waits_for_the_transactions_that_hold_the_order_back() {
    let store = store().await;
    let blocker = open_transaction_elsewhere().await;
    let first = vote(&store).await;
    let second = vote(&store).await;
    let at = chrono::Utc::now();

    // The live order does not let the votes out while the other transaction runs.
    assert!(store.read_all(Cursor::START, 10).await.unwrap().is_empty());

    let held = Duration::from_millis(300);
    let release = tokio::spawn(async move {
        tokio::time::sleep(held).await;
        blocker.close().await.unwrap(); // ends the transaction: rolled back
    });
    let started = Instant::now();
    let read = store.read_filtered(&up_to(at), Cursor::START, 100).await;
    let ids: Vec<Uuid> = read.unwrap().iter().map(|e| e.event_id).collect();
    assert_eq!(
        ids,
        vec![first, second],
        "every vote recorded before the instant"
    );
    assert!(
        started.elapsed() >= held,
        "answered before the range settled"
    );
    release.await.unwrap();
}

#[tokio::test]
async fn a_range_that_does_not_settle_in_time_is_an_error_not_a_short_answer() {
    let store = store().await.with_settle_wait(Duration::from_millis(200));
    let _blocker = open_transaction_elsewhere().await;
    vote(&store).await;
    let at = chrono::Utc::now();
    match store.read_filtered(&up_to(at), Cursor::START, 100).await {
        Err(StoreError::NotSettled { to, waited_ms }) => {
            assert_eq!(to, at);
            assert!(waited_ms >= 200, "gave up after {waited_ms} ms");
        }
        other => panic!("expected NotSettled, got {other:?}"),
    }
    // A range not yet over is a live read: what the order lets out now, without waiting.
    let future = at + chrono::Duration::hours(1);
    let started = Instant::now();
    let live = store
        .read_filtered(&up_to(future), Cursor::START, 100)
        .await;
    assert!(live.unwrap().is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}
