//! The merchandise slice end to end over HTTP, on SQLite and on PostgreSQL:
//! command -> decide -> append -> projection -> read model -> GET.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, TestUser, order_body, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

fn chess_set() -> Value {
    json!({
        "title": "Walnut chess set",
        "description": "Hand-carved, felted pieces",
        "category": "games",
        "price": { "amount_minor": 12900, "currency": "EUR" },
        "sku": "CHESS-WAL-01",
        "attributes": { "material": "walnut" }
    })
}

async fn create(app: &TestApp, seller: &TestUser, body: &Value) -> (String, u64) {
    let r = app
        .client
        .post(app.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let position: u64 = r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(position > 0);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/products/{id}"));
    assert_eq!(body["status"], "draft");
    (id, position)
}

async fn get(
    app: &TestApp,
    id: &str,
    user: Option<&TestUser>,
    min_position: Option<u64>,
) -> reqwest::Response {
    let mut req = app.client.get(app.url(&format!("/api/v1/products/{id}")));
    if let Some(u) = user {
        req = req.bearer_auth(&u.access_token);
    }
    if let Some(p) = min_position {
        req = req.header("agora-min-position", p.to_string());
    }
    req.send().await.unwrap()
}

async fn post(
    app: &TestApp,
    path: &str,
    user: &TestUser,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .bearer_auth(&user.access_token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

async fn assert_problem(r: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(body["title"].is_string() && body["detail"].is_string() && body["type"].is_string());
    body
}

async fn create_then_read_your_write(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let (id, position) = create(&app, &seller, &chess_set()).await;

    let r = get(&app, &id, Some(&seller), Some(position)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["title"], "Walnut chess set");
    assert_eq!(p["status"], "draft");
    assert_eq!(p["seller_id"], seller.id);
    assert_eq!(
        p["price"],
        json!({ "amount_minor": 12900, "currency": "EUR" })
    );
    assert_eq!(p["attributes"]["material"], "walnut");
}

async fn drafts_are_private_until_published(store: Store) {
    let app = spawn_app(store).await;
    let (seller, stranger) = (app.new_user().await, app.new_user().await);
    let (id, position) = create(&app, &seller, &chess_set()).await;
    assert_eq!(
        get(&app, &id, Some(&seller), Some(position)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&app, &id, None, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, &id, Some(&stranger), None).await.status(),
        StatusCode::NOT_FOUND
    );

    // Only the seller may publish; to anyone else the draft does not exist.
    let r = post(
        &app,
        &format!("/api/v1/products/{id}/publish"),
        &stranger,
        None,
    )
    .await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;

    let r = post(
        &app,
        &format!("/api/v1/products/{id}/publish"),
        &seller,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let position: u64 = r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let r = get(&app, &id, None, Some(position)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
}

async fn seller_changes_price_and_details(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let (id, _) = create(&app, &seller, &chess_set()).await;

    let r = post(
        &app,
        &format!("/api/v1/products/{id}/price"),
        &seller,
        Some(json!({ "price": { "amount_minor": 9900, "currency": "EUR" } })),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = post(
        &app,
        &format!("/api/v1/products/{id}/price"),
        &seller,
        Some(json!({ "price": { "amount_minor": 9900, "currency": "USD" } })),
    )
    .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;

    let r = app
        .client
        .patch(app.url(&format!("/api/v1/products/{id}")))
        .bearer_auth(&seller.access_token)
        .json(&json!({ "title": "Walnut chess set, large" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let position: u64 = r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();

    let p: Value = get(&app, &id, Some(&seller), Some(position))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["title"], "Walnut chess set, large");
    assert_eq!(p["category"], "games", "fields not sent keep their value");
    assert_eq!(p["price"]["amount_minor"], 9900);
    assert_eq!(p["version"], 3);
}

async fn bad_input_gets_problem_json(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let products = app.url("/api/v1/products");

    // Malformed JSON: 400.
    let r = app
        .client
        .post(&products)
        .bearer_auth(&seller.access_token)
        .header("content-type", "application/json")
        .body("{\"title\":")
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::BAD_REQUEST, "malformed_json").await;

    // Well-formed but invalid: 422, from serde (shape) and from the domain (rules).
    for body in [
        json!({ "title": "x" }),
        json!({ "title": "x", "category": "c", "sku": "S", "price": { "amount_minor": 1, "currency": "euro" } }),
        json!({ "title": "x", "category": "c", "sku": "S", "price": { "amount_minor": 1.5, "currency": "EUR" } }),
        json!({ "title": "x", "category": "c", "sku": "S", "price": { "amount_minor": 1, "currency": "EUR" }, "colour": "red" }),
        json!({ "title": "  ", "category": "c", "sku": "S", "price": { "amount_minor": 1, "currency": "EUR" } }),
        json!({ "title": "x", "category": "c", "sku": "S", "price": { "amount_minor": -5, "currency": "EUR" } }),
        json!({ "title": "x", "category": "c", "sku": "has space", "price": { "amount_minor": 1, "currency": "EUR" } }),
    ] {
        let r = post(&app, "/api/v1/products", &seller, Some(body.clone())).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    }

    // No caller: 401. Too large: 413. Unknown product or route: 404.
    let r = app
        .client
        .post(&products)
        .json(&chess_set())
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    let huge = json!({ "title": "x".repeat(100 * 1024), "category": "c", "sku": "S",
                       "price": { "amount_minor": 1, "currency": "EUR" } });
    let r = post(&app, "/api/v1/products", &seller, Some(huge)).await;
    assert_problem(r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    let r = get(&app, &Uuid::now_v7().to_string(), None, None).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = get(&app, "not-a-uuid", None, None).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = app
        .client
        .get(app.url("/api/v1/products/x"))
        .header("agora-min-position", "soon")
        .send()
        .await
        .unwrap();
    assert_problem(r, StatusCode::BAD_REQUEST, "invalid_min_position").await;
}

async fn a_read_that_cannot_be_satisfied_answers_503(store: Store) {
    let mut settings = common::settings(common::database_url(store).await);
    settings.http.read_wait_ms = 1_500;
    let app = common::spawn_with(settings).await;
    let seller = app.new_user().await;
    let (id, position) = create(&app, &seller, &chess_set()).await;
    let started = std::time::Instant::now();
    let r = get(&app, &id, Some(&seller), Some(position + 1_000_000)).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "the wait is bounded"
    );
    assert_eq!(r.headers()["retry-after"], "1");
    assert_problem(r, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

async fn a_write_whose_reply_is_late_answers_202_and_its_status_later(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    // A second process on the same database, whose writes never wait for their reply.
    let mut impatient = app.settings.clone();
    impatient.http.command_timeout_ms = 0;
    let other = common::spawn_with(impatient).await;
    let r = other
        .client
        .post(other.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .json(&chess_set())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "pending");
    assert!(location.starts_with("/api/v1/commands/"), "{location}");
    assert_eq!(location, body["location"]);
    // The command still completes; its status says where its events are.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let r = other.client.get(other.url(&location)).send().await.unwrap();
        if r.status() == StatusCode::OK {
            let done: Value = r.json().await.unwrap();
            assert_eq!(done["status"], "completed");
            assert!(done["stream_id"].as_str().unwrap().starts_with("product-"));
            assert!(done["position"].as_u64().unwrap() > 0);
            break;
        }
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(std::time::Instant::now() < deadline, "never completed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn operations_endpoints(store: Store) {
    let app = spawn_app(store).await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let ready: Value = r.json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert!(ready["projections"]["merchandise.catalog"].is_string());

    create(&app, &app.new_user().await, &chess_set()).await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("agora_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/products\""), "{metrics}");
    assert!(
        metrics.contains("agora_projection_lag_events{projection=\"merchandise.catalog\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("agora_store_head_position"), "{metrics}");
}

fn position_of(r: &reqwest::Response) -> u64 {
    r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Issue 20 item 8: a refusal must not tell a stranger that a product exists. Each write on
/// another seller's product answers exactly what it answers for an id nobody has used, and so
/// does a read of another seller's draft (at once: an unknown id does not wait).
async fn a_stranger_learns_no_more_than_of_an_unknown_product(store: Store) {
    let app = spawn_app(store).await;
    let (seller, stranger) = (app.new_user().await, app.new_user().await);
    let (id, _) = create(&app, &seller, &chess_set()).await;
    let unknown = Uuid::now_v7().to_string();
    let writes = [
        (
            Method::POST,
            "/price",
            Some(json!({ "price": { "amount_minor": 100, "currency": "EUR" } })),
        ),
        (Method::PATCH, "", Some(json!({ "title": "Mine now" }))),
        (Method::POST, "/publish", None),
        (
            Method::POST,
            "/variants",
            Some(json!({ "sku": "STRANGER-1", "option_values": { "size": "M" } })),
        ),
        (Method::POST, "/archive", None),
    ];
    for (method, suffix, body) in writes {
        let send = |target: String| {
            let mut req = app
                .client
                .request(
                    method.clone(),
                    app.url(&format!("/api/v1/products/{target}{suffix}")),
                )
                .bearer_auth(&stranger.access_token);
            if let Some(b) = &body {
                req = req.json(b);
            }
            req.send()
        };
        let theirs = send(id.clone()).await.unwrap();
        let theirs = assert_problem(theirs, StatusCode::NOT_FOUND, "not_found").await;
        let nobody = send(unknown.clone()).await.unwrap();
        let nobody = assert_problem(nobody, StatusCode::NOT_FOUND, "not_found").await;
        assert_eq!(theirs, nobody, "{method} {suffix}");
        assert_eq!(theirs["detail"], "product not found", "{method} {suffix}");
    }
    // None of it happened.
    let p: Value = get(&app, &id, Some(&seller), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&p["status"], &p["title"], &p["version"]),
        (&json!("draft"), &json!("Walnut chess set"), &json!(1))
    );

    let started = std::time::Instant::now();
    let nobody = get(&app, &unknown, Some(&stranger), None).await;
    assert!(
        started.elapsed() < std::time::Duration::from_millis(750),
        "an unknown id answers at once, not after the read wait: {:?}",
        started.elapsed()
    );
    let nobody = assert_problem(nobody, StatusCode::NOT_FOUND, "not_found").await;
    for target in [id.as_str(), "not-a-uuid"] {
        let r = get(&app, target, Some(&stranger), None).await;
        assert_eq!(
            assert_problem(r, StatusCode::NOT_FOUND, "not_found").await,
            nobody
        );
    }
}

/// Issue 20 item 8: a title of spaces is blank, and the refusal says so.
async fn a_blank_title_is_refused_as_blank(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let mut body = chess_set();
    body["title"] = json!("   ");
    let r = post(&app, "/api/v1/products", &seller, Some(body)).await;
    let problem = assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    assert_eq!(problem["detail"], "title must not be blank");
}

/// Issue 20 item 12: `POST /products/{id}/archive`, the seller's only: the product leaves the
/// search, cannot be ordered nor changed, and still reads by its id (as archived).
async fn a_seller_archives_a_product_out_of_the_search_and_the_shop(store: Store) {
    let app = spawn_app(store).await;
    let (seller, stranger, buyer) = (
        app.new_user().await,
        app.new_user().await,
        app.new_user().await,
    );
    let on_sale = app.stocked_product(&seller.header(), 2500, 5).await;
    let listed = |position: u64| {
        let request = app
            .client
            .get(app.url("/api/v1/products"))
            .header("agora-min-position", position.to_string());
        async move {
            let page: Value = request.send().await.unwrap().json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let position: u64 = on_sale.position.parse().unwrap();
    assert_eq!(listed(position).await, std::slice::from_ref(&on_sale.id));

    let archive = format!("/api/v1/products/{}/archive", on_sale.id);
    let r = post(&app, &archive, &stranger, None).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = post(&app, &archive, &seller, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let position = position_of(&r);
    let state: Value = r.json().await.unwrap();
    assert_eq!(state, json!({ "id": on_sale.id, "status": "archived" }));
    // Archiving again changes nothing.
    let r = post(&app, &archive, &seller, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "archived");

    assert!(
        listed(position).await.is_empty(),
        "archived products are not listed"
    );
    let r = get(&app, &on_sale.id, None, Some(position)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "archived");
    let r = app
        .post_order(
            &buyer.header(),
            &order_body(&on_sale.id, 1, "tok_ok"),
            &position.to_string(),
        )
        .await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "product_unavailable").await;
    let r = post(
        &app,
        &format!("/api/v1/products/{}/price", on_sale.id),
        &seller,
        Some(json!({ "price": { "amount_minor": 2000, "currency": "EUR" } })),
    )
    .await;
    assert_problem(r, StatusCode::CONFLICT, "invalid_product_state").await;
    let r = post(
        &app,
        &format!("/api/v1/products/{}/publish", on_sale.id),
        &seller,
        None,
    )
    .await;
    assert_problem(r, StatusCode::CONFLICT, "invalid_product_state").await;
}

common::on_both_stores!(
    create_then_read_your_write,
    drafts_are_private_until_published,
    seller_changes_price_and_details,
    bad_input_gets_problem_json,
    a_read_that_cannot_be_satisfied_answers_503,
    a_write_whose_reply_is_late_answers_202_and_its_status_later,
    operations_endpoints,
    a_stranger_learns_no_more_than_of_an_unknown_product,
    a_blank_title_is_refused_as_blank,
    a_seller_archives_a_product_out_of_the_search_and_the_shop,
);
