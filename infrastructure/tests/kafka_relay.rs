//! Relay -> tansu (Kafka protocol) -> consumer: every stream arrives complete and in order, with
//! CloudEvents headers, and the relay's checkpoint reaches the store's head.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod kafka_support;

use std::time::Duration;

use infrastructure::kafka::RELAY_CHECKPOINT;
use kafka_support::{consume_in_order, fixture};
use shared_kernel::{CheckpointStore, StreamId};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_streams_keep_their_order() {
    let f = fixture().await;
    let streams: Vec<StreamId> = (0..20)
        .map(|_| StreamId::of("relay", Uuid::now_v7()))
        .collect();
    f.append(&streams, 25, 0).await;

    let shutdown = CancellationToken::new();
    let relay = f.spawn_relay(shutdown.clone());
    let consumer = f.consumer();
    // Events appended while the relay runs are relayed too.
    f.append(&streams, 25, 25).await;
    let duplicates = consume_in_order(&consumer, 20 * 50, Duration::from_secs(90)).await;
    println!("relay: 1000 events in order, {duplicates} duplicates");

    let head = f.store.head().await.unwrap();
    let mut checkpoint = None;
    for _ in 0..50 {
        checkpoint = f.checkpoints.load(RELAY_CHECKPOINT).await.unwrap();
        if checkpoint == Some(head) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        checkpoint,
        Some(head),
        "the checkpoint follows delivery reports to the head"
    );
    shutdown.cancel();
    relay.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confidential_data_is_withheld() {
    use rdkafka::message::{Headers, Message};
    use shared_kernel::{ExpectedVersion, NewEvent};

    let f = fixture().await;
    let stream = StreamId::of("secret", Uuid::now_v7());
    let secret = NewEvent {
        event_type: format!("agora.{}.secret_set", f.context),
        data: serde_json::json!({ "hash": "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" }),
        ..f.event(0)
    };
    f.store
        .append(&stream, ExpectedVersion::NoStream, vec![secret])
        .await
        .unwrap();
    let shutdown = CancellationToken::new();
    let relay = f.spawn_relay(shutdown.clone());
    let consumer = f.consumer();
    // Until the relay has created the topic, the consumer reports it unknown: retry those.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let message = loop {
        match tokio::time::timeout_at(deadline, consumer.recv()).await {
            Ok(Ok(message)) => break message,
            Ok(Err(e)) => {
                println!("consumer not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => panic!("no message relayed within 60 s"),
        }
    };
    assert_eq!(
        message.payload(),
        Some(&b"null"[..]),
        "the data never leaves the store"
    );
    let withheld = message
        .headers()
        .unwrap()
        .iter()
        .find(|h| h.key == "ce_withheld")
        .and_then(|h| h.value);
    assert_eq!(withheld, Some(&b"true"[..]));
    shutdown.cancel();
    relay.await.unwrap();
}
