//! Fair reservations (issue 13): N units, M > N buyers racing for them, a share of them with
//! cards that are declined. The payment is authorised before stock is held, so a declined
//! order never keeps a paying buyer from the sale: exactly min(N, paying buyers) units are
//! sold, `available` ends at 0 when the paying buyers suffice, and never goes below 0. The
//! paying buyers who came too late are rejected `out_of_stock` and their authorisations voided.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{
    Store, TestApp, database_url, on_both_stores, order_body, order_statuses, settings, spawn_with,
};
use serde_json::Value;

/// How long the whole race may take to settle.
const SETTLE: Duration = Duration::from_secs(60);

async fn spawn(store: Store) -> TestApp {
    let mut s = settings(database_url(store).await);
    // Many buyers at once: read models lag on a loaded machine.
    s.http.read_wait_ms = 10_000;
    spawn_with(s).await
}

/// One race: `units` in stock, `buyers` racing for one unit each, buyer `i` paying with a
/// declined card when `declined(i)`.
struct Race {
    units: i64,
    buyers: usize,
    declined: fn(usize) -> bool,
}

/// The order's status once the saga is done with it (paid or rejected), as `who` reads it.
async fn outcome(app: &TestApp, who: &(String, String), id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let r = app.get_order(who, id).await;
        if r.status() == 200 {
            let order: Value = r.json().await.unwrap();
            if order["status"] == "paid" || order["status"] == "rejected" {
                return order;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "order {id} did not settle"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn payment_status(app: &TestApp, who: &(String, String), id: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + SETTLE;
    loop {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/payments/{id}")))
            .header(who.0.clone(), who.1.clone())
            .send()
            .await
            .unwrap();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if body["status"] == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "payment {id} is {body}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every movement of the sku's ledger: `available` never went below zero, and the deltas
/// add up to the final levels.
async fn ledger_never_below_zero(app: &TestApp, seller: &(String, String), sku: &str) -> i64 {
    let (mut on_hand, mut reserved) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_owned())];
        if let Some(c) = &cursor {
            query.push(("cursor", c.clone()));
        }
        let r = app
            .client
            .get(app.url(&format!("/api/v1/inventory/{sku}/ledger")))
            .query(&query)
            .header(seller.0.clone(), seller.1.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page: Value = r.json().await.unwrap();
        for entry in page["items"].as_array().unwrap() {
            on_hand += entry["on_hand_delta"].as_i64().unwrap();
            reserved += entry["reserved_delta"].as_i64().unwrap();
            assert_eq!(entry["on_hand"].as_i64().unwrap(), on_hand, "{entry}");
            assert_eq!(entry["reserved"].as_i64().unwrap(), reserved, "{entry}");
            assert!(entry["available"].as_i64().unwrap() >= 0, "{entry}");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(reserved, 0, "nothing stays reserved");
    on_hand
}

async fn run(store: Store, race: Race) {
    let app = spawn(store).await;
    let seller = app.user_header().await;
    let product = app.stocked_product(&seller, 1500, race.units).await;
    let mut buyers = Vec::with_capacity(race.buyers);
    for _ in 0..race.buyers {
        buyers.push(app.user_header().await);
    }
    let placing = buyers.iter().enumerate().map(|(i, buyer)| {
        let token = if (race.declined)(i) {
            "tok_declined"
        } else {
            "tok_ok"
        };
        let body = order_body(&product.id, 1, token);
        let app = &app;
        let position = product.position.clone();
        async move { app.place_order(buyer, &body, &position).await }
    });
    let ids = futures::future::join_all(placing).await;

    let paying = (0..race.buyers).filter(|i| !(race.declined)(*i)).count();
    let expected_sold = race.units.min(i64::try_from(paying).unwrap());
    let mut sold = 0;
    for (i, (buyer, id)) in buyers.iter().zip(&ids).enumerate() {
        let order = outcome(&app, buyer, id).await;
        let payment_id = order["payment_id"].as_str().unwrap();
        if (race.declined)(i) {
            // A declined card is turned away before any stock is held.
            assert_eq!(order["status"], "rejected", "{order}");
            assert_eq!(order_statuses(&order), ["pending", "rejected"], "{order}");
            assert_eq!(order["history"][1]["reason"], "payment_declined");
        } else if order["status"] == "paid" {
            sold += 1;
            payment_status(&app, buyer, payment_id, "captured").await;
        } else {
            // A paying buyer turned away only when the stock was gone: the money is let go.
            assert_eq!(
                order_statuses(&order),
                ["pending", "payment_authorized", "rejected"],
                "{order}"
            );
            assert_eq!(order["history"][2]["reason"], "out_of_stock");
            payment_status(&app, buyer, payment_id, "voided").await;
        }
    }
    assert_eq!(
        sold, expected_sold,
        "{} units, {} buyers, {paying} paying",
        race.units, race.buyers
    );
    let left = race.units - expected_sold;
    app.wait_for_stock(&seller, &product.sku, (left, 0, left), SETTLE)
        .await;
    assert_eq!(
        ledger_never_below_zero(&app, &seller, &product.sku).await,
        left
    );
}

/// The case: 5 units, 15 buyers, every third card declined: all 5 sold.
async fn five_units_fifteen_buyers_every_third_declined_sells_all_five(store: Store) {
    run(
        store,
        Race {
            units: 5,
            buyers: 15,
            declined: |i| i % 3 == 0,
        },
    )
    .await;
}

/// Three units, twelve buyers, three in four cards declined: the three paying buyers get all
/// three units.
async fn three_units_twelve_buyers_mostly_declined_sells_all_three(store: Store) {
    run(
        store,
        Race {
            units: 3,
            buyers: 12,
            declined: |i| i % 4 != 0,
        },
    )
    .await;
}

/// Eight units, ten buyers, every other card declined: fewer paying buyers than units, so
/// each of the five is served and three units stay on the shelf.
async fn eight_units_ten_buyers_half_declined_serves_every_paying_buyer(store: Store) {
    run(
        store,
        Race {
            units: 8,
            buyers: 10,
            declined: |i| i % 2 == 0,
        },
    )
    .await;
}

on_both_stores!(
    five_units_fifteen_buyers_every_third_declined_sells_all_five,
    three_units_twelve_buyers_mostly_declined_sells_all_three,
    eight_units_ten_buyers_half_declined_serves_every_paying_buyer,
);
