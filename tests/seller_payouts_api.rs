//! Sellers' ledgers and payouts, on SQLite and on PostgreSQL: the order saga's `credit_seller`
//! and `debit_seller` sent over the command bus, the balance read over HTTP, and payouts over
//! HTTP that never overdraw, however many race.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, TestApp, database_url, on_both_stores, settings, spawn_with};
use event_schemas::payments::PayoutId;
use event_schemas::payments::commands::{CreditSeller, DebitSeller};
use payments::application::{LedgerRequest, PaymentsCommand};
use payments::domain::{LedgerCommand, SellerLedger};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared_kernel::ContextCommand as _;
use shared_kernel::application::execute;
use shared_kernel::ids::{OrderId, UserId};
use shared_kernel::{
    Aggregate, CommandOutcome, Currency, EventMetadata, Money, StreamId, SystemClock,
};

type Header = (String, String);

async fn spawn(store: Store) -> TestApp {
    let mut s = settings(database_url(store).await);
    s.contexts = vec!["identity".into(), "payments".into()];
    spawn_with(s).await
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

/// Sends a command as `actor` over the bus; (body or `{"rejected": code}`, position).
async fn bus_sends(app: &TestApp, actor: &str, command: PaymentsCommand) -> (Value, u64) {
    let envelope = command.envelope(uuid::Uuid::now_v7(), actor).unwrap();
    match app.running.bus.send(envelope).await.unwrap().outcome {
        CommandOutcome::Accepted { body, position, .. } => (body, position),
        CommandOutcome::Rejected { code, .. } => (json!({ "rejected": code }), 0),
    }
}

fn credit(seller: &str, order: OrderId, gross: i64) -> PaymentsCommand {
    PaymentsCommand::from(LedgerRequest::CreditSeller(CreditSeller {
        seller_id: seller.parse::<UserId>().unwrap(),
        order_id: order,
        entry: format!("delivered:{order}"),
        gross: eur(gross),
    }))
}

async fn balance(app: &TestApp, who: &Header, query: &str, position: u64) -> Value {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/sellers/me/balance{query}")))
        .header(who.0.clone(), who.1.clone())
        .header("agora-min-position", position.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn request_payout(
    app: &TestApp,
    who: &Header,
    minor: i64,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/api/v1/sellers/me/payouts"))
        .header(who.0.clone(), who.1.clone())
        .json(&json!({ "amount": { "amount_minor": minor, "currency": "EUR" } }));
    if let Some(key) = key {
        req = req.header("idempotency-key", key);
    }
    req.send().await.unwrap()
}

fn position_of(r: &reqwest::Response) -> u64 {
    r.headers()["agora-position"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn minor(v: &Value) -> i64 {
    v["amount_minor"].as_i64().unwrap()
}

async fn the_saga_credits_and_the_seller_reads_the_balance(store: Store) {
    let app = spawn(store).await;
    let seller = app.new_user().await;
    let who = seller.header();
    let order = OrderId::new();
    let (_, p) = bus_sends(&app, "system:saga:order", credit(&seller.id, order, 12_345)).await;
    // The same entry again: nothing changes.
    let (_, p2) = bus_sends(&app, "system:saga:order", credit(&seller.id, order, 12_345)).await;
    assert_eq!(p, p2);
    // A user cannot credit themselves over the bus.
    let (refused, _) = bus_sends(&app, &seller.id, credit(&seller.id, OrderId::new(), 1)).await;
    assert_eq!(refused["rejected"], "forbidden");
    let debit = PaymentsCommand::from(LedgerRequest::DebitSeller(DebitSeller {
        seller_id: seller.id.parse().unwrap(),
        order_id: order,
        entry: format!("returned:{order}:r1"),
        gross: eur(2_345),
    }));
    let (_, p) = bus_sends(&app, "system:saga:order", debit).await;
    let body = balance(&app, &who, "", p).await;
    let eur_balance = &body["balances"][0];
    // Commission floor(12345 × 10 %) = 1234; after 23.45 returned, floor(10000 × 10 %) = 1000.
    assert_eq!(eur_balance["currency"], "EUR");
    assert_eq!(minor(&eur_balance["available"]), 9_000);
    assert_eq!(minor(&eur_balance["commission_total"]), 1_000);
    assert_eq!(minor(&eur_balance["pending_payouts"]), 0);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["kind"], "debit");
    assert_eq!(minor(&items[0]["commission"]), 234);
    assert_eq!(minor(&items[0]["amount"]), 2_111);
    assert_eq!(items[1]["kind"], "credit");
    assert_eq!(items[1]["entry"], format!("delivered:{order}"));
    // Paged newest first.
    let page = balance(&app, &who, "?limit=1", p).await;
    assert_eq!(page["items"][0]["kind"], "debit");
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next = balance(&app, &who, &format!("?limit=1&cursor={cursor}"), p).await;
    assert_eq!(next["items"][0]["kind"], "credit");
    assert!(next["next_cursor"].is_null());
    // Another user has no balance.
    let other = app.user_header().await;
    assert_eq!(balance(&app, &other, "", p).await["balances"], json!([]));
}

async fn racing_payouts_never_overdraw(store: Store) {
    let app = spawn(store).await;
    let seller = app.new_user().await;
    let who = seller.header();
    // 111.11 gross less floor(11.111) = 11.11 commission: 100.00 available.
    bus_sends(
        &app,
        "system:saga:order",
        credit(&seller.id, OrderId::new(), 11_111),
    )
    .await;
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let (client, url, who) = (
                app.client.clone(),
                app.url("/api/v1/sellers/me/payouts"),
                who.clone(),
            );
            tokio::spawn(async move {
                let r = client
                    .post(url)
                    .header(who.0, who.1)
                    .json(&json!({ "amount": { "amount_minor": 3_000, "currency": "EUR" } }))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let position = r
                    .headers()
                    .get("agora-position")
                    .map(|p| p.to_str().unwrap().parse::<u64>().unwrap());
                (status, position, r.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let (mut paid, mut last) = (0, 0);
    for racer in racers {
        let (status, position, body) = racer.await.unwrap();
        match status {
            StatusCode::ACCEPTED => {
                assert_eq!(body["status"], "paid", "{body}");
                assert!(minor(&body["balance"]["available"]) >= 0);
                paid += 1;
                last = last.max(position.unwrap());
            }
            StatusCode::CONFLICT => assert_eq!(body["code"], "insufficient_balance", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(paid, 3);
    let body = balance(&app, &who, "", last).await;
    let b = &body["balances"][0];
    assert_eq!(
        (minor(&b["available"]), minor(&b["paid_out"])),
        (1_000, 9_000)
    );

    // An Idempotency-Key makes a retried request the same payout.
    let first = request_payout(&app, &who, 600, Some("payout-1")).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let p = position_of(&first);
    let first: Value = first.json().await.unwrap();
    let again: Value = request_payout(&app, &who, 600, Some("payout-1"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["payout_id"], again["payout_id"]);
    let body = balance(&app, &who, "", p).await;
    assert_eq!(minor(&body["balances"][0]["available"]), 400);
    let r = request_payout(&app, &who, 401, None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = request_payout(&app, &who, 0, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_held_payout_left_unpaid_is_completed(store: Store) {
    let app = spawn(store).await;
    let seller = app.new_user().await;
    let who = seller.header();
    bus_sends(
        &app,
        "system:saga:order",
        credit(&seller.id, OrderId::new(), 10_000),
    )
    .await;
    // Only the hold, as a process that stopped before paying would leave it.
    let seller_id: UserId = seller.id.parse().unwrap();
    let hold = LedgerCommand::RequestPayout {
        seller_id,
        payout_id: PayoutId::new(),
        amount: eur(2_500),
    };
    let stream = StreamId::of(SellerLedger::KIND, seller_id);
    let held = execute::<SellerLedger>(
        app.running.store.as_ref(),
        &SystemClock,
        &stream,
        hold,
        &EventMetadata::default(),
    )
    .await
    .unwrap();
    // The payout completion process manager pays it.
    let mut b = Value::Null;
    for _ in 0..100 {
        b = balance(&app, &who, "", held.position).await["balances"][0].clone();
        if minor(&b["paid_out"]) == 2_500 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        (
            minor(&b["available"]),
            minor(&b["pending_payouts"]),
            minor(&b["paid_out"])
        ),
        (6_500, 0, 2_500),
        "{b}"
    );
}

/// Issue 20, item 7: an over-payout said "a payout of 20000 EUR exceeds ... 3220 EUR". The
/// detail reads as money now, and the problem carries both amounts in minor units.
async fn an_over_payout_names_its_amounts_as_money(store: Store) {
    let app = spawn(store).await;
    let seller = app.new_user().await;
    // 35.77 gross less floor(3.577) = 3.57 commission: 32.20 available.
    let (_, p) = bus_sends(
        &app,
        "system:saga:order",
        credit(&seller.id, OrderId::new(), 3_577),
    )
    .await;
    let body = balance(&app, &seller.header(), "", p).await;
    assert_eq!(minor(&body["balances"][0]["available"]), 3_220);

    let r = request_payout(&app, &seller.header(), 20_000, None).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "insufficient_balance", "{body}");
    assert_eq!(
        body["detail"],
        "a payout of 200.00 EUR exceeds the available balance of 32.20 EUR"
    );
    assert_eq!(
        body["requested"],
        json!({ "amount_minor": 20_000, "currency": "EUR" })
    );
    assert_eq!(
        body["available"],
        json!({ "amount_minor": 3_220, "currency": "EUR" })
    );
}

on_both_stores!(
    an_over_payout_names_its_amounts_as_money,
    the_saga_credits_and_the_seller_reads_the_balance,
    racing_payouts_never_overdraw,
    a_held_payout_left_unpaid_is_completed,
);
