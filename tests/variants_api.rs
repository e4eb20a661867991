//! Products with variants over HTTP, on SQLite and on PostgreSQL: options and variants with
//! their own skus (claimed like a product's), stock and prices; orders naming a variant by
//! sku; catalog search with price ranges, availability and facets.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::Duration;

use common::{Store, TestApp, shipping_address, spawn_app};
use serde_json::{Value, json};

const SAGA: Duration = Duration::from_secs(60);

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::now_v7().simple())
}

fn variant(sku: &str, size: &str, colour: &str, price: Option<i64>) -> Value {
    let mut v = json!({ "sku": sku, "option_values": { "size": size, "colour": colour } });
    if let Some(price) = price {
        v["price"] = json!({ "amount_minor": price, "currency": "EUR" });
    }
    v
}

/// A tee at 20.00 in S/M x red/blue; M/blue costs 25.00. Returns the body and the four skus
/// (S-red, S-blue, M-red, M-blue).
fn tee(title: &str) -> (Value, [String; 4]) {
    let skus = ["S-RED", "S-BLUE", "M-RED", "M-BLUE"].map(unique);
    let body = json!({
        "title": title,
        "description": "Organic cotton.",
        "category": "clothing",
        "price": { "amount_minor": 2000, "currency": "EUR" },
        "options": [
            { "name": "size", "values": ["S", "M"] },
            { "name": "colour", "values": ["red", "blue"] },
        ],
        "variants": [
            variant(&skus[0], "S", "red", None),
            variant(&skus[1], "S", "blue", None),
            variant(&skus[2], "M", "red", None),
            variant(&skus[3], "M", "blue", Some(2500)),
        ],
    });
    (body, skus)
}

fn position(r: &reqwest::Response) -> String {
    r.headers()["agora-position"].to_str().unwrap().to_owned()
}

