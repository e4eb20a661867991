//! Per-seller fulfilment over HTTP (issue 13): an order with lines of two sellers, shipped by
//! one of them only. The order is `partially_shipped`; the first seller's ship and deliver touch
//! only their own lines; the buyer cancels the other seller's line and gets exactly that line's
//! amount back, its stock back on the shelf; each seller lists what they owe.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    Store, TestApp, database_url, on_both_stores, settings, shipping_address, spawn_with,
};
use serde_json::{Value, json};

const SAGA: Duration = common::SETTLE;

type Who = (String, String);

async fn spawn(store: Store) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.http.read_wait_ms = 10_000;
    spawn_with(s).await
}

async fn post(app: &TestApp, who: &Who, path: &str, body: Option<Value>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(path))
        .header(who.0.clone(), who.1.clone());
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn fulfilment_of<'a>(order: &'a Value, seller_id: &str) -> &'a Value {
    order["fulfilments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["seller_id"] == seller_id)
        .unwrap_or_else(|| panic!("no fulfilment of {seller_id} in {order}"))
}

fn shipment() -> Value {
    json!({ "carrier": "DHL", "tracking_number": "JD014600006281230" })
}

async fn a_two_seller_order_shipped_by_one_seller_only(store: Store) {
    let app = spawn(store).await;
    let (first, second) = (app.new_user().await, app.new_user().await);
    let (first_h, second_h) = (first.header(), second.header());
    let buyer = app.user_header().await;
    let board = app.stocked_product(&first_h, 2000, 3).await;
    let clock = app.stocked_product(&second_h, 3500, 2).await;
    let body = json!({
        "lines": [
            { "product_id": board.id, "quantity": 1 },
            { "product_id": clock.id, "quantity": 2 },
        ],
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": "tok_ok" },
    });
    let position = [&board.position, &clock.position]
        .iter()
        .map(|p| p.parse::<u64>().unwrap())
        .max()
        .unwrap()
        .to_string();
    let id = app.place_order(&buyer, &body, &position).await;
    let order = app.wait_for_order_status(&buyer, &id, "paid", SAGA).await;
    assert_eq!(order["total"]["amount_minor"], 2000 + 2 * 3500);
    let payment_id = order["payment_id"].as_str().unwrap().to_owned();
    assert_eq!(fulfilment_of(&order, &first.id)["status"], "to_ship");
    assert_eq!(fulfilment_of(&order, &second.id)["status"], "to_ship");
    let path = format!("/api/v1/orders/{id}");

    // Shipping needs a carrier and a tracking number; only a seller ships.
    let r = post(
        &app,
        &first_h,
        &format!("{path}/ship"),
        Some(json!({ "carrier": "DHL" })),
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = post(&app, &buyer, &format!("{path}/ship"), Some(shipment())).await;
    assert_eq!(r.status(), 403);
    let r = post(&app, &first_h, &format!("{path}/ship"), Some(shipment())).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "partially_shipped"
    );
    // Again: no change.
    let r = post(&app, &first_h, &format!("{path}/ship"), Some(shipment())).await;
    assert_eq!(r.status(), 200);
    let order = app
        .wait_until(&buyer, &path, |o| o["status"] == "partially_shipped")
        .await;
    let shipped = fulfilment_of(&order, &first.id);
    assert_eq!(shipped["status"], "shipped");
    assert_eq!(shipped["carrier"], "DHL");
    assert_eq!(shipped["tracking_number"], "JD014600006281230");
    assert_eq!(shipped["lines"][0]["status"], "shipped");
    // The other seller's fulfilment is untouched.
    assert_eq!(fulfilment_of(&order, &second.id)["status"], "to_ship");

    // The first seller's deliver marks only their own lines delivered.
    let r = post(&app, &first_h, &format!("{path}/deliver"), None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "partially_shipped"
    );
    let order = app
        .wait_until(&buyer, &path, |o| {
            fulfilment_of(o, &first.id)["status"] == "delivered"
        })
        .await;
    assert_eq!(fulfilment_of(&order, &second.id)["status"], "to_ship");
    assert_eq!(
        fulfilment_of(&order, &second.id)["lines"][0]["status"],
        "open"
    );

    // The buyer cannot cancel what is shipped, nor a line the order does not have ...
    let r = post(&app, &buyer, &format!("{path}/cancel"), None).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "order_shipped");
    let lines = |skus: &[&str]| Some(json!({ "lines": skus }));
    let r = post(
        &app,
        &buyer,
        &format!("{path}/cancel"),
        lines(&[&board.sku]),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "order_shipped");
    let r = post(
        &app,
        &buyer,
        &format!("{path}/cancel"),
        lines(&["NO-SUCH-SKU"]),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "unknown_line");
    // ... and no seller cancels for them.
    let r = post(
        &app,
        &second_h,
        &format!("{path}/cancel"),
        lines(&[&clock.sku]),
    )
    .await;
    assert_eq!(r.status(), 403);
    // The other seller's unshipped line: cancelled, refunded exactly, stock back.
    let r = post(
        &app,
        &buyer,
        &format!("{path}/cancel"),
        lines(&[&clock.sku]),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Every line left is delivered: so is the order.
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "delivered");
    let payment = app
        .wait_until(&buyer, &format!("/api/v1/payments/{payment_id}"), |p| {
            p["status"] == "partially_refunded"
        })
        .await;
    assert_eq!(payment["refunded"]["amount_minor"], 2 * 3500, "{payment}");
    app.wait_for_stock(&second_h, &clock.sku, (2, 0, 2), SAGA)
        .await;
    app.wait_for_stock(&first_h, &board.sku, (2, 0, 2), SAGA)
        .await;
    // Cancelling it again changes nothing, and refunds nothing more.
    let r = post(
        &app,
        &buyer,
        &format!("{path}/cancel"),
        lines(&[&clock.sku]),
    )
    .await;
    assert_eq!(r.status(), 200);
    let order = app
        .wait_until(&buyer, &path, |o| o["status"] == "delivered")
        .await;
    assert_eq!(fulfilment_of(&order, &second.id)["status"], "cancelled");
    assert_eq!(
        fulfilment_of(&order, &second.id)["lines"][0]["status"],
        "cancelled"
    );
    // The second seller has nothing left to ship.
    let r = post(&app, &second_h, &format!("{path}/ship"), Some(shipment())).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], "nothing_to_ship");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let payment = app
        .get_as(&buyer, &format!("/api/v1/payments/{payment_id}"))
        .await;
    assert_eq!(payment["refunded"]["amount_minor"], 2 * 3500, "{payment}");

    // Each seller lists their own fulfilment.
    let mine = app.get_as(&first_h, "/api/v1/sellers/me/fulfilments").await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{mine}");
    assert_eq!(items[0]["order_id"], id.as_str());
    assert_eq!(items[0]["status"], "delivered");
    assert_eq!(mine["next_cursor"], Value::Null);
    let theirs = app
        .get_as(&second_h, "/api/v1/sellers/me/fulfilments?status=cancelled")
        .await;
    assert_eq!(theirs["items"].as_array().unwrap().len(), 1, "{theirs}");
    let none = app
        .get_as(&second_h, "/api/v1/sellers/me/fulfilments?status=to_ship")
        .await;
    assert_eq!(none["items"], json!([]));
    let r = app
        .client
        .get(app.url("/api/v1/sellers/me/fulfilments?status=lost"))
        .header(buyer.0.clone(), buyer.1.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

/// A seller's list pages newest first, and holds no order awaiting payment.
async fn a_sellers_fulfilments_page_newest_first(store: Store) {
    let app = spawn(store).await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    let product = app.stocked_product(&seller, 500, 10).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let body = common::order_body(&product.id, 1, "tok_ok");
        let id = app.place_order(&buyer, &body, &product.position).await;
        app.wait_for_order_status(&buyer, &id, "paid", SAGA).await;
        ids.push(id);
    }
    // Declined: never paid, never owed.
    let declined = common::order_body(&product.id, 1, "tok_declined");
    let declined = app.place_order(&buyer, &declined, &product.position).await;
    app.wait_for_order_status(&buyer, &declined, "rejected", SAGA)
        .await;
    let first = app
        .wait_until(&seller, "/api/v1/sellers/me/fulfilments?limit=2", |p| {
            p["items"][0]["order_id"] == ids[2].as_str()
        })
        .await;
    let page: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(page, [ids[2].as_str(), ids[1].as_str()]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_as(
            &seller,
            &format!("/api/v1/sellers/me/fulfilments?limit=2&cursor={cursor}"),
        )
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert_eq!(second["items"][0]["order_id"], ids[0].as_str());
    assert_eq!(second["items"][0]["status"], "to_ship");
    assert_eq!(second["next_cursor"], Value::Null);
}

/// What a seller of some of an order's lines sees of it (issue 20): their part only. Their
/// lines and fulfilment (status, carrier, returns), the shipping address; never another
/// seller's lines, fulfilment, returns or skus in the history, nor the payment. The buyer
/// sees the whole order; a stranger sees nothing, now or as it was.
async fn each_seller_sees_only_their_part_of_an_order(store: Store) {
    let app = spawn(store).await;
    let (first, second) = (app.new_user().await, app.new_user().await);
    let (first_h, second_h) = (first.header(), second.header());
    let buyer = app.user_header().await;
    let stranger = app.user_header().await;
    let board = app.stocked_product(&first_h, 2000, 3).await;
    let clock = app.stocked_product(&second_h, 3500, 2).await;
    let body = json!({
        "lines": [
            { "product_id": board.id, "quantity": 1 },
            { "product_id": clock.id, "quantity": 2 },
        ],
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": "tok_ok" },
    });
    let position = [&board.position, &clock.position]
        .iter()
        .map(|p| p.parse::<u64>().unwrap())
        .max()
        .unwrap()
        .to_string();
    let id = app.place_order(&buyer, &body, &position).await;
    let order = app.wait_for_order_status(&buyer, &id, "paid", SAGA).await;
    let payment_id = order["payment_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/orders/{id}");

    // The first seller ships and delivers, the buyer returns the board; the second seller's
    // clock is cancelled before it ships.
    let shipped = json!({ "carrier": "UPS", "tracking_number": "1Z-FIRST" });
    let r = post(&app, &first_h, &format!("{path}/ship"), Some(shipped)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = post(&app, &first_h, &format!("{path}/deliver"), None).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let returned = Some(json!({ "lines": [board.sku], "reason": "scratched" }));
    let r = post(&app, &buyer, &format!("{path}/returns"), returned).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let r = post(
        &app,
        &buyer,
        &format!("{path}/cancel"),
        Some(json!({ "lines": [clock.sku] })),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The buyer: the whole order.
    let whole = app
        .wait_until(&buyer, &path, |o| {
            o["history"].as_array().unwrap().len() == 8
        })
        .await;
    assert_eq!(whole["part"], "whole", "{whole}");
    assert_eq!(whole["lines"].as_array().unwrap().len(), 2, "{whole}");
    assert_eq!(whole["fulfilments"].as_array().unwrap().len(), 2, "{whole}");
    assert_eq!(whole["payment_id"], payment_id.as_str());
    assert_eq!(whole["payment"]["method"], "card");
    assert_eq!(whole["total"]["amount_minor"], 2000 + 2 * 3500);

    // Each seller, now and as it was: their own part, nothing of the other's.
    let placed_at = whole["history"][0]["at"].as_str().unwrap().to_owned();
    let as_of = |who: &Who| {
        let request = app
            .client
            .get(app.url(&path))
            .query(&[("as_of", placed_at.as_str())])
            .header(who.0.clone(), who.1.clone());
        async move { request.send().await.unwrap() }
    };
    let sellers = [
        (&first, &first_h, &board, &second, &clock, 2000),
        (&second, &second_h, &clock, &first, &board, 2 * 3500),
    ];
    for (me, me_h, mine, other, theirs, total) in sellers {
        for view in [
            app.get_as(me_h, &path).await,
            as_of(me_h).await.json::<Value>().await.unwrap(),
        ] {
            let text = view.to_string();
            assert_eq!(view["part"], "seller", "{view}");
            assert_eq!(view["id"], id.as_str());
            let lines = view["lines"].as_array().unwrap();
            assert_eq!(lines.len(), 1, "{view}");
            assert_eq!(lines[0]["sku"], mine.sku.as_str());
            assert_eq!(view["total"]["amount_minor"], total, "{view}");
            assert_eq!(view["shipping_address"]["city"], "London");
            for leak in [&theirs.sku, &theirs.id, &other.id, &payment_id] {
                assert!(!text.contains(leak.as_str()), "{leak} in {view}");
            }
            assert!(view.get("payment").is_none(), "{view}");
            assert!(view.get("payment_id").is_none(), "{view}");
            let fulfilments = view["fulfilments"].as_array().unwrap();
            assert_eq!(fulfilments.len(), 1, "{view}");
            assert_eq!(fulfilments[0]["seller_id"], me.id.as_str());
        }
        assert_eq!(as_of(&stranger).await.status(), 404);
    }
    let first_now = app.get_as(&first_h, &path).await;
    assert_eq!(first_now["status"], "delivered", "{first_now}");
    assert_eq!(first_now["fulfilments"][0]["tracking_number"], "1Z-FIRST");
    assert_eq!(
        first_now["fulfilments"][0]["returns"][0]["status"],
        "requested"
    );
    let first_steps: Vec<&str> = first_now["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        first_steps,
        [
            "pending",
            "payment_authorized",
            "stock_reserved",
            "paid",
            "shipped",
            "delivered",
            "delivered"
        ],
        "{first_now}"
    );
    let second_now = app.get_as(&second_h, &path).await;
    assert_eq!(second_now["status"], "cancelled", "{second_now}");
    assert_eq!(second_now["fulfilments"][0]["returns"], json!([]));
    assert!(second_now["fulfilments"][0]["tracking_number"].is_null());
    let cancelled = second_now["history"].as_array().unwrap().last().unwrap();
    assert_eq!(
        cancelled["reason"],
        format!("buyer_cancelled: {}", clock.sku).as_str()
    );
    let then = as_of(&first_h).await.json::<Value>().await.unwrap();
    assert_eq!(then["status"], "pending", "{then}");
    assert_eq!(app.get_order(&stranger, &id).await.status(), 404);
}

on_both_stores!(
    a_two_seller_order_shipped_by_one_seller_only,
    each_seller_sees_only_their_part_of_an_order,
    a_sellers_fulfilments_page_newest_first,
);
