//! What a careless or hostile client sends to the edge, on SQLite and on PostgreSQL (issue 10,
//! parts 3 and 4): control characters, over-long text, unknown currencies, out-of-range
//! `Agora-Min-Position`, forged cursors, wrong query types, oversized and non-JSON optional
//! bodies, wrong methods. Each gets a problem+json answer with a stable code, from the shared
//! place that owns the rule, whatever the route.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Store, TestApp, TestUser, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn send(
    app: &TestApp,
    who: Option<&TestUser>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path));
    if let Some(who) = who {
        req = req.bearer_auth(&who.access_token);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap()
}

/// The cases of a scenario. Each is checked and recorded; the scenario fails at its end and
/// lists every case that did not get its answer, so each reported case shows on its own (and
/// each can be seen failing on the code before the fix, not only the first).
#[derive(Debug, Default)]
struct Cases(Vec<String>);

impl Cases {
    /// Expects a problem+json answer with `status` and `code`; returns its body (`Null` when
    /// the answer was another).
    async fn problem(&mut self, r: reqwest::Response, status: u16, code: &str) -> Value {
        let url = r.url().to_string();
        let actual = r.status().as_u16();
        let content_type = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let text = r.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let complete = ["type", "title", "detail"]
            .iter()
            .all(|field| body[field].is_string());
        if actual != status
            || content_type != "application/problem+json"
            || body["code"] != code
            || body["status"] != status
            || !complete
        {
            let shown: String = text.chars().take(200).collect();
            self.0.push(format!(
                "{url}: expected problem {status} {code}, got {actual} {content_type:?} {shown}"
            ));
            return Value::Null;
        }
        body
    }

    /// Records `what` unless `ok`.
    fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            self.0.push(what.into());
        }
    }

    fn done(self) {
        assert!(
            self.0.is_empty(),
            "{} case(s) without the right answer:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}

fn detail_has(body: &Value, part: &str) -> bool {
    body["detail"].as_str().is_some_and(|d| d.contains(part))
}

/// The `Agora-Position` of a successful write.
async fn position_of(r: reqwest::Response, status: u16) -> (u64, Value) {
    let actual = r.status().as_u16();
    let position = r
        .headers()
        .get("agora-position")
        .map(|p| p.to_str().unwrap().parse::<u64>().unwrap());
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "{body}");
    (position.expect("a write answers Agora-Position"), body)
}

fn community_name() -> String {
    format!("c{}", &Uuid::now_v7().simple().to_string()[20..])
}

async fn create_community(app: &TestApp, owner: &TestUser) -> (String, u64) {
    let name = community_name();
    let r = send(
        app,
        Some(owner),
        Method::POST,
        "/api/v1/communities",
        Some(json!({ "name": name, "title": "Edge", "description": "For edge tests" })),
    )
    .await;
    let (position, _) = position_of(r, 201).await;
    (name, position)
}

async fn create_post(app: &TestApp, author: &TestUser, community: &str) -> (String, u64) {
    let r = send(
        app,
        Some(author),
        Method::POST,
        &format!("/api/v1/communities/{community}/posts"),
        Some(json!({ "title": "Hello", "body": "First line\nsecond line\ttabbed" })),
    )
    .await;
    let (position, body) = position_of(r, 201).await;
    (body["id"].as_str().unwrap().to_owned(), position)
}

fn product(title: &str, currency: &str) -> Value {
    json!({
        "title": title,
        "description": "Two lines:\nboth fine.",
        "category": "games",
        "price": { "amount_minor": 1200, "currency": currency },
        "sku": format!("SKU-{}", Uuid::now_v7().simple()),
    })
}

/// A cursor as a client could forge it: base64url of any JSON.
fn forged(json: &Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

// ------------------------------------------------------------------ control characters

/// NUL and other control characters in a JSON text field, a path or a query parameter: 422
/// at the edge (before: 503 on PostgreSQL after the store refused the event, 500 for a path or
/// a search, or stored as sent on SQLite).
async fn control_characters_are_refused_at_the_edge(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let user = app.new_user().await;
    let nul_title = json!({ "name": community_name(), "title": "a\u{0}b", "description": "x" });
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/communities",
        Some(nul_title),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    cases.check(detail_has(&body, "title"), "the detail names the field");
    // In a nested field, in a map value and in an object key.
    let mut nested = product("Chess", "EUR");
    nested["attributes"] = json!({ "colour": "red\u{1b}[0m" });
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/products",
        Some(nested),
    )
    .await;
    cases.problem(r, 422, "validation_failed").await;
    let mut keyed = product("Chess", "EUR");
    keyed["attributes"] = json!({ "col\u{7f}our": "red" });
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/products",
        Some(keyed),
    )
    .await;
    cases.problem(r, 422, "validation_failed").await;
    // A line break is text in a body or a description, not in a title.
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/products",
        Some(product("Two\nlines", "EUR")),
    )
    .await;
    cases.problem(r, 422, "validation_failed").await;
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/products",
        Some(product("One line", "EUR")),
    )
    .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let (community, _) = create_community(&app, &user).await;
    create_post(&app, &user, &community).await;

    for path in [
        "/api/v1/communities/%00",
        "/api/v1/communities/a%0Ab/posts",
        "/api/v1/products?q=a%00",
        "/api/v1/products?category=%1B",
        "/api/v1/posts/x/comments?sort=%00",
    ] {
        let r = send(&app, None, Method::GET, path, None).await;
        cases.problem(r, 422, "validation_failed").await;
    }
    let r = send(
        &app,
        Some(&user),
        Method::POST,
        "/api/v1/communities/%00/members",
        None,
    )
    .await;
    cases.problem(r, 422, "validation_failed").await;
    // Not UTF-8 at all: the path is malformed.
    let r = send(&app, None, Method::GET, "/api/v1/communities/%FF", None).await;
    cases.problem(r, 400, "malformed_uri").await;
    cases.done();
}

