//! The merchandise slice with commands travelling over the real RabbitMQ (PostgreSQL store).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Store, database_url, settings, spawn_with};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn products_are_created_and_read_through_rabbitmq() {
    let mut s = settings(database_url(Store::Postgres).await);
    s.amqp_url = Some(
        std::env::var("AGORA_TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
    );
    let app = spawn_with(s).await;
    let seller = common::login_header(&app).await;

    let r = app
        .client
        .post(app.url("/api/v1/products"))
        .header(seller.0.clone(), seller.1.clone())
        .json(
            &json!({ "title": "Kettle", "category": "home", "sku": "KETTLE-1",
                       "price": { "amount_minor": 3500, "currency": "EUR" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let position = r.headers()["agora-position"].to_str().unwrap().to_owned();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let r = app
        .client
        .get(app.url(&format!("/api/v1/products/{id}")))
        .header(seller.0.clone(), seller.1.clone())
        .header("agora-min-position", position.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["title"], "Kettle");
}
