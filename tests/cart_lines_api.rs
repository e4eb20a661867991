//! Cart lines over HTTP: changed and removed by sku, each change at the catalog's price then,
//! and the lines a cart refuses (unknown products and skus, one's own product, drafts, the
//! order's limits), on both stores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Store, TestApp, database_url, on_both_stores, settings, spawn_with};
use serde_json::{Value, json};

type Auth = (String, String);

async fn spawn(store: Store) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.http.read_wait_ms = 5_000;
    spawn_with(s).await
}

/// Sends `method path` with `body` as `who` after the write at `position`; returns the status
/// and the body.
async fn call(
    app: &TestApp,
    who: &Auth,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    position: &str,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header(who.0.clone(), who.1.clone())
        .header("agora-min-position", position);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let position = r
        .headers()
        .get("agora-position")
        .map(|p| p.to_str().unwrap().to_owned());
    let mut body: Value = r.json().await.unwrap_or(Value::Null);
    if let (Some(position), Some(fields)) = (position, body.as_object_mut()) {
        fields.insert("position".into(), Value::String(position));
    }
    (status, body)
}

async fn lines_change_and_go_by_sku_at_the_price_of_the_moment(store: Store) {
    let app = spawn(store).await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    let product = app.stocked_product(&seller, 300, 10).await;
    let at = product.position.clone();
    let add = json!({ "product_id": product.id, "sku": product.sku, "quantity": 2 });
    let (status, cart) = call(
        &app,
        &buyer,
        reqwest::Method::POST,
        "/api/v1/cart/lines",
        Some(add),
        &at,
    )
    .await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["line_count"], 1);
    assert_eq!(cart["total"]["amount_minor"], 600);

    // A new price, then a new quantity: the line takes the price of the moment.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/products/{}/price", product.id)))
        .header(seller.0.clone(), seller.1.clone())
        .json(&json!({ "price": { "amount_minor": 350, "currency": "EUR" } }))
        .send()
        .await
        .unwrap();
    let priced_at = r.headers()["agora-position"].to_str().unwrap().to_owned();
    let line = format!("/api/v1/cart/lines/{}", product.sku);
    let (status, cart) = call(
        &app,
        &buyer,
        reqwest::Method::PATCH,
        &line,
        Some(json!({ "quantity": 3 })),
        &priced_at,
    )
    .await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["lines"][0]["quantity"], 3);
    assert_eq!(cart["lines"][0]["unit_price"]["amount_minor"], 350);
    let (_, read) = call(
        &app,
        &buyer,
        reqwest::Method::GET,
        "/api/v1/cart",
        None,
        cart["position"].as_str().unwrap(),
    )
    .await;
    assert_eq!(read["lines"][0]["price_changed"], false, "{read}");
    assert_eq!(read["total"]["amount_minor"], 1050);

    let (status, problem) = call(
        &app,
        &buyer,
        reqwest::Method::PATCH,
        &line,
        Some(json!({ "quantity": 0 })),
        &at,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let (status, problem) = call(
        &app,
        &buyer,
        reqwest::Method::PATCH,
        "/api/v1/cart/lines/NOPE",
        Some(json!({ "quantity": 1 })),
        &at,
    )
    .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("cart_line_not_found"))
    );

    let (status, cart) = call(&app, &buyer, reqwest::Method::DELETE, &line, None, &at).await;
    assert_eq!(status, 200, "{cart}");
    assert_eq!(cart["lines"], json!([]));
    let (status, problem) = call(&app, &buyer, reqwest::Method::DELETE, &line, None, &at).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (404, Some("cart_line_not_found"))
    );
    let (_, read) = call(
        &app,
        &buyer,
        reqwest::Method::GET,
        "/api/v1/cart",
        None,
        cart["position"].as_str().unwrap(),
    )
    .await;
    assert_eq!(read["line_count"], 0, "{read}");
}

async fn lines_a_cart_cannot_hold_are_refused(store: Store) {
    let app = spawn(store).await;
    let seller = app.user_header().await;
    let buyer = app.user_header().await;
    let product = app.stocked_product(&seller, 300, 10).await;
    let at = product.position.clone();
    let add = |who: &Auth, body: Value| {
        let (app, who, at) = (&app, who.clone(), at.clone());
        async move {
            call(
                app,
                &who,
                reqwest::Method::POST,
                "/api/v1/cart/lines",
                Some(body),
                &at,
            )
            .await
        }
    };
    let refused = |(status, problem): (u16, Value)| {
        (
            status,
            problem["code"].as_str().unwrap_or_default().to_owned(),
        )
    };

    let cases = [
        (
            json!({ "product_id": "not-an-id", "quantity": 1 }),
            422,
            "unknown_product",
        ),
        (
            json!({ "product_id": product.id, "sku": "OTHER-SKU", "quantity": 1 }),
            422,
            "unknown_variant",
        ),
        (
            json!({ "product_id": product.id, "quantity": 0 }),
            422,
            "validation_failed",
        ),
        (
            json!({ "product_id": product.id, "quantity": 10_001 }),
            422,
            "validation_failed",
        ),
        (
            json!({ "product_id": product.id }),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let got = refused(add(&buyer, body.clone()).await);
        assert_eq!(got, (status, code.to_owned()), "{body}");
    }
    let own = json!({ "product_id": product.id, "quantity": 1 });
    assert_eq!(
        refused(add(&seller, own).await),
        (422, "own_product".to_owned())
    );

    // Adding up past the order's limit is refused, and the cart keeps what it had.
    let (status, added) = add(
        &buyer,
        json!({ "product_id": product.id, "quantity": 9_999 }),
    )
    .await;
    assert_eq!(status, 200, "{added}");
    let got = refused(add(&buyer, json!({ "product_id": product.id, "quantity": 2 })).await);
    assert_eq!(got, (422, "validation_failed".to_owned()));
    let position = added["position"].as_str().unwrap();
    let (_, read) = call(
        &app,
        &buyer,
        reqwest::Method::GET,
        "/api/v1/cart",
        None,
        position,
    )
    .await;
    assert_eq!(read["line_count"], 1, "{read}");
    assert_eq!(read["lines"][0]["quantity"], 9_999);

    let r = app
        .client
        .post(app.url("/api/v1/cart/lines"))
        .json(&json!({ "product_id": product.id, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(app.url("/api/v1/cart"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

on_both_stores!(
    lines_change_and_go_by_sku_at_the_price_of_the_moment,
    lines_a_cart_cannot_hold_are_refused,
);
