//! The marketplace end to end (issue 13's "done when"), on SQLite and on PostgreSQL: two
//! sellers list products, one with variants; a buyer fills a cart with both, checks out; each
//! seller ships and delivers their own part; the buyer returns one line and is refunded its
//! amount once; the stock comes back; each seller's ledger shows their delivered lines less the
//! platform's commission (10 %, the default), less the return.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use common::{
    Store, TestApp, database_url, on_both_stores, settings, shipping_address, spawn_with,
};
use serde_json::{Value, json};

const SAGA: Duration = common::SETTLE;

type Who = (String, String);

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    who: &Who,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(who.0.clone(), who.1.clone());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn post(app: &TestApp, who: &Who, path: &str, body: Option<Value>) -> (u16, Value) {
    send(app, reqwest::Method::POST, who, path, body).await
}

fn minor(money: &Value) -> i64 {
    money["amount_minor"].as_i64().unwrap()
}

/// A tee of `seller` at 20.00 in sizes S and M, M at 25.00, each size stocked with 3 units.
/// Returns the product id and the skus of S and M.
async fn tee(app: &TestApp, seller: &Who) -> (String, String, String) {
    let suffix = uuid::Uuid::now_v7().simple().to_string();
    let (small, medium) = (format!("TEE-S-{suffix}"), format!("TEE-M-{suffix}"));
    let (status, product) = post(
        app,
        seller,
        "/api/v1/products",
        Some(json!({
            "title": "Organic tee",
            "description": "Cotton.",
            "category": "clothing",
            "price": { "amount_minor": 2000, "currency": "EUR" },
            "options": [{ "name": "size", "values": ["S", "M"] }],
            "variants": [
                { "sku": small, "option_values": { "size": "S" } },
                { "sku": medium, "option_values": { "size": "M" },
                  "price": { "amount_minor": 2500, "currency": "EUR" } },
            ],
        })),
    )
    .await;
    assert_eq!(status, 201, "{product}");
    let id = product["id"].as_str().unwrap().to_owned();
    let (status, body) = post(app, seller, &format!("/api/v1/products/{id}/publish"), None).await;
    assert_eq!(status, 200, "{body}");
    for sku in [&small, &medium] {
        // 503 while inventory has not seen the variant yet.
        let deadline = tokio::time::Instant::now() + SAGA;
        loop {
            let path = format!("/api/v1/inventory/{sku}/receipts");
            let (status, body) = post(app, seller, &path, Some(json!({ "quantity": 3 }))).await;
            if status == 201 {
                break;
            }
            assert!(
                status == 503 && tokio::time::Instant::now() < deadline,
                "{status} {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    (id, small, medium)
}

async fn two_sellers_a_cart_a_return_and_the_ledgers(store: Store) {
    let mut s = settings(database_url(store).await);
    s.http.read_wait_ms = 10_000;
    let app = spawn_with(s).await;
    let (first, second) = (app.new_user().await, app.new_user().await);
    let (first_h, second_h) = (first.header(), second.header());
    let buyer = app.user_header().await;
    let (tee_id, small, medium) = tee(&app, &first_h).await;
    let clock = app.stocked_product(&second_h, 3500, 2).await;

    // The cart: two tees in M (25.00 each), one in S (20.00) of the first seller, one clock
    // (35.00) of the second.
    for line in [
        json!({ "product_id": tee_id, "sku": medium, "quantity": 2 }),
        json!({ "product_id": tee_id, "sku": small, "quantity": 1 }),
        json!({ "product_id": clock.id, "quantity": 1 }),
    ] {
        let (status, body) = post(&app, &buyer, "/api/v1/cart/lines", Some(line)).await;
        assert!(status == 200 || status == 201, "{status} {body}");
    }
    let cart = app
        .wait_until(&buyer, "/api/v1/cart", |c| {
            c["lines"].as_array().is_some_and(|l| l.len() == 3)
        })
        .await;
    assert_eq!(minor(&cart["total"]), 2 * 2500 + 2000 + 3500, "{cart}");
    let checkout = json!({
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": "tok_ok" },
    });
    let (status, placed) = post(&app, &buyer, "/api/v1/cart/checkout", Some(checkout)).await;
    assert_eq!(status, 202, "{placed}");
    let id = placed["id"].as_str().unwrap().to_owned();
    let order = app.wait_for_order_status(&buyer, &id, "paid", SAGA).await;
    assert_eq!(minor(&order["total"]), 10_500, "{order}");
    let payment_id = order["payment_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/orders/{id}");

    // Each seller ships and delivers their own part.
    let shipment = json!({ "carrier": "DHL", "tracking_number": "JD014600006281230" });
    let (status, body) = post(
        &app,
        &first_h,
        &format!("{path}/ship"),
        Some(shipment.clone()),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("partially_shipped")),
        "{body}"
    );
    let (status, body) = post(&app, &second_h, &format!("{path}/ship"), Some(shipment)).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("shipped")),
        "{body}"
    );
    for seller in [&first_h, &second_h] {
        let (status, body) = post(&app, seller, &format!("{path}/deliver"), None).await;
        assert_eq!(status, 200, "{body}");
    }
    app.wait_until(&buyer, &path, |o| o["status"] == "delivered")
        .await;

    // The buyer returns the two M tees; the first seller receives them.
    let (status, asked) = post(
        &app,
        &buyer,
        &format!("{path}/returns"),
        Some(json!({ "lines": [medium], "reason": "too large" })),
    )
    .await;
    assert_eq!(status, 200, "{asked}");
    let return_id = asked["return_id"].as_str().unwrap().to_owned();
    let receive = format!("{path}/returns/{return_id}/receive");
    let (status, body) = post(&app, &first_h, &receive, None).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = post(&app, &first_h, &receive, None).await;
    assert_eq!(status, 200, "a second receive is no change");

    // Refunded exactly the returned line, once; the two tees are back on the shelf.
    let payment_path = format!("/api/v1/payments/{payment_id}");
    let payment = app
        .wait_until(&buyer, &payment_path, |p| {
            p["status"] == "partially_refunded"
        })
        .await;
    assert_eq!(minor(&payment["refunded"]), 5000, "{payment}");
    app.wait_for_stock(&first_h, &medium, (3, 0, 3), SAGA).await;
    app.wait_for_stock(&first_h, &small, (2, 0, 2), SAGA).await;

    // The ledgers: the first seller was credited 70.00 less 7.00 and debited 50.00 less the
    // 5.00 commission on it (18.00 left, 2.00 kept); the second 35.00 less 3.50.
    let first_balance = app
        .wait_until(&first_h, "/api/v1/sellers/me/balance", |b| {
            b["items"].as_array().is_some_and(|i| i.len() == 2)
        })
        .await;
    let eur = &first_balance["balances"][0];
    assert_eq!(
        (minor(&eur["available"]), minor(&eur["commission_total"])),
        (1800, 200),
        "{first_balance}"
    );
    let second_balance = app
        .wait_until(&second_h, "/api/v1/sellers/me/balance", |b| {
            b["items"].as_array().is_some_and(|i| i.len() == 1)
        })
        .await;
    let eur = &second_balance["balances"][0];
    assert_eq!(
        (minor(&eur["available"]), minor(&eur["commission_total"])),
        (3150, 350),
        "{second_balance}"
    );
    // The refund settled after the ledger entries: nothing is left pending to change them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, again) = send(
        &app,
        reqwest::Method::GET,
        &first_h,
        "/api/v1/sellers/me/balance",
        None,
    )
    .await;
    assert_eq!(again["items"].as_array().map(Vec::len), Some(2), "{again}");
    let payment = app.wait_until(&buyer, &payment_path, |_| true).await;
    assert_eq!(
        minor(&payment["refunded"]),
        5000,
        "refunded twice: {payment}"
    );
}

on_both_stores!(two_sellers_a_cart_a_return_and_the_ledgers);
