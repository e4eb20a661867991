//! Returns over HTTP (issue 13): the buyer returns a delivered line, its seller receives it,
//! and the refund and restock follow, exactly once however often the commands are repeated;
//! lines not delivered, or delivered longer ago than the return window, are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    Store, TestApp, database_url, on_both_stores, settings, shipping_address, spawn_with,
};
use serde_json::{Value, json};

const SAGA: Duration = common::SETTLE;

type Who = (String, String);

async fn spawn(store: Store, return_window_secs: u64) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.http.read_wait_ms = 10_000;
    s.ordering.order_return_window_secs = return_window_secs;
    spawn_with(s).await
}

async fn post(
    app: &TestApp,
    who: &Who,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header(who.0.clone(), who.1.clone());
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request.send().await.unwrap()
}

async fn code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// A paid order of a board (2000) and a pawn (300) from one seller; the order's id.
async fn paid_order(app: &TestApp, seller: &Who, buyer: &Who) -> (String, common::StockedProduct) {
    let board = app.stocked_product(seller, 2000, 3).await;
    let pawn = app.stocked_product(seller, 300, 5).await;
    let position = [&board.position, &pawn.position]
        .iter()
        .map(|p| p.parse::<u64>().unwrap())
        .max()
        .unwrap()
        .to_string();
    let body = json!({
        "lines": [
            { "product_id": board.id, "quantity": 1 },
            { "product_id": pawn.id, "quantity": 2 },
        ],
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": "tok_ok" },
    });
    let id = app.place_order(buyer, &body, &position).await;
    app.wait_for_order_status(buyer, &id, "paid", SAGA).await;
    (id, board)
}

async fn a_return_is_refunded_exactly_once(store: Store) {
    let app = spawn(store, 30 * 24 * 3600).await;
    let (seller, buyer) = (app.user_header().await, app.user_header().await);
    let (id, board) = paid_order(&app, &seller, &buyer).await;
    let path = format!("/api/v1/orders/{id}");
    let ask = |key: &'static str| {
        let (app, buyer, path, sku) = (&app, &buyer, path.clone(), board.sku.clone());
        async move {
            post(
                app,
                buyer,
                &format!("{path}/returns"),
                Some(json!({ "lines": [sku], "reason": "arrived damaged" })),
                Some(key),
            )
            .await
        }
    };

    // Not delivered yet: refused.
    assert_eq!(
        code(ask("too-early").await).await,
        (409, "not_delivered".into())
    );
    let shipment = json!({ "carrier": "DHL", "tracking_number": "1" });
    let r = post(&app, &seller, &format!("{path}/ship"), Some(shipment), None).await;
    assert_eq!(r.status(), 200);
    let r = post(&app, &seller, &format!("{path}/deliver"), None, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "delivered");

    // Asked once; the same request again (same key) answers the same return.
    let r = ask("return-1").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let asked: Value = r.json().await.unwrap();
    let return_id = asked["return_id"].as_str().unwrap().to_owned();
    let again: Value = ask("return-1").await.json().await.unwrap();
    assert_eq!(again["return_id"], return_id.as_str());
    // Another request for the same line is refused; so is a stranger's.
    assert_eq!(
        code(ask("return-2").await).await,
        (409, "already_returned".into())
    );
    let receive = format!("{path}/returns/{return_id}/receive");
    assert_eq!(
        code(post(&app, &buyer, &receive, None, None).await).await.0,
        403
    );

    // The seller receives it, then receives it again (and a redelivered request too).
    let r = post(&app, &seller, &receive, None, Some("receive-1")).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        post(&app, &seller, &receive, None, Some("receive-1"))
            .await
            .status(),
        200
    );
    assert_eq!(
        post(&app, &seller, &receive, None, None).await.status(),
        200
    );

    // Refunded exactly the board's 2000, once; the board back on the shelf.
    let order = app.get_as(&buyer, &path).await;
    let payment_path = format!("/api/v1/payments/{}", order["payment_id"].as_str().unwrap());
    let payment = app
        .wait_until(&buyer, &payment_path, |p| {
            p["status"] == "partially_refunded"
        })
        .await;
    assert_eq!(payment["refunded"]["amount_minor"], 2000, "{payment}");
    app.wait_for_stock(&seller, &board.sku, (3, 0, 3), SAGA)
        .await;
    let order = app
        .wait_until(&buyer, &path, |o| {
            o["fulfilments"][0]["returns"][0]["status"] == "received"
        })
        .await;
    let fulfilment = &order["fulfilments"][0];
    assert_eq!(fulfilment["returns"][0]["amount"]["amount_minor"], 2000);
    let board_line = fulfilment["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["sku"] == board.sku.as_str())
        .unwrap();
    assert_eq!(board_line["status"], "returned");
    assert_eq!(order["status"], "delivered");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let payment = app.get_as(&buyer, &payment_path).await;
    assert_eq!(
        payment["refunded"]["amount_minor"], 2000,
        "refunded twice: {payment}"
    );
    // A return the seller never had.
    let unknown = format!("{path}/returns/{}/receive", uuid::Uuid::now_v7());
    assert_eq!(
        code(post(&app, &seller, &unknown, None, None).await).await,
        (404, "return_not_found".into())
    );
}

async fn a_return_outside_the_window_is_refused(store: Store) {
    let app = spawn(store, 1).await;
    let (seller, buyer) = (app.user_header().await, app.user_header().await);
    let (id, board) = paid_order(&app, &seller, &buyer).await;
    let path = format!("/api/v1/orders/{id}");
    let shipment = json!({ "carrier": "DHL", "tracking_number": "1" });
    post(&app, &seller, &format!("{path}/ship"), Some(shipment), None).await;
    let r = post(&app, &seller, &format!("{path}/deliver"), None, None).await;
    assert_eq!(r.status(), 200);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let r = post(
        &app,
        &buyer,
        &format!("{path}/returns"),
        Some(json!({ "lines": [board.sku] })),
        None,
    )
    .await;
    assert_eq!(code(r).await, (409, "return_window_closed".into()));
    let r = post(
        &app,
        &buyer,
        &format!("{path}/returns"),
        Some(json!({ "lines": ["NO-SUCH-SKU"] })),
        None,
    )
    .await;
    assert_eq!(code(r).await, (422, "unknown_line".into()));
}

on_both_stores!(
    a_return_is_refunded_exactly_once,
    a_return_outside_the_window_is_refused,
);
