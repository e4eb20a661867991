//! `?as_of=` on products (title, price, status), a sku's stock levels (from its snapshot when
//! one was taken by then) and posts (score, status), on both stores: each answers what was
//! true at the instant, folded from the events recorded by then.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::{Store, TestApp, on_both_stores, spawn_app};
use serde_json::{Value, json};

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A moment between two writes: the clock moves on before and after it.
async fn instant() -> String {
    tokio::time::sleep(Duration::from_millis(5)).await;
    let t = now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    t
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    who: &(String, String),
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app
        .client
        .request(method, app.url(path))
        .header(who.0.clone(), who.1.clone());
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

async fn get_json(app: &TestApp, who: &(String, String), path: &str) -> (u16, Value) {
    let r = send(app, reqwest::Method::GET, who, path, None).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn enc(t: &str) -> String {
    t.replace(':', "%3A").replace('+', "%2B")
}

async fn products_travel_in_time(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await.header();
    let stranger = app.new_user().await.header();
    let before = instant().await;
    let stocked = app.stocked_product(&seller, 1_000, 0).await; // created and published
    let id = stocked.id.clone();
    let published = instant().await;
    let r = send(
        &app,
        reqwest::Method::POST,
        &seller,
        &format!("/api/v1/products/{id}/price"),
        Some(json!({"price": {"amount_minor": 800, "currency": "EUR"}})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = send(
        &app,
        reqwest::Method::PATCH,
        &seller,
        &format!("/api/v1/products/{id}"),
        Some(json!({"title": "Walnut chess set, large"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let repriced = instant().await;
    let r = send(
        &app,
        reqwest::Method::POST,
        &seller,
        &format!("/api/v1/products/{id}/archive"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);

    let at = |t: &str| format!("/api/v1/products/{id}?as_of={}", enc(t));
    let (status, _) = get_json(&app, &seller, &at(&before)).await;
    assert_eq!(status, 404, "before it existed");
    let (status, then) = get_json(&app, &stranger, &at(&published)).await;
    assert_eq!(status, 200);
    assert_eq!(then["status"], "active");
    assert_eq!(then["title"], "Walnut chess set");
    assert_eq!(then["price"]["amount_minor"], 1_000);
    let (_, then) = get_json(&app, &stranger, &at(&repriced)).await;
    assert_eq!(then["status"], "active");
    assert_eq!(then["title"], "Walnut chess set, large");
    assert_eq!(then["price"]["amount_minor"], 800);
    assert_eq!(then["lowest_price_30d"]["amount_minor"], 800);
    let (_, then) = get_json(&app, &stranger, &at(&now())).await;
    assert_eq!(then["status"], "archived");
    let (status, problem) = get_json(
        &app,
        &stranger,
        &format!("/api/v1/products/{id}?as_of=yesterday"),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["code"], "validation_failed");
}

async fn stock_travels_in_time_from_its_snapshot(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await.header();
    let stocked = app.stocked_product(&seller, 1_000, 1).await;
    let sku = stocked.sku.clone();
    // 60 more receipts of one unit: the stream passes the snapshot taken every 50 events.
    let mut moments = Vec::new();
    for n in 2..=61 {
        let r = send(
            &app,
            reqwest::Method::POST,
            &seller,
            &format!("/api/v1/inventory/{sku}/receipts"),
            Some(json!({"quantity": 1})),
        )
        .await;
        assert_eq!(r.status(), 201);
        if n == 10 || n == 55 || n == 61 {
            moments.push((n, instant().await));
        }
    }
    for (on_hand, t) in moments {
        let (status, levels) = get_json(
            &app,
            &seller,
            &format!("/api/v1/inventory/{sku}?as_of={}", enc(&t)),
        )
        .await;
        assert_eq!(status, 200, "{levels}");
        assert_eq!(levels["on_hand"], on_hand, "at {t}");
        assert_eq!(levels["available"], on_hand);
    }
    let (_, now_levels) = get_json(&app, &seller, &format!("/api/v1/inventory/{sku}")).await;
    assert_eq!(now_levels["on_hand"], 61);
}

async fn posts_travel_in_time(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.new_user().await.header();
    let voters = [app.new_user().await.header(), app.new_user().await.header()];
    let name = format!("tt{}", &uuid::Uuid::now_v7().simple().to_string()[24..]);
    let r = send(
        &app,
        reqwest::Method::POST,
        &owner,
        "/api/v1/communities",
        Some(json!({"name": name, "title": "Time", "description": "travel"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r = send(
        &app,
        reqwest::Method::POST,
        &owner,
        &format!("/api/v1/communities/{name}/posts"),
        Some(json!({"title": "Then", "body": "and now"})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let post = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = instant().await;
    for v in &voters {
        let r = send(
            &app,
            reqwest::Method::PUT,
            v,
            &format!("/api/v1/posts/{post}/vote"),
            Some(json!({"value": 1})),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let voted = instant().await;
    let r = send(
        &app,
        reqwest::Method::POST,
        &owner,
        &format!("/api/v1/posts/{post}/remove"),
        Some(json!({"reason": "off-topic"})),
    )
    .await;
    assert_eq!(r.status(), 200);
    let at = |t: &str| format!("/api/v1/posts/{post}?as_of={}", enc(t));
    let (_, then) = get_json(&app, &voters[0], &at(&created)).await;
    assert_eq!(then["score"], 0);
    assert_eq!(then["removed"], false);
    assert_eq!(
        then["title"],
        Value::Null,
        "removed since: its earlier content is hidden from whoever cannot read it now"
    );
    let (_, then) = get_json(&app, &owner, &at(&created)).await;
    assert_eq!(then["title"], "Then", "the community's moderator reads it");
    let (_, then) = get_json(&app, &voters[0], &at(&voted)).await;
    assert_eq!(then["score"], 2);
    assert_eq!(then["ups"], 2);
    assert_eq!(then["removed"], false);
    let (_, then) = get_json(&app, &voters[0], &at(&now())).await;
    assert_eq!(then["removed"], true);
    assert_eq!(
        then["title"],
        Value::Null,
        "a removed post's content is hidden then too"
    );
    // An instant that has not happened yet has no answer that could not change.
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let r = send(&app, reqwest::Method::GET, &voters[0], &at(&later), None).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "validation_failed"
    );
}

on_both_stores!(
    products_travel_in_time,
    stock_travels_in_time_from_its_snapshot,
    posts_travel_in_time,
);