// ------------------------------------------------------------------ lengths, currencies

/// Every text field has a maximum: an attribute value of 501 characters is refused (before:
/// any length), and a string over the extractor's backstop is refused in any field.
async fn every_text_field_has_a_maximum(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let seller = app.new_user().await;
    let mut long_value = product("Chess", "EUR");
    long_value["attributes"] = json!({ "material": "w".repeat(501) });
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(long_value),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    cases.check(
        detail_has(&body, "attribute value"),
        "the detail names the attribute value",
    );
    let mut fits = product("Chess", "EUR");
    fits["attributes"] = json!({ "material": "w".repeat(500) });
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(fits),
    )
    .await;
    assert_eq!(r.status(), 201);

    let mut huge = product("Chess", "EUR");
    huge["attributes"] = json!({ "material": "w".repeat(50_001) });
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(huge),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    cases.check(detail_has(&body, "50000"), "the backstop says its limit");
    cases.done();
}

/// Only ISO 4217 codes (the `iso_currency` list): `XYZ` is refused when listing a product and
/// when filtering the catalog (before: both accepted).
async fn currencies_are_iso_4217_codes(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let seller = app.new_user().await;
    for code in ["XYZ", "ABC", "XXX"] {
        let r = send(
            &app,
            Some(&seller),
            Method::POST,
            "/api/v1/products",
            Some(product("Chess", code)),
        )
        .await;
        cases.problem(r, 422, "validation_failed").await;
        let r = send(
            &app,
            None,
            Method::GET,
            &format!("/api/v1/products?currency={code}"),
            None,
        )
        .await;
        cases.problem(r, 422, "validation_failed").await;
    }
    for code in ["EUR", "JPY", "CHF"] {
        let r = send(
            &app,
            Some(&seller),
            Method::POST,
            "/api/v1/products",
            Some(product("Chess", code)),
        )
        .await;
        assert_eq!(r.status(), 201, "{code}");
        let r = send(
            &app,
            None,
            Method::GET,
            &format!("/api/v1/products?currency={code}"),
            None,
        )
        .await;
        assert_eq!(r.status(), 200, "{code}");
    }
    cases.done();
}

// ------------------------------------------------------------------ read-your-writes

async fn read_after(
    app: &TestApp,
    who: &TestUser,
    path: &str,
    position: &str,
) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(&who.access_token)
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap()
}

