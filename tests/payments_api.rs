//! Payments over the command bus (as the order saga sends them) and HTTP, on SQLite and on
//! PostgreSQL: card tokens and the wallet, capture, partial then full refunds, wallet balances,
//! a void that prevents a late charge, and payments visible to their payer only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use shared_kernel::ContextCommand as _;
use std::time::Duration;

use common::{Store, TestApp, database_url, on_both_stores, settings, spawn_with};
use event_schemas::payments::PaymentMethod;
use event_schemas::payments::commands::{AuthorizePayment, CapturePayment, VoidPayment};
use http_kernel::AccessClaims;
use identity::application::SigningKey;
use payments::application::{PaymentRequest, PaymentsCommand};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{CommandOutcome, Currency, Money};

const SLOW: Duration = Duration::from_millis(400);

async fn spawn(store: Store) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.payments.payment_slow_delay_ms = u64::try_from(SLOW.as_millis()).unwrap();
    // Without the order saga, which would capture every authorization at once.
    s.contexts = vec!["identity".into(), "payments".into()];
    spawn_with(s).await
}

type Header = (String, String);

/// A registered user holding an access token with the admin role, signed by the server's key.
async fn admin(app: &TestApp) -> Header {
    let user = app.new_user().await;
    let key =
        SigningKey::load_or_generate(app.settings.identity.jwt_private_key_file.as_ref().unwrap())
            .unwrap();
    let now = chrono::Utc::now().timestamp();
    let token = key
        .sign(&AccessClaims {
            sub: user.id,
            iss: "agora".into(),
            aud: "agora-api".into(),
            iat: now,
            exp: now + 600,
            jti: "payments-test".into(),
            roles: vec!["admin".into()],
            generation: 0,
        })
        .unwrap();
    ("authorization".into(), format!("Bearer {token}"))
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn authorize(payer: &str, minor: i64, method: PaymentMethod, token: &str) -> AuthorizePayment {
    AuthorizePayment {
        payment_id: PaymentId::new(),
        order_id: OrderId::new(),
        payer_id: payer.parse::<UserId>().unwrap(),
        amount: eur(minor),
        method,
        token: Some(token.into()),
    }
}

/// Sends a command as the order saga would; returns (body or rejection code, position).
async fn saga_sends(app: &TestApp, command: PaymentsCommand) -> (Value, u64) {
    let envelope = command
        .envelope(uuid::Uuid::now_v7(), "system:saga:order")
        .unwrap();
    match app.running.bus.send(envelope).await.unwrap().outcome {
        CommandOutcome::Accepted { body, position, .. } => (body, position),
        CommandOutcome::Rejected { code, .. } => (json!({ "rejected": code }), 0),
    }
}

async fn status_of(app: &TestApp, command: PaymentsCommand) -> (String, u64) {
    let (body, position) = saga_sends(app, command).await;
    let status = body["status"].as_str().map_or_else(
        || format!("rejected:{}", body["rejected"].as_str().unwrap()),
        str::to_owned,
    );
    (status, position)
}

fn capture(id: PaymentId) -> PaymentsCommand {
    PaymentsCommand::from(PaymentRequest::CapturePayment(CapturePayment {
        payment_id: id,
    }))
}

fn void(id: PaymentId) -> PaymentsCommand {
    PaymentsCommand::from(PaymentRequest::VoidPayment(VoidPayment {
        payment_id: id,
        reason: "order_cancelled".into(),
    }))
}

/// Reads after the write at `position` (0: nothing was written, nothing to wait for).
fn after(req: reqwest::RequestBuilder, position: u64) -> reqwest::RequestBuilder {
    if position == 0 {
        req
    } else {
        req.header("agora-min-position", position.to_string())
    }
}

async fn get_payment(
    app: &TestApp,
    who: Option<&Header>,
    id: PaymentId,
    position: u64,
) -> reqwest::Response {
    let mut req = app.client.get(app.url(&format!("/api/v1/payments/{id}")));
    req = after(req, position);
    if let Some((name, value)) = who {
        req = req.header(name, value);
    }
    req.send().await.unwrap()
}

async fn payment_json(app: &TestApp, who: &Header, id: PaymentId, position: u64) -> Value {
    let r = get_payment(app, Some(who), id, position).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn refund(app: &TestApp, who: &Header, id: PaymentId, body: Value) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/payments/{id}/refunds")))
        .header(who.0.clone(), who.1.clone())
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn position_of(r: &reqwest::Response) -> u64 {
    r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn assert_problem(r: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(r.status(), status);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
}

async fn credit(app: &TestApp, who: &Header, user: &str, minor: i64) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/wallets/{user}/credits")))
        .header(who.0.clone(), who.1.clone())
        .json(&json!({ "amount": eur(minor), "reason": "goodwill" }))
        .send()
        .await
        .unwrap()
}

async fn wallet(app: &TestApp, who: &Header, position: u64) -> Value {
    let req = app
        .client
        .get(app.url("/api/v1/wallet"))
        .header(who.0.clone(), who.1.clone());
    let r = after(req, position).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn card_payment_is_captured_then_refunded_in_parts(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let admin = admin(&app).await;
    let request = authorize(&buyer.id, 2500, PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    let (status, _) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(request.clone())),
    )
    .await;
    assert_eq!(status, "authorized");
    let (status, position) = status_of(&app, capture(id)).await;
    assert_eq!(status, "captured");

    let p = payment_json(&app, &buyer.header(), id, position).await;
    assert_eq!(p["id"], id.to_string());
    assert_eq!(p["order_id"], request.order_id.to_string());
    assert_eq!(p["status"], "captured");
    assert_eq!(p["method"], "card");
    assert_eq!(
        p["amount"],
        json!({ "amount_minor": 2500, "currency": "EUR" })
    );
    assert_eq!(p["refunded"]["amount_minor"], 0);

    // Refunds are for admins only.
    let r = refund(&app, &buyer.header(), id, json!({ "amount": eur(100) })).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;

    let r = refund(&app, &admin, id, json!({ "amount": eur(1000) })).await;
    assert_eq!(r.status(), StatusCode::OK);
    let position = position_of(&r);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "partially_refunded");
    let p = payment_json(&app, &buyer.header(), id, position).await;
    assert_eq!(
        (
            p["status"].as_str().unwrap(),
            p["refunded"]["amount_minor"].as_i64().unwrap()
        ),
        ("partially_refunded", 1000)
    );

    // Never more than was captured.
    let r = refund(&app, &admin, id, json!({ "amount": eur(1501) })).await;
    assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refund_exceeds_captured",
    )
    .await;

    // No amount: the rest.
    let r = refund(&app, &admin, id, json!({})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let position = position_of(&r);
    let p = payment_json(&app, &buyer.header(), id, position).await;
    assert_eq!(
        (
            p["status"].as_str().unwrap(),
            p["refunded"]["amount_minor"].as_i64().unwrap()
        ),
        ("refunded", 2500)
    );

    // Void after capture cannot keep the money either: it is refunded (here: already).
    let r = refund(&app, &admin, id, json!({ "amount": eur(1) })).await;
    assert_problem(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "refund_exceeds_captured",
    )
    .await;
}

async fn tokens_decide_the_authorization(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let cases = [
        ("tok_declined", "declined", Some("card_declined")),
        ("tok_mystery", "declined", Some("invalid_token")),
        ("tok_slow", "authorized", None),
        ("tok_ok", "authorized", None),
    ];
    for (token, expected, reason) in cases {
        let request = authorize(&buyer.id, 900, PaymentMethod::Card, token);
        let started = std::time::Instant::now();
        let (status, position) = status_of(
            &app,
            PaymentsCommand::from(PaymentRequest::AuthorizePayment(request.clone())),
        )
        .await;
        assert_eq!(status, expected, "{token}");
        if token == "tok_slow" {
            assert!(started.elapsed() >= SLOW);
        }
        let p = payment_json(&app, &buyer.header(), request.payment_id, position).await;
        assert_eq!(p["status"], expected, "{token}");
        assert_eq!(p["decline_reason"].as_str(), reason, "{token}");
        // A declined payment cannot be captured.
        if expected == "declined" {
            let (status, _) = status_of(&app, capture(request.payment_id)).await;
            assert_eq!(status, "rejected:invalid_payment_state");
        }
    }
}

async fn payments_are_visible_to_their_payer_only(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let stranger = app.user_header().await;
    let admin = admin(&app).await;
    let request = authorize(&buyer.id, 900, PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    let (_, position) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(request)),
    )
    .await;
    assert_eq!(
        get_payment(&app, Some(&buyer.header()), id, position)
            .await
            .status(),
        StatusCode::OK
    );
    let r = get_payment(&app, Some(&stranger), id, position).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
    let r = get_payment(&app, None, id, position).await;
    assert_problem(r, StatusCode::UNAUTHORIZED, "unauthenticated").await;
    assert_eq!(
        get_payment(&app, Some(&admin), id, position).await.status(),
        StatusCode::OK
    );
    let r = get_payment(&app, Some(&buyer.header()), PaymentId::new(), 0).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

async fn wallet_payments_debit_and_credit_back(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let me = buyer.header();
    let admin = admin(&app).await;

    // Only admins grant credit.
    let r = credit(&app, &me, &buyer.id, 5000).await;
    assert_problem(r, StatusCode::FORBIDDEN, "forbidden").await;
    let w = wallet(&app, &me, 0).await;
    assert_eq!(
        (w["balance"].clone(), w["movements"].clone()),
        (Value::Null, json!([]))
    );

    let r = credit(&app, &admin, &buyer.id, 5000).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let w = wallet(&app, &me, position_of(&r)).await;
    assert_eq!(
        w["balance"],
        json!({ "amount_minor": 5000, "currency": "EUR" })
    );

    // Pay 3000 from the wallet, capture, refund 1000 of it.
    let first = authorize(&buyer.id, 3000, PaymentMethod::Wallet, "");
    let (status, position) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(first.clone())),
    )
    .await;
    assert_eq!(status, "authorized");
    assert_eq!(
        wallet(&app, &me, position).await["balance"]["amount_minor"],
        2000
    );
    let p = payment_json(&app, &me, first.payment_id, position).await;
    assert_eq!(p["method"], "wallet");

    // Short of money: declined, and the balance is untouched.
    let second = authorize(&buyer.id, 3000, PaymentMethod::Wallet, "");
    let (status, position) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(second.clone())),
    )
    .await;
    assert_eq!(status, "declined");
    let p = payment_json(&app, &me, second.payment_id, position).await;
    assert_eq!(p["decline_reason"], "insufficient_funds");
    assert_eq!(
        wallet(&app, &me, position).await["balance"]["amount_minor"],
        2000
    );

    let (status, _) = status_of(&app, capture(first.payment_id)).await;
    assert_eq!(status, "captured");
    let r = refund(
        &app,
        &admin,
        first.payment_id,
        json!({ "amount": eur(1000) }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let w = wallet(&app, &me, position_of(&r)).await;
    assert_eq!(w["balance"]["amount_minor"], 3000);

    // Authorised then voided: the debit comes back.
    let third = authorize(&buyer.id, 1500, PaymentMethod::Wallet, "");
    let (status, position) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(third.clone())),
    )
    .await;
    assert_eq!(status, "authorized");
    assert_eq!(
        wallet(&app, &me, position).await["balance"]["amount_minor"],
        1500
    );
    let (status, position) = status_of(&app, void(third.payment_id)).await;
    assert_eq!(status, "voided");
    let w = wallet(&app, &me, position).await;
    assert_eq!(w["balance"]["amount_minor"], 3000);
    // Newest first: void credit, debit, refund credit, debit, grant.
    let kinds: Vec<(&str, i64)> = w["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap(),
                m["amount"]["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("credit", 1500),
            ("debit", 1500),
            ("credit", 1000),
            ("debit", 3000),
            ("credit", 5000)
        ]
    );
    let p = payment_json(&app, &me, third.payment_id, position).await;
    assert_eq!(p["status"], "voided");
}

