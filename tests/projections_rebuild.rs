//! Projector runtime guarantees, on both stores, with a ledger projection that records every
//! application (no upsert), so a double shows as an extra row and a gap as a missing one.
//! - a rebuild while the live projector runs and events keep coming: no gap, no double;
//! - a projector killed in the middle of a batch ends equal to a clean rebuild.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::ledger::{Ledger, append, ledger_when_complete};
use common::{Store, database_url};
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::StoreFeed;
use projections::{Progress, Projector};
use tokio_util::sync::CancellationToken;

async fn open(store: Store) -> Database {
    Database::open(&database_url(store).await, PoolSizes { store: 8, read: 4 })
        .await
        .unwrap()
}

async fn rebuild_while_live_has_no_gap_and_no_double(store: Store) {
    let db = open(store).await;
    append(db.store.as_ref(), 300).await;
    let feed = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let shutdown = CancellationToken::new();
    let live = Projector::new(Arc::new(Ledger::default()), db.read.clone())
        .spawn(
            feed,
            &Progress::new(Arc::clone(&db.store)),
            shutdown.clone(),
        )
        .await
        .unwrap();

    // Events keep coming while the rebuild replays.
    let writer_store = Arc::clone(&db.store);
    let writer = tokio::spawn(async move { append(writer_store.as_ref(), 200).await });
    let rebuilder = Projector::new(Arc::new(Ledger::default()), db.read.clone());
    let replayed = rebuilder
        .rebuild(db.store.as_ref(), |_, _| {})
        .await
        .unwrap();
    writer.await.unwrap();
    assert!(replayed >= 300, "the rebuild replayed {replayed} events");

    let (rows, distinct) = ledger_when_complete(&db, 500).await;
    assert_eq!(distinct, 500, "every event projected (no gap)");
    assert_eq!(rows, 500, "no event projected twice");
    assert!(!live.task.is_finished(), "the live projector keeps running");
    shutdown.cancel();
}

async fn a_projector_killed_mid_batch_ends_equal_to_a_clean_rebuild(store: Store) {
    let db = open(store).await;
    append(db.store.as_ref(), 400).await;
    let feed = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let progress = Progress::new(Arc::clone(&db.store));

    let doomed = Arc::new(Ledger {
        hang_at: Some(150),
        ..Ledger::default()
    });
    let killed = Projector::new(doomed.clone(), db.read.clone())
        .spawn(feed.clone(), &progress, CancellationToken::new())
        .await
        .unwrap();
    doomed.hanging.notified().await;
    killed.task.abort();
    let _ = killed.task.await;

    // A new process picks up from the last committed checkpoint.
    let shutdown = CancellationToken::new();
    let _restarted = Projector::new(Arc::new(Ledger::default()), db.read.clone())
        .spawn(feed, &progress, shutdown.clone())
        .await
        .unwrap();
    let (rows, distinct) = ledger_when_complete(&db, 400).await;
    assert_eq!(
        (rows, distinct),
        (400, 400),
        "the half-applied batch left nothing behind"
    );
    let after_crash: Vec<(String, i64)> =
        sqlx::query_as("SELECT event_id, position FROM test_ledger ORDER BY position")
            .fetch_all(&db.read)
            .await
            .unwrap();
    shutdown.cancel();

    Projector::new(Arc::new(Ledger::default()), db.read.clone())
        .rebuild(db.store.as_ref(), |_, _| {})
        .await
        .unwrap();
    let clean: Vec<(String, i64)> =
        sqlx::query_as("SELECT event_id, position FROM test_ledger ORDER BY position")
            .fetch_all(&db.read)
            .await
            .unwrap();
    assert_eq!(after_crash, clean);
}

common::on_both_stores!(
    rebuild_while_live_has_no_gap_and_no_double,
    a_projector_killed_mid_batch_ends_equal_to_a_clean_rebuild,
);
