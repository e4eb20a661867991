//! A projection fed from Kafka (store -> relay -> tansu -> consumer group -> read model), with
//! its partition offsets stored beside the read model: a projector killed in the middle of a
//! batch and started again ends with every event applied exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::ledger::{Ledger, append_typed, ledger_when_complete};
use common::{Store, database_url};
use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::StoreFeed;
use infrastructure::kafka::{KafkaConfig, KafkaFeed, KafkaRelay, topic};
use projections::KafkaProjector;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn brokers() -> String {
    std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kafka_fed_projector_killed_mid_batch_applies_everything_once() {
    let db = Database::open(
        &database_url(Store::Postgres).await,
        PoolSizes { store: 8, read: 4 },
    )
    .await
    .unwrap();
    // A context of its own: its topic holds only this test's events.
    let context = format!("test{}", Uuid::now_v7().simple());
    let event_type = format!("agora.{context}.happened");
    let shutdown = CancellationToken::new();

    let relay = KafkaRelay::new(
        Arc::new(StoreFeed::new(Arc::clone(&db.store))),
        Arc::new(SqlCheckpointStore::new(db.read.clone())),
        KafkaConfig {
            partitions: 3,
            ..KafkaConfig::new(brokers())
        },
    )
    .unwrap();
    tokio::spawn(relay.run(shutdown.clone()));
    append_typed(db.store.as_ref(), 300, &event_type).await;

    let topic = topic(&context);
    let connect = {
        let topic = topic.clone();
        move |group: &str| {
            KafkaFeed::new(
                &brokers(),
                &format!("{group}.{}", Uuid::now_v7().simple()),
                &[&topic],
            )
        }
    };
    let doomed = Arc::new(Ledger {
        hang_at: Some(120),
        ..Ledger::default()
    });
    let killed = tokio::spawn(
        KafkaProjector::new()
            .with_projections("test", vec![doomed.clone()], db.read.clone(), None)
            .run("test".into(), connect.clone(), shutdown.clone()),
    );
    doomed.hanging.notified().await;
    killed.abort();
    let _ = killed.await;

    // The next process: a new consumer that starts from the beginning of the topic and skips
    // what the stored offsets say is applied.
    tokio::spawn(
        KafkaProjector::new()
            .with_projections(
                "test",
                vec![Arc::new(Ledger::default())],
                db.read.clone(),
                None,
            )
            .run("test".into(), connect, shutdown.clone()),
    );
    append_typed(db.store.as_ref(), 100, &event_type).await;

    let (rows, distinct) = ledger_when_complete(&db, 400).await;
    assert_eq!(distinct, 400, "every event applied");
    assert_eq!(rows, 400, "none applied twice");
    let stored: i64 = sqlx::query_scalar(
        "SELECT CAST(SUM(next_offset) AS BIGINT) FROM kafka_offsets WHERE topic = $1",
    )
    .bind(&topic)
    .fetch_one(&db.read)
    .await
    .unwrap();
    assert_eq!(
        stored, 400,
        "stored offsets cover every message of the topic"
    );
    shutdown.cancel();
}

/// Every event on the topic twice (two relays over one store, as every process relaying did in
/// issue 23; a relay restarting from its checkpoint does the same on a smaller scale): copies
/// in a batch and across batches are applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copies_of_events_on_kafka_are_applied_once() {
    let db = Database::open(
        &database_url(Store::Postgres).await,
        PoolSizes { store: 8, read: 4 },
    )
    .await
    .unwrap();
    let context = format!("test{}", Uuid::now_v7().simple());
    let event_type = format!("agora.{context}.happened");
    let shutdown = CancellationToken::new();
    append_typed(db.store.as_ref(), 200, &event_type).await;
    projections::create_schema(&Ledger::default(), &db.read)
        .await
        .unwrap();
    for _ in 0..2 {
        let relay = KafkaRelay::new(
            Arc::new(StoreFeed::new(Arc::clone(&db.store))),
            Arc::new(SqlCheckpointStore::new(db.read.clone())),
            KafkaConfig {
                partitions: 2,
                ..KafkaConfig::new(brokers())
            },
        )
        .unwrap();
        tokio::spawn(relay.run(shutdown.clone()));
    }
    let topic = topic(&context);
    let connect = {
        let topic = topic.clone();
        move |group: &str| {
            KafkaFeed::new(
                &brokers(),
                &format!("{group}.{}", Uuid::now_v7().simple()),
                &[&topic],
            )
        }
    };
    tokio::spawn(
        KafkaProjector::new()
            .with_projections(
                "test",
                vec![Arc::new(Ledger::default())],
                db.read.clone(),
                None,
            )
            .run("test".into(), connect, shutdown.clone()),
    );
    let (rows, distinct) = ledger_when_complete(&db, 200).await;
    assert_eq!((rows, distinct), (200, 200), "each event applied once");
    // Both relays' copies were read (the offsets pass them), and nothing was applied again.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let stored: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT) FROM kafka_offsets \
             WHERE topic = $1",
        )
        .bind(&topic)
        .fetch_one(&db.read)
        .await
        .unwrap();
        if stored == 400 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "offsets at {stored} of 400"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let (rows, _) = ledger_when_complete(&db, 200).await;
    assert_eq!(rows, 200, "no copy applied");
    shutdown.cancel();
}