async fn a_void_before_the_authorization_prevents_the_charge(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let me = buyer.header();
    let admin = admin(&app).await;
    let r = credit(&app, &admin, &buyer.id, 4000).await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // The cancellation overtakes the saga's authorize command: nothing is debited.
    let late = authorize(&buyer.id, 4000, PaymentMethod::Wallet, "");
    let (status, _) = status_of(&app, void(late.payment_id)).await;
    assert_eq!(status, "declined");
    let (status, _) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(late.clone())),
    )
    .await;
    assert_eq!(status, "rejected:payment_cancelled");
    let w = wallet(&app, &me, position_of(&r)).await;
    assert_eq!(w["balance"]["amount_minor"], 4000);

    // Same with a card.
    let card = authorize(&buyer.id, 700, PaymentMethod::Card, "tok_ok");
    // Refused commands write nothing: the read waits for the void's position.
    let (_, voided_at) = status_of(&app, void(card.payment_id)).await;
    let (status, _) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(card.clone())),
    )
    .await;
    assert_eq!(status, "rejected:payment_cancelled");
    let (status, _) = status_of(&app, capture(card.payment_id)).await;
    assert_eq!(status, "rejected:invalid_payment_state");
    assert!(voided_at > 0);
    let p = payment_json(&app, &admin, card.payment_id, voided_at).await;
    assert_eq!(
        (p["status"].clone(), p["decline_reason"].clone()),
        (json!("declined"), json!("cancelled"))
    );

    // The cancellation lands while a slow card is at the provider: the late authorization is
    // refused (and released at the provider), and the payer sees a cancelled payment.
    let slow = authorize(&buyer.id, 800, PaymentMethod::Card, "tok_slow");
    let in_flight = {
        let bus = std::sync::Arc::clone(&app.running.bus);
        let envelope = PaymentsCommand::from(PaymentRequest::AuthorizePayment(slow.clone()))
            .envelope(uuid::Uuid::now_v7(), "system:saga:order")
            .unwrap();
        tokio::spawn(async move { bus.send(envelope).await })
    };
    tokio::time::sleep(SLOW / 4).await;
    let (status, position) = status_of(&app, void(slow.payment_id)).await;
    assert_eq!(status, "declined");
    let reply = in_flight.await.unwrap().unwrap();
    assert!(
        matches!(&reply.outcome, CommandOutcome::Rejected { code, .. } if code == "payment_cancelled"),
        "{reply:?}"
    );
    let p = payment_json(&app, &me, slow.payment_id, position).await;
    assert_eq!(p["status"], "declined");
    assert_eq!(p["decline_reason"], "cancelled");
    assert_eq!(p["order_id"], slow.order_id.to_string());

    // A refund of something never captured is refused.
    let r = refund(&app, &admin, slow.payment_id, json!({})).await;
    assert_problem(r, StatusCode::CONFLICT, "invalid_payment_state").await;
    let r = refund(&app, &admin, PaymentId::new(), json!({})).await;
    assert_problem(r, StatusCode::NOT_FOUND, "not_found").await;
}

