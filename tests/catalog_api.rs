//! The public catalog over HTTP, on SQLite and on PostgreSQL: full-text search, filters, sort
//! orders, keyset pagination, price history and the 30-day lowest price.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, TestUser, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn product(title: &str, description: &str, category: &str, price: i64, currency: &str) -> Value {
    json!({
        "title": title,
        "description": description,
        "category": category,
        "price": { "amount_minor": price, "currency": currency },
        "sku": format!("SKU-{}", uuid::Uuid::now_v7().simple()),
    })
}

fn position_of(r: &reqwest::Response) -> u64 {
    r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Creates and publishes a product; returns its id and the position of the publication.
async fn listed(app: &TestApp, seller: &TestUser, body: &Value) -> (String, u64) {
    let (id, _) = app.create_product(&seller.header(), body).await;
    let r = app
        .client
        .post(app.url(&format!("/api/v1/products/{id}/publish")))
        .bearer_auth(&seller.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    (id, position_of(&r))
}

/// `GET /products?<query>` once the catalog has reached `position`.
async fn list(app: &TestApp, query: &str, position: u64) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/api/v1/products?{query}")))
        .header("agora-min-position", position.to_string())
        .send()
        .await
        .unwrap()
}

async fn list_ok(app: &TestApp, query: &str, position: u64) -> Value {
    let r = list(app, query, position).await;
    assert_eq!(r.status(), StatusCode::OK, "{query}");
    r.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_finds_description_words_and_ranks_title_matches_first(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let (in_description, _) = listed(
        &app,
        &seller,
        &product(
            "Games table",
            "A folding table with an inlaid walnut board",
            "furniture",
            25000,
            "EUR",
        ),
    )
    .await;
    let (in_title, _) = listed(
        &app,
        &seller,
        &product(
            "Walnut chess set",
            "Hand carved, felted pieces",
            "games",
            12900,
            "EUR",
        ),
    )
    .await;
    let (_unrelated, _) = listed(
        &app,
        &seller,
        &product("Oak stool", "Three legs", "furniture", 4000, "EUR"),
    )
    .await;
    // A draft matches the words but is not listed.
    let (_draft, position) = app
        .create_product(
            &seller.header(),
            &product("Walnut box", "Inlaid walnut lid", "games", 900, "EUR"),
        )
        .await;
    let position: u64 = position.parse().unwrap();

    let page = list_ok(&app, "q=walnut", position).await;
    assert_eq!(ids(&page), [in_title.as_str(), in_description.as_str()]);
    assert_eq!(page["next_cursor"], Value::Null);
    // A word only the description has; stemmed (folded finds folding).
    assert_eq!(
        ids(&list_ok(&app, "q=inlaid", position).await),
        [in_description.as_str()]
    );
    assert_eq!(
        ids(&list_ok(&app, "q=folded", position).await),
        [in_description.as_str()]
    );
    // Web-search syntax: all words must match, `-word` excludes.
    assert_eq!(
        ids(&list_ok(&app, "q=walnut%20chess", position).await),
        [in_title.as_str()]
    );
    assert_eq!(
        ids(&list_ok(&app, "q=walnut%20-chess", position).await),
        [in_description.as_str()]
    );
    assert!(ids(&list_ok(&app, "q=mahogany", position).await).is_empty());
    // Characters that are search syntax elsewhere are just text here.
    let r = list(&app, "q=%22walnut%20(*%3A%20NEAR", position).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Search and filters combine.
    assert_eq!(
        ids(&list_ok(&app, "q=walnut&category=games", position).await),
        [in_title.as_str()]
    );
}

async fn filters_and_sort_orders(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let (cheap, _) = listed(
        &app,
        &seller,
        &product("Dice", "Six sides", "games", 500, "EUR"),
    )
    .await;
    let (mid, _) = listed(
        &app,
        &seller,
        &product("Cards", "A deck", "games", 1500, "EUR"),
    )
    .await;
    let (dear, _) = listed(
        &app,
        &seller,
        &product("Chair", "Oak", "furniture", 9000, "EUR"),
    )
    .await;
    let (dollars, _) = listed(
        &app,
        &seller,
        &product("Meeple", "Wooden", "games", 700, "USD"),
    )
    .await;
    // Drafts are never listed, whatever the order or filter.
    let (_draft, position) = app
        .create_product(
            &seller.header(),
            &product("Draughts", "A draft", "games", 600, "EUR"),
        )
        .await;
    let position: u64 = position.parse().unwrap();
    let all = |order: &[&String]| order.iter().map(|s| (*s).clone()).collect::<Vec<_>>();

    assert_eq!(
        ids(&list_ok(&app, "sort=newest", position).await),
        all(&[&dollars, &dear, &mid, &cheap])
    );
    // Without search text the default order is newest first.
    assert_eq!(
        ids(&list_ok(&app, "", position).await),
        all(&[&dollars, &dear, &mid, &cheap])
    );
    assert_eq!(
        ids(&list_ok(&app, "sort=price_asc&currency=EUR", position).await),
        all(&[&cheap, &mid, &dear])
    );
    assert_eq!(
        ids(&list_ok(&app, "sort=price_desc&currency=EUR", position).await),
        all(&[&dear, &mid, &cheap])
    );
    assert_eq!(
        ids(&list_ok(&app, "category=games&sort=price_asc", position).await),
        all(&[&cheap, &dollars, &mid])
    );
    // Price bounds are inclusive, in minor units of each product's own currency.
    assert_eq!(
        ids(&list_ok(
            &app,
            "min_price=700&max_price=1500&sort=price_asc",
            position
        )
        .await),
        all(&[&dollars, &mid])
    );
    assert_eq!(
        ids(&list_ok(&app, "min_price=700&max_price=1500&currency=EUR", position).await),
        all(&[&mid])
    );
    let p = &list_ok(&app, "category=furniture", position).await["items"][0];
    assert_eq!(
        p["price"],
        json!({ "amount_minor": 9000, "currency": "EUR" })
    );
    assert_eq!(p["status"], "active");

    for bad in [
        "sort=cheapest",
        "limit=0",
        "limit=101",
        "min_price=-1",
        "max_price=ten",
        "currency=euro",
    ] {
        let r = list(&app, bad, position).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["code"], "validation_failed", "{bad}");
    }
    // A cursor that is not one, or one of another sort order: 400, as on every list.
    let r = list(&app, "cursor=not-a-cursor", position).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = list_ok(&app, "sort=price_asc&limit=1", position).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let r = list(&app, &format!("sort=newest&cursor={cursor}"), position).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "invalid_cursor");
}

