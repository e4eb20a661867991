//! `Idempotency-Key` on writes, over HTTP on SQLite and on PostgreSQL: a retried write has one
//! effect and answers as the first time; a key reused for another request is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, TestUser, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn lamp(title: &str) -> Value {
    json!({
        "title": title,
        "description": "Brass desk lamp",
        "category": "lighting",
        "price": { "amount_minor": 4900, "currency": "EUR" },
        "sku": "LAMP-01",
    })
}

async fn create_with_key(
    app: &TestApp,
    seller: &TestUser,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Status, the headers a replay must repeat, and the body of a response.
async fn parts(r: reqwest::Response) -> (StatusCode, Option<String>, Option<String>, bool, Value) {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (position, location) = (header("agora-position"), header("location"));
    let replayed = header("idempotent-replayed").as_deref() == Some("true");
    (
        r.status(),
        position,
        location,
        replayed,
        r.json().await.unwrap(),
    )
}

/// The seller's products in the catalog once it has reached `position`.
async fn products_of(app: &TestApp, seller: &TestUser, position: &str) -> i64 {
    // Wait for the read model through the API, then count its rows.
    let r = app
        .client
        .get(app.url("/api/v1/products"))
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let pool = sqlx::AnyPool::connect(&app.settings.database_url)
        .await
        .unwrap();
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM merchandise_catalog WHERE seller_id = $1")
            .bind(seller.id.clone())
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    count
}

async fn a_retry_with_the_same_key_and_body_replays_the_first_response(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;

    let first = parts(create_with_key(&app, &seller, "create-lamp-1", &lamp("Lamp")).await).await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert!(!first.3, "the first response is not a replay");
    let second = parts(create_with_key(&app, &seller, "create-lamp-1", &lamp("Lamp")).await).await;
    assert!(second.3, "Idempotent-Replayed: true");
    assert_eq!(
        (&second.0, &second.1, &second.2, &second.4),
        (&first.0, &first.1, &first.2, &first.4),
        "same status, Agora-Position, Location and body"
    );
    let position = first.1.unwrap();
    assert_eq!(products_of(&app, &seller, &position).await, 1);

    // Another key is another write; so is the same key of another caller.
    let other = parts(create_with_key(&app, &seller, "create-lamp-2", &lamp("Lamp")).await).await;
    assert_eq!(other.0, StatusCode::CREATED);
    assert_ne!(other.4["id"], first.4["id"]);
    let someone = app.new_user().await;
    let theirs = parts(create_with_key(&app, &someone, "create-lamp-1", &lamp("Lamp")).await).await;
    assert_eq!(theirs.0, StatusCode::CREATED);
    assert!(!theirs.3);
    assert_eq!(products_of(&app, &seller, &other.1.unwrap()).await, 2);

    // A final client error is kept too: the retry gets the same 422 without running again.
    let invalid = json!({ "title": " ", "category": "c", "sku": "S",
                          "price": { "amount_minor": 1, "currency": "EUR" } });
    let first = parts(create_with_key(&app, &seller, "invalid-1", &invalid).await).await;
    assert_eq!(first.0, StatusCode::UNPROCESSABLE_ENTITY);
    let again = parts(create_with_key(&app, &seller, "invalid-1", &invalid).await).await;
    assert!(again.3);
    assert_eq!((again.0, &again.4), (first.0, &first.4));

    // Reads ignore the header.
    let r = app
        .client
        .get(app.url("/api/v1/products"))
        .header("idempotency-key", "create-lamp-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("idempotent-replayed").is_none());

    // Responses that must not be stored (Cache-Control: no-store, like a login's tokens) are
    // not written down: each retry runs again.
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url("/api/v1/sessions"))
            .header("idempotency-key", "login-1")
            .json(&json!({ "email": seller.email, "password": seller.password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
}

async fn the_same_key_for_another_request_is_refused(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let first = create_with_key(&app, &seller, "k-1", &lamp("Lamp")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let position = first.headers()["agora-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let id = first.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another body.
    let r = create_with_key(&app, &seller, "k-1", &lamp("Another lamp")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_reused");
    // Another route.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/products/{id}/publish")))
        .bearer_auth(&seller.access_token)
        .header("idempotency-key", "k-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    assert_eq!(products_of(&app, &seller, &position).await, 1);

    // A key that is not a header-safe token of at most 255 characters is malformed.
    let r = create_with_key(&app, &seller, &"k".repeat(256), &lamp("Lamp")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "validation_failed"
    );
}

async fn concurrent_duplicates_create_one_product(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let body = lamp("Lamp");
    let attempts = (0..8).map(|_| create_with_key(&app, &seller, "concurrent-1", &body));
    let responses = futures::future::join_all(attempts).await;

    let mut ids = Vec::new();
    let mut positions = Vec::new();
    let mut replays = 0;
    for r in responses {
        let (status, position, _, replayed, body) = parts(r).await;
        // Each duplicate waited for the first and got its answer.
        assert_eq!(status, StatusCode::CREATED, "{body}");
        replays += usize::from(replayed);
        ids.push(body["id"].as_str().unwrap().to_owned());
        positions.push(position.unwrap());
    }
    ids.dedup();
    positions.dedup();
    assert_eq!(ids.len(), 1, "one product: {ids:?}");
    assert_eq!(positions.len(), 1);
    assert_eq!(replays, 7, "all but the first are replays");
    assert_eq!(products_of(&app, &seller, &positions[0]).await, 1);
}

common::on_both_stores!(
    a_retry_with_the_same_key_and_body_replays_the_first_response,
    the_same_key_for_another_request_is_refused,
    concurrent_duplicates_create_one_product,
);