/// `Agora-Min-Position`: out of range or not a number is 400 (before: 500 and an ERROR log,
/// or 422); a position already applied, 0 included, answers at once (before: 0 waited and
/// failed with 503); a write that changes nothing answers the position of its stream's last
/// event, which a read can wait on (before: 0).
async fn min_position_is_checked_and_no_op_writes_answer_a_usable_position(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let user = app.new_user().await;
    let voter = app.new_user().await;
    let (community, created_at) = create_community(&app, &user).await;
    let (post, posted_at) = create_post(&app, &user, &community).await;
    let post_path = format!("/api/v1/posts/{post}");

    for bad in ["9223372036854775808", "18446744073709551616", "-1", "soon"] {
        let r = read_after(&app, &user, &post_path, bad).await;
        cases.problem(r, 400, "invalid_min_position").await;
    }
    // Once the post is in the read model, every position up to it is applied, 0 included.
    for applied in [posted_at, created_at, 0] {
        let started = Instant::now();
        let r = read_after(&app, &user, &post_path, &applied.to_string()).await;
        let took = started.elapsed();
        cases.check(
            r.status() == 200 && took < Duration::from_millis(800),
            format!(
                "position {applied} is applied: 200 at once, got {} after {took:?}",
                r.status()
            ),
        );
    }

    // The same vote twice, joining twice, a PATCH that changes nothing.
    let vote_path = format!("/api/v1/posts/{post}/vote");
    let vote = || {
        send(
            &app,
            Some(&voter),
            Method::PUT,
            &vote_path,
            Some(json!({ "value": 1 })),
        )
    };
    let (first, _) = position_of(vote().await, 200).await;
    let (again, _) = position_of(vote().await, 200).await;
    cases.check(
        again == first,
        format!("a repeated vote answers the vote's position {first}, got {again}"),
    );
    let members = format!("/api/v1/communities/{community}/members");
    let join = || send(&app, Some(&voter), Method::POST, &members, None);
    let (joined, _) = position_of(join().await, 200).await;
    let (rejoined, _) = position_of(join().await, 200).await;
    cases.check(
        rejoined == joined,
        format!("joining twice answers the join's position {joined}, got {rejoined}"),
    );
    let unchanged = send(
        &app,
        Some(&user),
        Method::PATCH,
        &post_path,
        Some(json!({ "title": "Hello" })),
    )
    .await;
    let (patched, _) = position_of(unchanged, 200).await;
    cases.check(
        patched == posted_at,
        format!(
            "a PATCH that changes nothing answers the post's position {posted_at}, got {patched}"
        ),
    );
    for position in [again, rejoined, patched] {
        let started = Instant::now();
        let r = read_after(&app, &user, &post_path, &position.to_string()).await;
        let took = started.elapsed();
        cases.check(
            position > 0 && r.status() == 200 && took < Duration::from_millis(1200),
            format!(
                "a no-op's position {position} can be waited on: got {} after {took:?}",
                r.status()
            ),
        );
    }
    cases.done();
}

// ------------------------------------------------------------------ cursors

async fn get_as(app: &TestApp, who: &TestUser, path: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .bearer_auth(&who.access_token)
        .send()
        .await
        .unwrap()
}

