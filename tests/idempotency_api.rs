//! `Idempotency-Key` on writes, over HTTP on SQLite and on PostgreSQL: a retried write has one
//! effect and answers as the first time; a key reused for another request is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, TestUser, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn lamp(title: &str) -> Value {
    lamp_with_sku(title, "LAMP-01")
}

/// A sku belongs to one product: another product needs a sku of its own.
fn lamp_with_sku(title: &str, sku: &str) -> Value {
    json!({
        "title": title,
        "description": "Brass desk lamp",
        "category": "lighting",
        "price": { "amount_minor": 4900, "currency": "EUR" },
        "sku": sku,
    })
}

async fn create_with_key(
    app: &TestApp,
    seller: &TestUser,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// Status, the headers a replay must repeat, and the body of a response.
async fn parts(r: reqwest::Response) -> (StatusCode, Option<String>, Option<String>, bool, Value) {
    let header = |name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (position, location) = (header("agora-position"), header("location"));
    let replayed = header("idempotent-replayed").as_deref() == Some("true");
    (
        r.status(),
        position,
        location,
        replayed,
        r.json().await.unwrap(),
    )
}

/// The seller's products in the catalog once it has reached `position`.
async fn products_of(app: &TestApp, seller: &TestUser, position: &str) -> i64 {
    // Wait for the read model through the API, then count its rows.
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
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM merchandise_catalog WHERE seller_id = $1")
            .bind(seller.id.clone())
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    count
}

async fn a_retry_with_the_same_key_and_body_replays_the_first_response(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;

    let first = parts(create_with_key(&app, &seller, "create-lamp-1", &lamp("Lamp")).await).await;
    assert_eq!(first.0, StatusCode::CREATED);
    assert!(!first.3, "the first response is not a replay");
    let second = parts(create_with_key(&app, &seller, "create-lamp-1", &lamp("Lamp")).await).await;
    assert!(second.3, "Idempotent-Replayed: true");
    assert_eq!(
        (&second.0, &second.1, &second.2, &second.4),
        (&first.0, &first.1, &first.2, &first.4),
        "same status, Agora-Position, Location and body"
    );
    let position = first.1.unwrap();
    assert_eq!(products_of(&app, &seller, &position).await, 1);

    // Another key is another write; so is the same key of another caller.
    let other = parts(
        create_with_key(
            &app,
            &seller,
            "create-lamp-2",
            &lamp_with_sku("Lamp", "LAMP-02"),
        )
        .await,
    )
    .await;
    assert_eq!(other.0, StatusCode::CREATED);
    assert_ne!(other.4["id"], first.4["id"]);
    let someone = app.new_user().await;
    let theirs = parts(
        create_with_key(
            &app,
            &someone,
            "create-lamp-1",
            &lamp_with_sku("Lamp", "LAMP-03"),
        )
        .await,
    )
    .await;
    assert_eq!(theirs.0, StatusCode::CREATED);
    assert!(!theirs.3);
    assert_eq!(products_of(&app, &seller, &other.1.unwrap()).await, 2);

    // A final client error is kept too: the retry gets the same 422 without running again.
    let invalid = json!({ "title": " ", "category": "c", "sku": "S",
                          "price": { "amount_minor": 1, "currency": "EUR" } });
    let first = parts(create_with_key(&app, &seller, "invalid-1", &invalid).await).await;
    assert_eq!(first.0, StatusCode::UNPROCESSABLE_ENTITY);
    let again = parts(create_with_key(&app, &seller, "invalid-1", &invalid).await).await;
    assert!(again.3);
    assert_eq!((again.0, &again.4), (first.0, &first.4));

    // Reads ignore the header.
    let r = app
        .client
        .get(app.url("/api/v1/products"))
        .header("idempotency-key", "create-lamp-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("idempotent-replayed").is_none());

    // Responses that must not be stored (Cache-Control: no-store, like a login's tokens) are
    // not written down: each retry runs again.
    for _ in 0..2 {
        let r = app
            .client
            .post(app.url("/api/v1/sessions"))
            .header("idempotency-key", "login-1")
            .json(&json!({ "email": seller.email, "password": seller.password }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().get("idempotent-replayed").is_none());
    }
}

async fn the_same_key_for_another_request_is_refused(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let first = create_with_key(&app, &seller, "k-1", &lamp("Lamp")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let position = first.headers()["agora-position"]
        .to_str()
        .unwrap()
        .to_owned();
    let id = first.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another body.
    let r = create_with_key(&app, &seller, "k-1", &lamp("Another lamp")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "idempotency_key_reused");
    // Another route.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/products/{id}/publish")))
        .bearer_auth(&seller.access_token)
        .header("idempotency-key", "k-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "idempotency_key_reused"
    );
    assert_eq!(products_of(&app, &seller, &position).await, 1);

    // A key that is not a header-safe token of at most 255 characters is malformed.
    let r = create_with_key(&app, &seller, &"k".repeat(256), &lamp("Lamp")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["code"],
        "validation_failed"
    );
}

async fn concurrent_duplicates_create_one_product(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let body = lamp("Lamp");
    let attempts = (0..8).map(|_| create_with_key(&app, &seller, "concurrent-1", &body));
    let responses = futures::future::join_all(attempts).await;

    let mut ids = Vec::new();
    let mut positions = Vec::new();
    let mut replays = 0;
    for r in responses {
        let (status, position, _, replayed, body) = parts(r).await;
        // Each duplicate waited for the first and got its answer.
        assert_eq!(status, StatusCode::CREATED, "{body}");
        replays += usize::from(replayed);
        ids.push(body["id"].as_str().unwrap().to_owned());
        positions.push(position.unwrap());
    }
    ids.dedup();
    positions.dedup();
    assert_eq!(ids.len(), 1, "one product: {ids:?}");
    assert_eq!(positions.len(), 1);
    assert_eq!(replays, 7, "all but the first are replays");
    assert_eq!(products_of(&app, &seller, &positions[0]).await, 1);
}

async fn post_with_key(
    app: &TestApp,
    auth: Option<&str>,
    path: &str,
    key: &str,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url(path))
        .header("idempotency-key", key)
        .json(body);
    if let Some(token) = auth {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap()
}

/// What a write answered: its status, the id it names, and whether it was a replay.
async fn answer(r: reqwest::Response) -> (StatusCode, String, bool) {
    let (status, _, _, replayed, body) = parts(r).await;
    let id = body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{status} {body}"))
        .to_owned();
    (status, id, replayed)
}

/// How many events of `event_type` whose data has `field` = `value` the store holds.
async fn stored(app: &TestApp, event_type: &str, field: &str, value: &str) -> usize {
    let events = app
        .running
        .store
        .read_all(shared_kernel::Cursor::START, 100_000)
        .await
        .unwrap();
    events
        .iter()
        .filter(|e| e.event_type == event_type && e.data[field] == value)
        .count()
}

/// The crash: writes with their own keys, the process killed after their commands
/// committed but before their responses were written down, a new process on the same data.
/// Each retry answers with the first result (the same order, post or account), after at most
/// a lease (the command timeout), never with 409 for minutes and never by running again.
async fn a_retry_after_a_crash_answers_with_the_first_result(store: Store) {
    const N: usize = 6;
    let app = spawn_app(store).await;
    let settings = app.settings.clone();
    let seller = app.user_header().await;
    let product = app.stocked_product(&seller, 1000, 100).await;
    let buyer = app.new_user().await;
    let community = json!({ "name": "crashes", "title": "Crashes", "description": "" });
    let r = post_with_key(
        &app,
        Some(&buyer.access_token),
        "/api/v1/communities",
        "community",
        &community,
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // (path, key, body, token, first answer)
    let mut writes = Vec::new();
    for i in 0..N {
        let order = common::order_body(&product.id, 1, "tok_ok");
        let post = json!({ "title": format!("Post {i}"), "body": "Before the crash." });
        for (path, key, body) in [
            ("/api/v1/orders", format!("order-{i}"), order),
            (
                "/api/v1/communities/crashes/posts",
                format!("post-{i}"),
                post,
            ),
        ] {
            let r = post_with_key(&app, Some(&buyer.access_token), path, &key, &body).await;
            let first = answer(r).await;
            writes.push((path, key, body, Some(buyer.access_token.clone()), first));
        }
    }
    let email = format!("crash-{}@example.org", uuid::Uuid::now_v7().simple());
    let sign_up = json!({ "email": email, "password": common::PASSWORD, "display_name": "C" });
    let r = post_with_key(&app, None, "/api/v1/users", "sign-up", &sign_up).await;
    let first = answer(r).await;
    assert_eq!(first.0, StatusCode::CREATED);
    writes.push(("/api/v1/users", "sign-up".to_owned(), sign_up, None, first));

    // The crash: every other key's response was never written down; its row stays as the
    // dying process left it, in flight.
    let pool = sqlx::AnyPool::connect(&settings.storage.url())
        .await
        .unwrap();
    for (i, (_, key, ..)) in writes.iter().enumerate() {
        if i % 2 == 0 || key == "sign-up" {
            sqlx::query(
                "UPDATE idempotency_keys SET status = NULL, headers = NULL, body = NULL \
                 WHERE key = $1",
            )
            .bind(key.clone())
            .execute(&pool)
            .await
            .unwrap();
        }
    }
    pool.close().await;
    drop(app);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let app = common::spawn_with(settings).await;

    let started = tokio::time::Instant::now();
    let retries = writes
        .iter()
        .map(|(path, key, body, token, _)| post_with_key(&app, token.as_deref(), path, key, body));
    let answers = futures::future::join_all(retries).await;
    for ((path, key, _, _, first), r) in writes.iter().zip(answers) {
        let (status, id, _) = answer(r).await;
        assert_eq!(
            (status, &id),
            (first.0, &first.1),
            "{path} {key}: the retry answers the first result"
        );
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "retries waited {:?}: at most a lease",
        started.elapsed()
    );
    // Exactly one effect per key.
    for (path, key, _, _, (_, id, _)) in &writes {
        let (event_type, field) = match *path {
            "/api/v1/orders" => (event_schemas::ordering::ORDER_PLACED, "order_id"),
            "/api/v1/users" => (event_schemas::identity::USER_REGISTERED, "user_id"),
            _ => (event_schemas::communities::POST_CREATED, "post_id"),
        };
        assert_eq!(stored(&app, event_type, field, id).await, 1, "{key}");
    }
    assert_eq!(
        stored(
            &app,
            event_schemas::ordering::ORDER_PLACED,
            "buyer_id",
            &buyer.id
        )
        .await,
        N
    );
    assert_eq!(
        stored(
            &app,
            event_schemas::identity::USER_REGISTERED,
            "email",
            &email
        )
        .await,
        1
    );
}

/// Keys sent without credentials belong to their request, not to one `anonymous` caller: a
/// stranger's key neither replays someone else's sign-up nor collides with it.
async fn anonymous_keys_do_not_meet_across_strangers(store: Store) {
    let app = spawn_app(store).await;
    let body = |email: &str| json!({ "email": email, "password": common::PASSWORD, "display_name": "Stranger" });
    let (ada, bob) = ("ada@example.org", "bob@example.org");
    let first =
        answer(post_with_key(&app, None, "/api/v1/users", "signup-1", &body(ada)).await).await;
    assert_eq!(first.0, StatusCode::CREATED);
    let other =
        answer(post_with_key(&app, None, "/api/v1/users", "signup-1", &body(bob)).await).await;
    assert_eq!(
        other.0,
        StatusCode::CREATED,
        "not 422: another stranger's key"
    );
    assert!(!other.2, "not a replay of someone else's sign-up");
    assert_ne!(other.1, first.1);
    // The same stranger retrying gets their own answer again.
    let again =
        answer(post_with_key(&app, None, "/api/v1/users", "signup-1", &body(ada)).await).await;
    assert_eq!((again.0, &again.1, again.2), (first.0, &first.1, true));
    for email in [ada, bob] {
        assert_eq!(app.login(email, common::PASSWORD).await.status(), 200);
    }
}

common::on_both_stores!(
    a_retry_with_the_same_key_and_body_replays_the_first_response,
    the_same_key_for_another_request_is_refused,
    concurrent_duplicates_create_one_product,
    a_retry_after_a_crash_answers_with_the_first_result,
    anonymous_keys_do_not_meet_across_strangers,
);