/// Follows `next_cursor` from the first page to the last; returns every id in order.
async fn every_page(app: &TestApp, query: &str, position: u64, pages: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for page_number in 1..=pages {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let page = list_ok(app, &q, position).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert_eq!(page_number, pages, "{query}: fewer pages than expected");
                return seen;
            }
        }
    }
    panic!("{query}: more than {pages} pages");
}

async fn keyset_pagination_returns_every_product_once_in_order(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let mut created = Vec::new();
    let mut position = 0;
    for n in 0..45_i64 {
        // Prices repeat (five of each), so ties are broken by id across page boundaries.
        let body = product(
            &format!("Puzzle number {n}"),
            "A jigsaw puzzle",
            "games",
            1000 + (n % 9) * 100,
            "EUR",
        );
        let (id, at) = listed(&app, &seller, &body).await;
        created.push((id, 1000 + (n % 9) * 100));
        position = at;
    }

    let newest = every_page(&app, "sort=newest&limit=20", position, 3).await;
    let expected: Vec<String> = created.iter().rev().map(|(id, _)| id.clone()).collect();
    assert_eq!(newest, expected);

    let cheapest = every_page(&app, "sort=price_asc&limit=20", position, 3).await;
    let mut by_price = created.clone();
    by_price.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    let expected: Vec<String> = by_price.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(cheapest, expected);

    let dearest = every_page(&app, "sort=price_desc&limit=20", position, 3).await;
    let expected: Vec<String> = by_price.iter().rev().map(|(id, _)| id.clone()).collect();
    assert_eq!(dearest, expected);

    // Relevance: every product matches equally, so ids order the ties, still once each.
    let relevant = every_page(&app, "q=jigsaw&limit=20", position, 3).await;
    let mut unique = relevant.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 45, "{relevant:?}");

    // The default page size is 20.
    assert_eq!(ids(&list_ok(&app, "", position).await).len(), 20);
}

async fn price_history_and_lowest_price_of_30_days(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let (id, _) = listed(
        &app,
        &seller,
        &product("Lamp", "Brass desk lamp", "lighting", 12900, "EUR"),
    )
    .await;
    let mut position = 0;
    for price in [9900, 11900] {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/products/{id}/price")))
            .bearer_auth(&seller.access_token)
            .json(&json!({ "price": { "amount_minor": price, "currency": "EUR" } }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        position = position_of(&r);
    }

    let r = app
        .client
        .get(app.url(&format!("/api/v1/products/{id}")))
        .header("agora-min-position", position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["price"]["amount_minor"], 11900);
    assert_eq!(
        p["lowest_price_30d"],
        json!({ "amount_minor": 9900, "currency": "EUR" })
    );
    // Issue 20 item 10: nothing received yet is none available (it was null).
    assert_eq!(p["available"], 0, "no stock received yet");

    let r = app
        .client
        .get(app.url(&format!("/api/v1/products/{id}/price-history")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let history: Value = r.json().await.unwrap();
    let prices: Vec<i64> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["price"]["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(prices, [12900, 9900, 11900]);
    let times: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(history["lowest_price_30d"]["amount_minor"], 9900);
    // A page at a time, like every list; the 30-day price is the whole history's.
    let path = format!("/api/v1/products/{id}/price-history");
    let first: Value = app
        .client
        .get(app.url(&format!("{path}?limit=2")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let rest: Value = app
        .client
        .get(app.url(&format!("{path}?limit=2&cursor={cursor}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest["items"][0]["price"]["amount_minor"], 11900);
    assert_eq!(rest["next_cursor"], Value::Null);
    assert_eq!(rest["lowest_price_30d"]["amount_minor"], 9900);
    for bad in ["limit=0", "limit=101"] {
        let r = app
            .client
            .get(app.url(&format!("{path}?{bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // A draft's history is its seller's business only.
    let (draft, _) = app
        .create_product(
            &seller.header(),
            &product("Shade", "Linen", "lighting", 100, "EUR"),
        )
        .await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/products/{draft}/price-history")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

common::on_both_stores!(
    search_finds_description_words_and_ranks_title_matches_first,
    filters_and_sort_orders,
    keyset_pagination_returns_every_product_once_in_order,
    price_history_and_lowest_price_of_30_days,
);
