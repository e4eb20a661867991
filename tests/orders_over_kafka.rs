//! The order flow with `--event-feed kafka`: the relay publishes the store's events to the
//! tansu broker, and both the projectors and the sagas (the order saga, inventory's
//! reservation expiry) consume them as Kafka consumer groups instead of reading the store.
//! A paid order sells its stock; a declined one is rejected and gives its stock back
//! (PostgreSQL store, as `products_over_kafka`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{Store, TestApp, database_url, order_body, order_statuses, settings, spawn_with};
use infrastructure::database::{Database, PoolSizes};
use serde_json::{Value, json};

/// How long one step may take: the first events of a test wait for its consumer groups to
/// join and discover the new topics, which takes several seconds.
const KAFKA_STEP: Duration = Duration::from_secs(60);

async fn spawn_over_kafka() -> TestApp {
    let mut s = settings(database_url(Store::Postgres).await);
    s.messaging.kafka_brokers = Some(
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned()),
    );
    s.feed.event_feed = agora::config::EventFeedKind::Kafka;
    // `settings` already gives every test server a topic prefix of its own on the shared broker.
    s.http.read_wait_ms = 45_000;
    spawn_with(s).await
}

/// The sum of the next offsets `consumer` stored per partition of the test server's topics:
/// above zero only when it consumed from Kafka (a store-fed saga keeps a store cursor instead).
async fn kafka_offsets_of(app: &TestApp, consumer: &str) -> i64 {
    let db = Database::open(&app.settings.storage.url(), PoolSizes { store: 1, read: 1 })
        .await
        .unwrap();
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(next_offset), 0) AS BIGINT) FROM kafka_offsets \
         WHERE consumer = $1 AND topic LIKE $2",
    )
    .bind(consumer)
    .bind(format!("{}.%", app.settings.messaging.kafka_topic_prefix))
    .fetch_one(&db.read)
    .await
    .unwrap()
}

/// The movements of `sku` as (movement, order id), oldest first.
async fn movements(
    app: &TestApp,
    seller: &(String, String),
    sku: &str,
) -> Vec<(String, Option<String>)> {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/inventory/{sku}/ledger")))
        .header(seller.0.clone(), seller.1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let page: Value = r.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["movement"].as_str().unwrap().to_owned(),
                m["order_id"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_sells_its_stock_through_kafka() {
    let app = spawn_over_kafka().await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    // Listed, published and stocked: inventory learns of the product from Kafka before the
    // receipt is accepted.
    let product = app.stocked_product(&seller, 1250, 10).await;
    app.wait_for_stock(&seller, &product.sku, (10, 0, 10), KAFKA_STEP)
        .await;

    let id = app
        .place_order(
            &buyer,
            &order_body(&product.id, 2, "tok_ok"),
            &product.position,
        )
        .await;
    let order = app
        .wait_for_order_status(&buyer, &id, "paid", KAFKA_STEP)
        .await;
    assert_eq!(
        order_statuses(&order),
        ["pending", "payment_authorized", "stock_reserved", "paid"]
    );
    assert_eq!(
        order["total"],
        json!({ "amount_minor": 2500, "currency": "EUR" })
    );
    // Committed: two units left the shelf, none stay reserved.
    app.wait_for_stock(&seller, &product.sku, (8, 0, 8), KAFKA_STEP)
        .await;
    let order_id = Some(id.clone());
    assert_eq!(
        movements(&app, &seller, &product.sku).await,
        [
            ("received".to_owned(), None),
            ("reserved".to_owned(), order_id.clone()),
            ("committed".to_owned(), order_id),
        ]
    );
    // Both sagas did their work from Kafka, not from the store.
    for saga in [
        ordering::application::saga::SAGA_NAME,
        inventory::application::RESERVATION_EXPIRY,
    ] {
        let offsets = kafka_offsets_of(&app, &format!("saga.{saga}")).await;
        assert!(offsets > 0, "saga {saga} stored no Kafka offsets");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_order_is_rejected_without_holding_stock_through_kafka() {
    let app = spawn_over_kafka().await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    let product = app.stocked_product(&seller, 900, 5).await;

    let id = app
        .place_order(
            &buyer,
            &order_body(&product.id, 2, "tok_declined"),
            &product.position,
        )
        .await;
    let order = app
        .wait_for_order_status(&buyer, &id, "rejected", KAFKA_STEP)
        .await;
    assert_eq!(order_statuses(&order), ["pending", "rejected"]);
    assert_eq!(order["history"][1]["reason"], "payment_declined");
    // The payment is asked for before stock is held: a declined card never held any.
    app.wait_for_stock(&seller, &product.sku, (5, 0, 5), KAFKA_STEP)
        .await;
    assert_eq!(
        movements(&app, &seller, &product.sku).await,
        [("received".to_owned(), None)]
    );
}
