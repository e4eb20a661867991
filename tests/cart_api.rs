//! Carts over HTTP, end to end with the real catalog, inventory and payments and the order
//! saga: a cart from two sellers checked out at the prices shown (409 `prices_changed` first
//! when a price moved), a retried checkout placing one order, and an idle cart abandoned (the
//! event recorded) before a fresh one starts empty.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    Store, TestApp, database_url, on_both_stores, settings, shipping_address, spawn_with,
};
use ordering::domain::{Cart, CartCommand};
use serde_json::{Value, json};
use shared_kernel::application::{execute, follow_up, load};
use shared_kernel::ids::{OrderId, PaymentId};
use shared_kernel::{
    Aggregate, CommandEnvelope, CommandOutcome, EventMetadata, StreamId, SystemClock,
};

/// How long a saga step (or the expiry timer) may take in these tests before they fail.
const SAGA: Duration = Duration::from_secs(60);

type Auth = (String, String);

async fn app_with(store: Store, cart_ttl_secs: u64) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.http.read_wait_ms = 5_000;
    s.ordering.cart_ttl_secs = cart_ttl_secs;
    spawn_with(s).await
}

fn checkout_body(token: &str) -> Value {
    json!({
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": token },
    })
}

/// `POST /cart/lines` as `buyer` after the write at `position`, expecting 200; returns the
/// write's position.
async fn add_line(
    app: &TestApp,
    buyer: &Auth,
    product: &str,
    quantity: i64,
    position: &str,
) -> String {
    let r = app
        .client
        .post(app.url("/api/v1/cart/lines"))
        .header(buyer.0.clone(), buyer.1.clone())
        .header("agora-min-position", position)
        .json(&json!({ "product_id": product, "quantity": quantity }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.headers()["agora-position"].to_str().unwrap().to_owned()
}

async fn get_cart(app: &TestApp, buyer: &Auth, position: &str) -> Value {
    let r = app
        .client
        .get(app.url("/api/v1/cart"))
        .header(buyer.0.clone(), buyer.1.clone())
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn check_out(
    app: &TestApp,
    buyer: &Auth,
    key: Option<&str>,
    position: &str,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/v1/cart/checkout"))
        .header(buyer.0.clone(), buyer.1.clone())
        .header("agora-min-position", position)
        .json(&checkout_body("tok_ok"));
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

/// The seller sets a new price; returns the write's position.
async fn set_price(app: &TestApp, seller: &Auth, product: &str, minor: i64) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/products/{product}/price")))
        .header(seller.0.clone(), seller.1.clone())
        .json(&json!({ "price": { "amount_minor": minor, "currency": "EUR" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    r.headers()["agora-position"].to_str().unwrap().to_owned()
}

async fn my_orders(app: &TestApp, buyer: &Auth) -> Vec<Value> {
    let list: Value = app
        .client
        .get(app.url("/api/v1/orders"))
        .header(buyer.0.clone(), buyer.1.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["items"].as_array().unwrap().clone()
}

async fn a_cart_from_two_sellers_is_charged_the_prices_it_shows(store: Store) {
    let app = app_with(store, 3600).await;
    let (first_seller, second_seller) = (app.user_header().await, app.user_header().await);
    let buyer = app.user_header().await;
    let chess = app.stocked_product(&first_seller, 1000, 10).await;
    let go = app.stocked_product(&second_seller, 500, 10).await;

    // An empty cart cannot be checked out.
    let r = check_out(&app, &buyer, None, &go.position).await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "cart_empty");

    add_line(&app, &buyer, &chess.id, 1, &chess.position).await;
    add_line(&app, &buyer, &go.id, 1, &go.position).await;
    // The same product again adds up.
    let position = add_line(&app, &buyer, &chess.id, 1, &go.position).await;
    let cart = get_cart(&app, &buyer, &position).await;
    assert_eq!(cart["line_count"], 2, "{cart}");
    assert_eq!(cart["lines"][0]["quantity"], 2);
    assert_eq!(cart["total"]["amount_minor"], 2500);
    assert_eq!(cart["prices_changed"], false);

    // The first seller raises the price: the cart shows it beside the price recorded...
    let repriced = set_price(&app, &first_seller, &chess.id, 1200).await;
    let cart = get_cart(&app, &buyer, &repriced).await;
    let line = &cart["lines"][0];
    assert_eq!(line["sku"], chess.sku.as_str());
    assert_eq!(line["unit_price"]["amount_minor"], 1000);
    assert_eq!(line["current_unit_price"]["amount_minor"], 1200);
    assert_eq!(line["price_changed"], true);
    assert_eq!(cart["lines"][1]["price_changed"], false);
    assert_eq!(cart["current_total"]["amount_minor"], 2900);

    // ...and a checkout answers 409 with that line, seen and now.
    let r = check_out(&app, &buyer, Some("pay-the-cart"), &repriced).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "prices_changed", "{problem}");
    let changed = problem["changed_lines"].as_array().unwrap();
    assert_eq!(changed.len(), 1, "{problem}");
    assert_eq!(changed[0]["sku"], chess.sku.as_str());
    assert_eq!(changed[0]["seen"]["amount_minor"], 1000);
    assert_eq!(changed[0]["now"]["amount_minor"], 1200);
    assert!(
        my_orders(&app, &buyer).await.is_empty(),
        "nothing was ordered"
    );

    // The cart now shows the new price; checking out again (the same key: a 409 is not kept)
    // charges it.
    let r = check_out(&app, &buyer, Some("pay-the-cart"), &repriced).await;
    assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let placed: Value = r.json().await.unwrap();
    let id = placed["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/orders/{id}"));
    let order = app.wait_for_order_status(&buyer, &id, "paid", SAGA).await;
    assert_eq!(
        order["total"],
        json!({ "amount_minor": 2900, "currency": "EUR" })
    );
    let lines = order["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["unit_price"]["amount_minor"], 1200);
    assert_eq!(lines[0]["quantity"], 2);
    app.wait_for_stock(&first_seller, &chess.sku, (8, 0, 8), SAGA)
        .await;
    app.wait_for_stock(&second_seller, &go.sku, (9, 0, 9), SAGA)
        .await;

    // The cart is empty again.
    let position = placed_position(&app, &buyer).await;
    let cart = get_cart(&app, &buyer, &position).await;
    assert_eq!(cart["lines"], json!([]), "{cart}");
    assert_eq!(cart["total"], Value::Null);
}

/// A position at which the carts read model shows the buyer's latest cart write.
async fn placed_position(app: &TestApp, buyer: &Auth) -> String {
    let me: Value = app
        .client
        .get(app.url("/api/v1/me"))
        .header(buyer.0.clone(), buyer.1.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let stream = StreamId::of("cart", me["id"].as_str().unwrap());
    let events = app.running.store.read_stream(&stream, 1).await.unwrap();
    events.last().unwrap().position.to_string()
}

async fn a_retried_checkout_places_one_order(store: Store) {
    let app = app_with(store, 3600).await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    let product = app.stocked_product(&seller, 700, 5).await;
    let position = add_line(&app, &buyer, &product.id, 2, &product.position).await;

    let first = check_out(&app, &buyer, Some("checkout-once"), &position).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let again = check_out(&app, &buyer, Some("checkout-once"), &position).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    // Another key: the cart is empty now.
    let other = check_out(&app, &buyer, Some("checkout-twice"), &position).await;
    assert_eq!(other.status(), 422);
    assert_eq!(other.json::<Value>().await.unwrap()["code"], "cart_empty");

    let id = first["id"].as_str().unwrap();
    let order = app.wait_for_order_status(&buyer, id, "paid", SAGA).await;
    assert_eq!(order["total"]["amount_minor"], 1400);
    assert_eq!(my_orders(&app, &buyer).await.len(), 1);
    app.wait_for_stock(&seller, &product.sku, (3, 0, 3), SAGA)
        .await;
}

async fn an_idle_cart_is_abandoned_and_the_next_starts_empty(store: Store) {
    let app = app_with(store, 1).await;
    let seller = app.user_header().await;
    let buyer = app.new_user().await;
    let auth = buyer.header();
    let product = app.stocked_product(&seller, 450, 5).await;
    add_line(&app, &auth, &product.id, 3, &product.position).await;

    let stream = StreamId::of("cart", &buyer.id);
    let deadline = tokio::time::Instant::now() + SAGA;
    let abandoned = loop {
        let events = app.running.store.read_stream(&stream, 1).await.unwrap();
        if let Some(e) = events
            .iter()
            .find(|e| e.event_type == "agora.ordering.cart_abandoned")
        {
            break e.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the cart was not abandoned"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(abandoned.data["line_count"], 1);
    assert_eq!(
        abandoned.data["value"],
        json!({ "amount_minor": 1350, "currency": "EUR" })
    );
    assert_eq!(
        abandoned.stream_version, 2,
        "abandoned once, right after the line"
    );

    let cart = get_cart(&app, &auth, &abandoned.position.to_string()).await;
    assert_eq!(cart["lines"], json!([]), "{cart}");
    let r = check_out(&app, &auth, None, &product.position).await;
    assert_eq!(
        r.status(),
        422,
        "an abandoned cart has nothing to check out"
    );

    // A fresh cart starts with the new line only.
    let position = add_line(&app, &auth, &product.id, 1, &product.position).await;
    let cart = get_cart(&app, &auth, &position).await;
    assert_eq!(cart["line_count"], 1);
    assert_eq!(cart["lines"][0]["quantity"], 1);
}

/// A first attempt that recorded the cart's checkout and died before placing the order: the
/// retry (same command id, as an `Idempotency-Key` or the bus gives it) places that order from
/// the lines the cart recorded, and a further repeat places nothing more.
async fn a_checkout_cut_short_after_the_cart_step_places_its_order_on_retry(store: Store) {
    let app = app_with(store, 3600).await;
    let seller = app.user_header().await;
    let buyer = app.new_user().await;
    let product = app.stocked_product(&seller, 800, 5).await;
    add_line(&app, &buyer.header(), &product.id, 2, &product.position).await;

    let command_id = uuid::Uuid::now_v7();
    let order_id = OrderId::derived(command_id, "order");
    let stream = StreamId::of(Cart::KIND, &buyer.id);
    let store = app.running.store.as_ref();
    let cart = load::<Cart>(store, &stream).await.unwrap().state;
    let metadata = EventMetadata {
        command_id: Some(command_id),
        actor: Some(buyer.id.clone()),
        ..EventMetadata::default()
    };
    let cart_step = CartCommand::CheckOut {
        buyer_id: buyer.id.parse().unwrap(),
        order_id,
        lines: cart.lines.clone(),
    };
    execute::<Cart>(
        store,
        &SystemClock,
        &stream,
        cart_step,
        &follow_up(&metadata, "cart"),
    )
    .await
    .unwrap();

    let retry = || CommandEnvelope {
        command_id,
        context: "ordering".into(),
        name: "check_out_cart".into(),
        payload: json!({
            "order_id": order_id,
            "payment_id": PaymentId::derived(command_id, "payment"),
            "lines": [],
            "shipping_address": shipping_address(),
            "payment": { "method": "card", "token": "tok_ok" },
        }),
        actor: Some(buyer.id.clone()),
        correlation_id: None,
        causation_id: None,
    };
    for _ in 0..2 {
        let reply = app.running.bus.send(retry()).await.unwrap();
        let CommandOutcome::Accepted { body, .. } = reply.outcome else {
            panic!("{reply:?}");
        };
        assert_eq!(body["id"], order_id.to_string());
    }
    let order = app
        .wait_for_order_status(&buyer.header(), &order_id.to_string(), "paid", SAGA)
        .await;
    assert_eq!(
        order["total"]["amount_minor"], 1600,
        "the cart's recorded prices"
    );
    assert_eq!(my_orders(&app, &buyer.header()).await.len(), 1);
}

on_both_stores!(
    a_cart_from_two_sellers_is_charged_the_prices_it_shows,
    a_retried_checkout_places_one_order,
    an_idle_cart_is_abandoned_and_the_next_starts_empty,
    a_checkout_cut_short_after_the_cart_step_places_its_order_on_retry,
);