/// Forged cursors whose key is of the wrong kind or range for the sort: 400 `invalid_cursor`
/// on every list that takes a cursor (before: 200 with a wrong page, or 422).
async fn forged_cursors_are_refused_everywhere(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let user = app.new_user().await;
    let (community, position) = create_community(&app, &user).await;
    let (post, _) = create_post(&app, &user, &community).await;
    let id = Uuid::now_v7().to_string();
    let nan = f64::NAN.to_bits();
    let lists = [
        (
            format!("/api/v1/communities/{community}/posts?sort=top&t=all"),
            json!({ "s": "top:all", "t": "zzz", "id": id }),
        ),
        (
            format!("/api/v1/communities/{community}/posts?sort=hot"),
            json!({ "s": "hot", "f": nan, "id": id }),
        ),
        (
            format!("/api/v1/communities/{community}/posts?sort=new"),
            json!({ "s": "new", "t": "not a time", "id": id }),
        ),
        (
            format!("/api/v1/communities/{community}/posts?sort=new"),
            json!({ "s": "new", "t": "2026-01-01T00:00:00.000000Z", "id": "not-a-uuid" }),
        ),
        (
            format!("/api/v1/posts/{post}/comments?sort=top"),
            json!({ "s": "comments:top", "f": 1.5_f64.to_bits(), "id": id }),
        ),
        (
            format!("/api/v1/communities/{community}/modlog"),
            json!({ "s": "modlog", "i": -5, "id": id }),
        ),
        (
            format!("/api/v1/users/{}/karma", user.id),
            json!({ "s": "karma", "t": "1", "id": id }),
        ),
        (
            "/api/v1/products?sort=newest".to_owned(),
            json!({ "s": "newest", "t": "yesterday", "id": id }),
        ),
        (
            "/api/v1/products?sort=price_asc".to_owned(),
            json!({ "s": "price_asc", "f": nan, "id": id }),
        ),
        (
            "/api/v1/orders".to_owned(),
            json!({ "s": "orders", "t": "not a time", "id": id }),
        ),
        (
            "/api/v1/inventory/SKU-1/ledger".to_owned(),
            json!({ "s": "ledger", "i": -1 }),
        ),
        (
            "/api/v1/inventory/alerts".to_owned(),
            json!({ "s": "alerts", "i": 3 }),
        ),
    ];
    for (path, cursor) in lists {
        let separator = if path.contains('?') { '&' } else { '?' };
        let url = format!("{path}{separator}cursor={}", forged(&cursor));
        let r = read_after(&app, &user, &url, &position.to_string()).await;
        cases.problem(r, 400, "invalid_cursor").await;
        let r = get_as(&app, &user, &format!("{path}{separator}cursor=garbage")).await;
        cases.problem(r, 400, "invalid_cursor").await;
    }
    // A real cursor still pages.
    create_post(&app, &user, &community).await;
    let (_, at) = create_post(&app, &user, &community).await;
    let feed = format!("/api/v1/communities/{community}/posts?sort=new&limit=1");
    let page: Value = read_after(&app, &user, &feed, &at.to_string())
        .await
        .json()
        .await
        .unwrap();
    let next = page["next_cursor"].as_str().unwrap();
    let r = get_as(&app, &user, &format!("{feed}&cursor={next}")).await;
    cases.check(r.status() == 200, "a cursor the feed gave pages on");
    cases.done();
}

// ------------------------------------------------------------------ errors outside handlers

/// Extractor rejections, body limits, non-JSON optional bodies and wrong methods answer
/// problem+json like every handler error (before: `text/plain` 400 and 413, empty 405, and
/// `text/plain` bodies accepted where a JSON body is optional).
async fn every_error_is_problem_json(store: Store) {
    let app = spawn_app(store).await;
    let mut cases = Cases::default();
    let user = app.new_user().await;
    let (community, _) = create_community(&app, &user).await;
    let (post, _) = create_post(&app, &user, &community).await;

    for path in [
        "/api/v1/inventory/SKU-1/ledger?limit=abc",
        "/api/v1/wallet?limit=abc",
        "/api/v1/inventory/alerts?limit=abc",
    ] {
        let r = send(&app, Some(&user), Method::GET, path, None).await;
        let body = cases.problem(r, 422, "validation_failed").await;
        cases.check(
            detail_has(&body, "limit"),
            format!("{path}: the detail names limit"),
        );
    }

    // Routes whose JSON body is optional: over the limit is 413, non-JSON is 415.
    let optional = [
        (Method::DELETE, "/api/v1/sessions".to_owned()),
        (
            Method::POST,
            format!("/api/v1/communities/{community}/members"),
        ),
        (Method::POST, format!("/api/v1/posts/{post}/lock")),
    ];
    let too_large = "x".repeat(app.settings.http.max_body_bytes + 1);
    for (method, path) in &optional {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&user.access_token)
            .header("content-type", "application/json")
            .body(too_large.clone())
            .send()
            .await
            .unwrap();
        cases.problem(r, 413, "payload_too_large").await;
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .bearer_auth(&user.access_token)
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .unwrap();
        cases.problem(r, 415, "unsupported_media_type").await;
    }

    // A method the route does not have: 405 with `Allow`.
    let r = send(&app, Some(&user), Method::DELETE, "/api/v1/products", None).await;
    let allow = r
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    cases.check(
        allow.contains("GET") && allow.contains("POST"),
        format!("405 lists the methods: {allow:?}"),
    );
    cases.problem(r, 405, "method_not_allowed").await;
    let r = send(&app, None, Method::PUT, "/healthz", None).await;
    let detail = r.headers().get("allow").is_some();
    cases.check(detail, "405 of /healthz has an Allow header".to_owned());
    let body: serde_json::Value = r.json().await.unwrap_or_default();
    let detail = body["detail"].as_str().unwrap_or_default().to_owned();
    cases.check(
        !detail.trim_end().ends_with(':') && !detail.ends_with("allowed: "),
        format!("a 405's detail names no empty list: {detail:?}"),
    );
    cases.check(
        body["code"] == "method_not_allowed",
        format!("405 code: {body}"),
    );
    // Unknown routes and unparsable ids are 404 problems, as before.
    let r = send(&app, None, Method::GET, "/api/v1/nothing", None).await;
    cases.problem(r, 404, "not_found").await;
    let r = send(&app, None, Method::GET, "/api/v1/products/not-an-id", None).await;
    cases.problem(r, 404, "not_found").await;
    cases.done();
}