/// Issue 10: a refund's reason took any length (100,000 characters were accepted); it is one
/// to 1,000 characters now, like every other reason.
async fn a_refund_reason_has_a_maximum_length(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let admin = admin(&app).await;
    let request = authorize(&buyer.id, 2500, PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    let (status, _) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(request)),
    )
    .await;
    assert_eq!(status, "authorized");
    let (status, _) = status_of(&app, capture(id)).await;
    assert_eq!(status, "captured");

    let body = json!({ "amount": eur(100), "reason": "r".repeat(1_001) });
    let r = refund(&app, &admin, id, body).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let body = json!({ "amount": eur(100), "reason": "a NUL \u{0} in a reason" });
    let r = refund(&app, &admin, id, body).await;
    assert_problem(r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let body = json!({ "amount": eur(100), "reason": "r".repeat(1_000) });
    let r = refund(&app, &admin, id, body).await;
    assert_eq!(r.status(), StatusCode::OK);
}

/// Issue 20, item 7: an over-refund said "refund of 99999999 EUR exceeds the 13800 EUR still
/// refundable", minor units labelled as the currency. The detail reads as money now, and the
/// problem carries both amounts in minor units.
async fn an_over_refund_names_its_amounts_as_money(store: Store) {
    let app = spawn(store).await;
    let buyer = app.new_user().await;
    let admin = admin(&app).await;
    let request = authorize(&buyer.id, 13_800, PaymentMethod::Card, "tok_ok");
    let id = request.payment_id;
    let (status, _) = status_of(
        &app,
        PaymentsCommand::from(PaymentRequest::AuthorizePayment(request)),
    )
    .await;
    assert_eq!(status, "authorized");
    let (status, _) = status_of(&app, capture(id)).await;
    assert_eq!(status, "captured");

    let r = refund(&app, &admin, id, json!({ "amount": eur(99_999_999) })).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "refund_exceeds_captured", "{body}");
    assert_eq!(
        body["detail"],
        "refund of 999999.99 EUR exceeds the 138.00 EUR still refundable"
    );
    assert_eq!(
        body["requested"],
        json!({ "amount_minor": 99_999_999, "currency": "EUR" })
    );
    assert_eq!(
        body["refundable"],
        json!({ "amount_minor": 13_800, "currency": "EUR" })
    );
    // The standard members keep their meaning beside the extensions.
    assert_eq!(body["status"], 422);
}

on_both_stores!(
    an_over_refund_names_its_amounts_as_money,
    a_refund_reason_has_a_maximum_length,
    card_payment_is_captured_then_refunded_in_parts,
    tokens_decide_the_authorization,
    payments_are_visible_to_their_payer_only,
    wallet_payments_debit_and_credit_back,
    a_void_before_the_authorization_prevents_the_charge,
);