async fn post(
    app: &TestApp,
    who: &(String, String),
    path: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header(who.0.clone(), who.1.clone())
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn problem_code(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

/// Publishes `id`; returns the write's position.
async fn publish(app: &TestApp, seller: &(String, String), id: &str) -> String {
    let r = post(
        app,
        seller,
        &format!("/api/v1/products/{id}/publish"),
        &json!({}),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    position(&r)
}

/// Receives `quantity` of `sku` (retrying while inventory has not seen the sku); returns the
/// write's position.
async fn receive(
    app: &TestApp,
    seller: &(String, String),
    sku: &str,
    quantity: i64,
    after: &str,
) -> String {
    for attempt in 1.. {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/inventory/{sku}/receipts")))
            .header(seller.0.clone(), seller.1.clone())
            .header("agora-min-position", after)
            .json(&json!({ "quantity": quantity }))
            .send()
            .await
            .unwrap();
        if r.status() == 503 && attempt < 10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        return position(&r);
    }
    unreachable!()
}

async fn read(app: &TestApp, path: &str, after: &str) -> Value {
    let r = app
        .client
        .get(app.url(path))
        .header("agora-min-position", after)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn order(lines: Value) -> Value {
    json!({
        "lines": lines,
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": "tok_ok" },
    })
}

async fn variants_have_their_own_skus_stock_and_prices(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.user_header().await;
    let rival = app.user_header().await;
    let buyer = app.user_header().await;

    // Bad variants are refused with their own codes, and claim nothing.
    let (mut bad, _) = tee("Tee");
    bad["variants"][1]["option_values"]["size"] = json!("XL");
    let r = post(&app, &seller, "/api/v1/products", &bad).await;
    assert_eq!(
        problem_code(r).await,
        (422, "variant_options_mismatch".into())
    );
    let (mut twin, _) = tee("Tee");
    twin["variants"][1]["option_values"] = json!({ "size": "S", "colour": "red" });
    let r = post(&app, &seller, "/api/v1/products", &twin).await;
    assert_eq!(problem_code(r).await, (422, "duplicate_variant".into()));

    let (body, skus) = tee("Tee");
    let (id, _) = app.create_product(&seller, &body).await;
    let mut at = publish(&app, &seller, &id).await;

    // A second seller can claim no variant sku of the first, neither as a product's sku nor
    // as a variant of their own product.
    let r = post(
        &app,
        &rival,
        "/api/v1/products",
        &json!({ "title": "Copy", "category": "clothing", "sku": skus[3],
                 "price": { "amount_minor": 100, "currency": "EUR" } }),
    )
    .await;
    assert_eq!(problem_code(r).await, (409, "sku_taken".into()));
    let (mut rival_body, _) = tee("Rival tee");
    rival_body["variants"] = json!([variant(&unique("R"), "S", "red", None)]);
    let (rival_id, _) = app.create_product(&rival, &rival_body).await;
    let r = post(
        &app,
        &rival,
        &format!("/api/v1/products/{rival_id}/variants"),
        &json!({ "sku": skus[3], "option_values": { "size": "M", "colour": "blue" } }),
    )
    .await;
    assert_eq!(problem_code(r).await, (409, "sku_taken".into()));
    let mut rival_second = rival_body.clone();
    rival_second["variants"] = json!([
        variant(&unique("R"), "S", "red", None),
        variant(&skus[1], "S", "blue", None),
    ]);
    let r = post(&app, &rival, "/api/v1/products", &rival_second).await;
    assert_eq!(problem_code(r).await, (409, "sku_taken".into()));

    // Each variant is stocked separately: S/red 3, M/blue 2, the others none.
    at = receive(&app, &seller, &skus[0], 3, &at).await;
    at = receive(&app, &seller, &skus[3], 2, &at).await;
    let product = read(&app, &format!("/api/v1/products/{id}"), &at).await;
    assert_eq!(product["sku"], skus[0].as_str());
    assert_eq!(product["options"][1]["name"], "colour");
    let variants = product["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 4);
    let of = |sku: &str| variants.iter().find(|v| v["sku"] == sku).unwrap().clone();
    assert_eq!(of(&skus[3])["price"]["amount_minor"], 2500);
    assert_eq!(of(&skus[3])["available"], 2);
    assert_eq!(of(&skus[1])["price"]["amount_minor"], 2000);
    assert_eq!(of(&skus[1])["price_override"], Value::Null);
    assert_eq!(of(&skus[0])["available"], 3);
    assert_eq!(
        of(&skus[0])["option_values"],
        json!({ "size": "S", "colour": "red" })
    );
    assert_eq!(product["price_range"]["min"]["amount_minor"], 2000);
    assert_eq!(product["price_range"]["max"]["amount_minor"], 2500);
    assert_eq!(product["in_stock"], true);

    // A product of several variants needs the line's sku; an unknown sku is refused.
    let r = app
        .post_order(
            &buyer,
            &order(json!([{ "product_id": id, "quantity": 1 }])),
            &at,
        )
        .await;
    assert_eq!(problem_code(r).await, (422, "variant_required".into()));
    let r = app
        .post_order(
            &buyer,
            &order(json!([{ "product_id": id, "quantity": 1, "sku": skus[0].clone() + "X" }])),
            &at,
        )
        .await;
    assert_eq!(problem_code(r).await, (422, "unknown_variant".into()));

    // Two variants of one product on one order, each at its own price, each from its own
    // stock (committed once paid).
    let lines = json!([
        { "product_id": id, "quantity": 2, "sku": skus[3] },
        { "product_id": id, "quantity": 1, "sku": skus[0] },
    ]);
    let order_id = app.place_order(&buyer, &order(lines), &at).await;
    let placed = app
        .wait_for_order_status(&buyer, &order_id, "paid", SAGA)
        .await;
    assert_eq!(placed["total"]["amount_minor"], 2 * 2500 + 2000);
    assert_eq!(placed["lines"][0]["sku"], skus[3].as_str());
    assert_eq!(placed["lines"][0]["unit_price"]["amount_minor"], 2500);
    assert_eq!(placed["lines"][1]["unit_price"]["amount_minor"], 2000);
    app.wait_for_stock(&seller, &skus[3], (0, 0, 0), SAGA).await;
    app.wait_for_stock(&seller, &skus[0], (2, 0, 2), SAGA).await;

    // A variant added later, then repriced and its override cleared.
    let r = post(
        &app,
        &seller,
        &format!("/api/v1/products/{id}/variants"),
        &json!({
        "sku": unique("S-RED-2"), "option_values": { "size": "S", "colour": "red" } }),
    )
    .await;
    assert_eq!(problem_code(r).await, (422, "duplicate_variant".into()));
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/products/{id}/variants/{}", skus[1])))
        .header(seller.0.clone(), seller.1.clone())
        .json(&json!({ "price": { "amount_minor": 1500, "currency": "EUR" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let product = read(&app, &format!("/api/v1/products/{id}"), &position(&r)).await;
    assert_eq!(product["price_range"]["min"]["amount_minor"], 1500);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/products/{id}/variants/NOPE")))
        .header(seller.0.clone(), seller.1.clone())
        .json(&json!({ "price": null }))
        .send()
        .await
        .unwrap();
    assert_eq!(problem_code(r).await, (404, "variant_not_found".into()));
    // No `price` at all is a mistake, not a request to clear the override (only null clears);
    // nor is a price above the cap.
    for body in [
        json!({}),
        json!({ "price": { "amount_minor": 100_000_000_001_i64, "currency": "EUR" } }),
    ] {
        let r = app
            .client
            .patch(app.url(&format!("/api/v1/products/{id}/variants/{}", skus[1])))
            .header(seller.0.clone(), seller.1.clone())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(
            problem_code(r).await,
            (422, "validation_failed".into()),
            "{body}"
        );
    }
    let product = read(&app, &format!("/api/v1/products/{id}"), "0").await;
    assert_eq!(product["price_range"]["min"]["amount_minor"], 1500);
}

fn band_counts(page: &Value) -> Vec<i64> {
    page["facets"]["price_bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_i64().unwrap())
        .collect()
}

fn category_counts(page: &Value) -> Vec<(String, i64)> {
    page["facets"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["category"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn search_shows_price_ranges_availability_and_facets(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.user_header().await;
    let (body, skus) = tee("Walnut-dyed tee");
    let (tee_id, _) = app.create_product(&seller, &body).await;
    let mut at = publish(&app, &seller, &tee_id).await;
    at = receive(&app, &seller, &skus[2], 1, &at).await;
    // Games: a board at 129.00 without stock, dice at 8.00 in stock; a draft counts nowhere.
    let board = app.stocked_product(&seller, 12_900, 0).await;
    let dice = app.stocked_product(&seller, 800, 5).await;
    let _draft = app
        .create_product(
            &seller,
            &json!({ "title": "Draft", "category": "games", "sku": unique("D"),
                     "price": { "amount_minor": 100, "currency": "EUR" } }),
        )
        .await;
    // Positions are numbers: wait for the highest.
    let at = [at, board.position.clone(), dice.position.clone()]
        .iter()
        .map(|p| p.parse::<u64>().unwrap())
        .max()
        .unwrap()
        .to_string();

    let page = read(&app, "/api/v1/products?sort=price_asc", &at).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let tee = items.iter().find(|p| p["id"] == tee_id.as_str()).unwrap();
    assert_eq!(tee["price_range"]["min"]["amount_minor"], 2000);
    assert_eq!(tee["price_range"]["max"]["amount_minor"], 2500);
    assert_eq!(tee["in_stock"], true);
    assert_eq!(tee["variants"].as_array().unwrap().len(), 4);
    let board_item = items.iter().find(|p| p["id"] == board.id.as_str()).unwrap();
    assert_eq!(board_item["in_stock"], false);
    assert_eq!(board_item["variants"][0]["sku"], board.sku.as_str());
    // Bands: 0-9.99 (dice), 10-24.99 (the tee from 20.00), ..., 100-249.99 (the board).
    assert_eq!(band_counts(&page), [1, 1, 0, 0, 1, 0, 0]);
    assert_eq!(page["facets"]["price_bands"][1]["min_minor"], 1000);
    assert_eq!(page["facets"]["price_bands"][1]["max_minor"], 2499);
    assert_eq!(page["facets"]["price_bands"][6]["max_minor"], Value::Null);
    assert_eq!(
        category_counts(&page),
        [("games".to_owned(), 2), ("clothing".to_owned(), 1)]
    );

    // The same filter as the results: a category, availability, a price range, search text.
    let games = read(&app, "/api/v1/products?category=games", &at).await;
    assert_eq!(category_counts(&games), [("games".to_owned(), 2)]);
    assert_eq!(band_counts(&games), [1, 0, 0, 0, 1, 0, 0]);
    let stocked = read(&app, "/api/v1/products?in_stock=true", &at).await;
    assert_eq!(stocked["items"].as_array().unwrap().len(), 2);
    assert_eq!(band_counts(&stocked), [1, 1, 0, 0, 0, 0, 0]);
    let cheap = read(&app, "/api/v1/products?max_price=2000", &at).await;
    assert_eq!(cheap["items"].as_array().unwrap().len(), 2);
    assert_eq!(band_counts(&cheap), [1, 1, 0, 0, 0, 0, 0]);
    // A whole band, as a click on a price facet asks (counted from the kept counts).
    let band = read(&app, "/api/v1/products?min_price=1000&max_price=2499", &at).await;
    assert_eq!(band["items"].as_array().unwrap().len(), 1);
    assert_eq!(band_counts(&band), [0, 1, 0, 0, 0, 0, 0]);
    assert_eq!(category_counts(&band), [("clothing".to_owned(), 1)]);
    let walnut = read(&app, "/api/v1/products?q=walnut", &at).await;
    // "Walnut chess set" (twice) and the walnut-dyed tee.
    assert_eq!(walnut["items"].as_array().unwrap().len(), 3);
    assert_eq!(band_counts(&walnut), [1, 1, 0, 0, 1, 0, 0]);
    let none = read(&app, "/api/v1/products?q=zebra", &at).await;
    assert_eq!(band_counts(&none), [0; 7]);
    assert_eq!(category_counts(&none), []);
    let bare = read(&app, "/api/v1/products?facets=false", &at).await;
    assert_eq!(bare["facets"], Value::Null);

    // Counts follow changes: the tee's S/red at 9.00 moves it to the lowest band; the M/red
    // unit sold out moves it out of the in-stock counts.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/products/{tee_id}/variants/{}", skus[0])))
        .header(seller.0.clone(), seller.1.clone())
        .json(&json!({ "price": { "amount_minor": 900, "currency": "EUR" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let at = position(&r);
    let page = read(&app, "/api/v1/products", &at).await;
    assert_eq!(band_counts(&page), [2, 0, 0, 0, 1, 0, 0]);
    let buyer = app.user_header().await;
    let lines = json!([{ "product_id": tee_id, "quantity": 1, "sku": skus[2] }]);
    let order_id = app.place_order(&buyer, &order(lines), &at).await;
    app.wait_for_order_status(&buyer, &order_id, "paid", SAGA)
        .await;
    let deadline = tokio::time::Instant::now() + SAGA;
    loop {
        let stocked = read(&app, "/api/v1/products?in_stock=true", "0").await;
        if band_counts(&stocked) == [1, 0, 0, 0, 0, 0, 0] {
            assert_eq!(category_counts(&stocked), [("games".to_owned(), 1)]);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{stocked}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Issue 20 item 10: a variant nobody has received stock for has 0 available (not null), on
/// the product and in the search.
async fn unstocked_variants_have_none_available(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.user_header().await;
    let (body, skus) = tee("Unstocked tee");
    let (id, _) = app.create_product(&seller, &body).await;
    let mut at = publish(&app, &seller, &id).await;
    at = receive(&app, &seller, &skus[3], 2, &at).await;
    let available = |product: &Value| -> Vec<(String, Value)> {
        product["variants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["sku"].as_str().unwrap().to_owned(),
                    v["available"].clone(),
                )
            })
            .collect()
    };
    let expected: Vec<(String, Value)> = skus
        .iter()
        .zip([0, 0, 0, 2])
        .map(|(sku, n)| (sku.clone(), json!(n)))
        .collect();
    let product = read(&app, &format!("/api/v1/products/{id}"), &at).await;
    assert_eq!(available(&product), expected);
    // The product's own `available` is its default variant's (the first, unstocked).
    assert_eq!(product["available"], 0);
    let page = read(&app, "/api/v1/products", &at).await;
    assert_eq!(available(&page["items"][0]), expected);
    assert_eq!(page["items"][0]["available"], 0);
}

common::on_both_stores!(
    variants_have_their_own_skus_stock_and_prices,
    search_shows_price_ranges_availability_and_facets,
    unstocked_variants_have_none_available,
);
