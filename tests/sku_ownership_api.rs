//! A sku belongs to the first product that claims it, on SQLite and on PostgreSQL: another
//! seller (or another product of the same seller) naming it is refused with 409 `sku_taken`,
//! cannot sell or stock it, and leaves the owner's stock alone; of sellers racing for a new
//! sku exactly one wins.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn product(title: &str, sku: &str) -> Value {
    json!({
        "title": title,
        "category": "games",
        "price": { "amount_minor": 1000, "currency": "EUR" },
        "sku": sku,
    })
}

async fn create(app: &TestApp, auth: &(String, String), body: &Value) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/products"))
        .header(auth.0.clone(), auth.1.clone())
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn assert_sku_taken(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "sku_taken", "{body}");
}

/// The products in the catalog (all sellers) that name `sku`, once it has reached `position`.
async fn catalog_products_with(app: &TestApp, sku: &str, position: &str) -> Vec<String> {
    let r = app
        .client
        .get(app.url("/api/v1/products"))
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let pool = sqlx::AnyPool::connect(&app.settings.storage.url())
        .await
        .unwrap();
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM merchandise_catalog WHERE sku = $1")
        .bind(sku.to_owned())
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    ids
}

async fn receive(
    app: &TestApp,
    auth: &(String, String),
    sku: &str,
    position: &str,
) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/inventory/{sku}/receipts")))
        .header(auth.0.clone(), auth.1.clone())
        .header("agora-min-position", position)
        .json(&json!({ "quantity": 7 }))
        .send()
        .await
        .unwrap()
}

/// The case: seller B lists a product under seller A's sku.
async fn a_sku_belongs_to_the_first_product_that_claims_it(store: Store) {
    let app = spawn_app(store).await;
    let (a, b) = (app.user_header().await, app.user_header().await);
    let owned = app.stocked_product(&a, 1000, 5).await;

    // B cannot list a product under A's sku; nor can A list a second one under it.
    assert_sku_taken(create(&app, &b, &product("Knock-off", &owned.sku)).await).await;
    assert_sku_taken(create(&app, &a, &product("Second listing", &owned.sku)).await).await;
    // So there is nothing of B's to publish or sell: the catalog has A's product alone.
    assert_eq!(
        catalog_products_with(&app, &owned.sku, &owned.position).await,
        vec![owned.id.clone()]
    );
    // Nor can B stock or count A's sku.
    let r = receive(&app, &b, &owned.sku, &owned.position).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A's stock is A's: untouched by all of the above, and only A's product sells it.
    app.wait_for_stock(
        &a,
        &owned.sku,
        (5, 0, 5),
        std::time::Duration::from_secs(60),
    )
    .await;
    let buyer = app.user_header().await;
    let order = app
        .place_order(
            &buyer,
            &common::order_body(&owned.id, 2, "tok_ok"),
            &owned.position,
        )
        .await;
    app.wait_for_order_status(&buyer, &order, "paid", std::time::Duration::from_secs(60))
        .await;
    app.wait_for_stock(
        &a,
        &owned.sku,
        (3, 0, 3),
        std::time::Duration::from_secs(60),
    )
    .await;

    // B's own skus are B's.
    let r = create(&app, &b, &product("Original", "B-OWN-1")).await;
    assert_eq!(r.status(), StatusCode::CREATED);
}

/// Sellers racing for one new sku: exactly one product is created, every other attempt is
/// 409 `sku_taken`, and inventory names the winner as the sku's owner.
async fn sellers_racing_for_a_new_sku_leave_exactly_one_owner(store: Store) {
    let app = spawn_app(store).await;
    let (a, b) = (app.user_header().await, app.user_header().await);
    let sku = format!("RACE-{}", uuid::Uuid::now_v7().simple());
    let attempts = (0..8).map(|i| {
        let seller = if i % 2 == 0 { a.clone() } else { b.clone() };
        let body = product(&format!("Attempt {i}"), &sku);
        let app = &app;
        async move { (seller.clone(), create(app, &seller, &body).await) }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let mut winners = Vec::new();
    for (seller, r) in outcomes {
        if r.status() == StatusCode::CREATED {
            let position = r.headers()["agora-position"].to_str().unwrap().to_owned();
            let id = r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
            winners.push((seller, id, position));
        } else {
            assert_sku_taken(r).await;
        }
    }
    assert_eq!(winners.len(), 1, "exactly one creation wins");
    let (winner, id, position) = winners.pop().unwrap();
    let loser = if winner == a { b } else { a };
    assert_eq!(catalog_products_with(&app, &sku, &position).await, vec![id]);
    // Inventory agrees with the claim: the winner stocks the sku, the loser cannot.
    let r = receive(&app, &winner, &sku, &position).await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let r = receive(&app, &loser, &sku, &position).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

common::on_both_stores!(
    a_sku_belongs_to_the_first_product_that_claims_it,
    sellers_racing_for_a_new_sku_leave_exactly_one_owner,
);
