//! The merchandise slice with commands travelling over the real RabbitMQ (PostgreSQL store).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Store, database_url, settings, spawn_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_created_and_read_through_rabbitmq() {
    let mut s = settings(database_url(Store::Postgres).await);
    s.messaging.amqp_url = Some(
        std::env::var("AGORA_TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
    );
    let app = spawn_with(s).await;
    let seller = common::login_header(&app).await;

    let (id, position) = app
        .create_product(
            &seller,
            &json!({ "title": "Kettle", "category": "home", "sku": "KETTLE-1",
                     "price": { "amount_minor": 3500, "currency": "EUR" } }),
        )
        .await;
    let r = app.read_product(&seller, &id, &position).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["title"], "Kettle");
}