/// A body is one JSON object with each key once, and a refusal names the field in JSON's words,
/// never a server type (issue 20: arrays created products and users, `[]` named a Rust struct, a
/// repeated key took its last value).
async fn a_body_is_one_object_with_each_key_once(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.new_user().await;
    let mut cases = Cases::default();
    let array_product = json!([
        "Arr title", "", "games", {"amount_minor": 100, "currency": "EUR"}, "ARR-1", {}, [], []
    ]);
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(array_product),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    assert_eq!(
        body["detail"],
        "the body must be a JSON object, not an array"
    );
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(json!([])),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    let detail = body["detail"].as_str().unwrap_or_default().to_owned();
    assert!(
        !detail.contains("struct") && !detail.contains("CreateProduct"),
        "{detail}"
    );
    let user = json!(["a@example.org", "correct horse battery", "Ann"]);
    let r = send(&app, None, Method::POST, "/api/v1/users", Some(user)).await;
    cases.problem(r, 422, "validation_failed").await;
    let login = json!([seller.email, seller.password]);
    let r = send(&app, None, Method::POST, "/api/v1/sessions", Some(login)).await;
    cases.problem(r, 422, "validation_failed").await;
    let r = app
        .client
        .post(app.url("/api/v1/products"))
        .bearer_auth(&seller.access_token)
        .header("content-type", "application/json")
        .body(r#"{"title":"a","title":"b","category":"games","sku":"DUP-1","price":{"amount_minor":100,"currency":"EUR"}}"#)
        .send()
        .await
        .unwrap();
    let body = cases.problem(r, 422, "validation_failed").await;
    assert_eq!(body["detail"], "title: the key appears twice");
    let r = send(
        &app,
        Some(&seller),
        Method::POST,
        "/api/v1/products",
        Some(json!({"title": "t", "category": "games", "sku": "TYPE-1", "price": 5})),
    )
    .await;
    let body = cases.problem(r, 422, "validation_failed").await;
    assert_eq!(
        body["detail"],
        "price: invalid type: integer `5`, expected a JSON object"
    );
    cases.done();
    // Nothing of the above was created.
    let r = app
        .client
        .get(app.url("/api/v1/products?q=Arr"))
        .send()
        .await
        .unwrap();
    let found: Value = r.json().await.unwrap();
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{found}");
}

common::on_both_stores!(
    a_body_is_one_object_with_each_key_once,
    control_characters_are_refused_at_the_edge,
    every_text_field_has_a_maximum,
    currencies_are_iso_4217_codes,
    min_position_is_checked_and_no_op_writes_answer_a_usable_position,
    forged_cursors_are_refused_everywhere,
    every_error_is_problem_json,
);
