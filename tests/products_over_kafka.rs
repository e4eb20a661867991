//! `serve` with projectors fed from Kafka: the relay publishes the store's events, the catalog
//! projector consumes them as its own consumer group, and a read with `Agora-Min-Position`
//! still sees the write it follows (PostgreSQL store, tansu broker).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Store, database_url, settings, spawn_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_read_your_writes_through_kafka() {
    let mut s = settings(database_url(Store::Postgres).await);
    s.messaging.kafka_brokers = Some(
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned()),
    );
    s.feed.event_feed = agora::config::EventFeedKind::Kafka;
    // Joining the consumer group and discovering the new topic take a few seconds at first.
    s.http.read_wait_ms = 45_000;
    let app = spawn_with(s).await;
    let seller = common::login_header(&app).await;

    let mut ids = Vec::new();
    for n in 0..3 {
        let body = json!({ "title": format!("Lamp {n}"), "category": "home", "sku": format!("LAMP-{n}"),
                           "price": { "amount_minor": 4500, "currency": "EUR" } });
        ids.push(app.create_product(&seller, &body).await);
    }
    for (n, (id, position)) in ids.iter().enumerate() {
        let r = app.read_product(&seller, id, position).await;
        assert_eq!(r.status(), 200, "product {n}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["title"],
            format!("Lamp {n}")
        );
    }
}
