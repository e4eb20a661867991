//! Recommendations on fixtures with a known answer, each scenario on SQLite and on PostgreSQL:
//! "listeners of this show also subscribe to" moves with every subscription and
//! unsubscription, "buyers of this also bought" follows paid orders, and the caller's
//! recommendations leave out what the caller has.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{SETTLE, Store, TestApp, on_both_stores, order_body, spawn_app};
use serde_json::{Value, json};

type Auth = (String, String);

async fn create_show(app: &TestApp, owner: &Auth, title: &str) -> String {
    let body = json!({
        "title": title, "description": "A show.", "author": "Ada", "language": "en",
        "category": "Technology", "image_url": "https://cdn.example.org/a.jpg",
    });
    let r = app
        .client
        .post(app.url("/api/v1/shows"))
        .header(&owner.0, &owner.1)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn subscribe(app: &TestApp, who: &Auth, show: &str, on: bool) {
    let method = if on {
        reqwest::Method::POST
    } else {
        reqwest::Method::DELETE
    };
    let r = app
        .client
        .request(
            method,
            app.url(&format!("/api/v1/shows/{show}/subscriptions")),
        )
        .header(&who.0, &who.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Polls `path` until its items, as (id, score), are `expected` (a 404 while the read model
/// has not seen the show yet counts as not there yet).
async fn wait_for(app: &TestApp, who: &Auth, path: &str, expected: &[(&str, i64)]) -> Value {
    let deadline = tokio::time::Instant::now() + SETTLE;
    let want: Vec<(String, i64)> = expected
        .iter()
        .map(|(id, s)| ((*id).to_owned(), *s))
        .collect();
    loop {
        let r = app
            .client
            .get(app.url(path))
            .header(&who.0, &who.1)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        let got: Vec<(String, i64)> = body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|i| {
                        (
                            i["id"].as_str().unwrap().to_owned(),
                            i["score"].as_i64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if status == 200 && got == want {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{path}: {status} {got:?}, expected {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Ids sorted as the lists break ties (score descending, then id descending).
fn by_id_desc(mut ids: Vec<&str>) -> Vec<&str> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

async fn listeners_of_a_show_also_subscribe_to(store: Store) {
    let app = spawn_app(store).await;
    let owner = app.user_header().await;
    let a = create_show(&app, &owner, "A").await;
    let b = create_show(&app, &owner, "B").await;
    let c = create_show(&app, &owner, "C").await;
    let d = create_show(&app, &owner, "D").await;
    let l: Vec<Auth> = futures::future::join_all((0..4).map(|_| app.user_header())).await;
    // l0: A B; l1: A B C; l2: A C; l3: D.
    for (who, shows) in [
        (&l[0], vec![&a, &b]),
        (&l[1], vec![&a, &b, &c]),
        (&l[2], vec![&a, &c]),
        (&l[3], vec![&d]),
    ] {
        for show in shows {
            subscribe(&app, who, show, true).await;
        }
    }
    subscribe(&app, &l[1], &b, true).await; // a repeat changes nothing
    let tied = by_id_desc(vec![&b, &c]);
    let similar_a = wait_for(
        &app,
        &owner,
        &format!("/api/v1/shows/{a}/similar"),
        &[(tied[0], 2), (tied[1], 2)],
    )
    .await;
    let title = if similar_a["items"][0]["id"] == b.as_str() {
        "B"
    } else {
        "C"
    };
    assert_eq!(similar_a["items"][0]["title"], title);
    wait_for(
        &app,
        &owner,
        &format!("/api/v1/shows/{b}/similar"),
        &[(&a, 2), (&c, 1)],
    )
    .await;
    wait_for(&app, &owner, &format!("/api/v1/shows/{d}/similar"), &[]).await;
    // Paged: one at a time, the second page continues after the first.
    let first = app
        .get_as(&owner, &format!("/api/v1/shows/{a}/similar?limit=1"))
        .await;
    let next = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_as(
            &owner,
            &format!("/api/v1/shows/{a}/similar?limit=1&cursor={next}"),
        )
        .await;
    assert_eq!(second["items"][0]["id"], tied[1]);
    assert!(second["next_cursor"].is_null());
    // l2 has A and C: B comes from both (2 via A, 1 via C); what l2 has is left out.
    wait_for(&app, &l[2], "/api/v1/me/recommendations", &[(&b, 3)]).await;
    // An unsubscription moves the counts back.
    subscribe(&app, &l[1], &c, false).await;
    wait_for(
        &app,
        &owner,
        &format!("/api/v1/shows/{a}/similar"),
        &[(&b, 2), (&c, 1)],
    )
    .await;
    // A deleted show is gone from the lists.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/shows/{c}")))
        .header(&owner.0, &owner.1)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for(
        &app,
        &owner,
        &format!("/api/v1/shows/{a}/similar"),
        &[(&b, 2)],
    )
    .await;
    let r = app
        .client
        .get(app.url(&format!("/api/v1/shows/{}/similar", uuid::Uuid::now_v7())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn buyers_of_a_product_also_bought(store: Store) {
    let app = spawn_app(store).await;
    let seller = app.user_header().await;
    let p1 = app.stocked_product(&seller, 1000, 10).await;
    let p2 = app.stocked_product(&seller, 1000, 10).await;
    let p3 = app.stocked_product(&seller, 1000, 10).await;
    let x = app.user_header().await;
    let y = app.user_header().await;
    // x buys p1 and p2 together; y buys p1, then p3.
    let mut both = order_body(&p1.id, 1, "tok_ok");
    both["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "product_id": p2.id, "quantity": 1 }));
    let orders = [
        (&x, both),
        (&y, order_body(&p1.id, 1, "tok_ok")),
        (&y, order_body(&p3.id, 1, "tok_ok")),
    ];
    for (who, body) in orders {
        let order = app.place_order(who, &body, &p3.position).await;
        app.wait_for_order_status(who, &order, "paid", SETTLE).await;
    }
    let tied = by_id_desc(vec![&p2.id, &p3.id]);
    let also = wait_for(
        &app,
        &x,
        &format!("/api/v1/products/{}/also-bought", p1.id),
        &[(tied[0], 1), (tied[1], 1)],
    )
    .await;
    assert_eq!(also["items"][0]["title"], "Walnut chess set");
    wait_for(
        &app,
        &x,
        &format!("/api/v1/products/{}/also-bought", p2.id),
        &[(&p1.id, 1)],
    )
    .await;
    // y has p1 and p3: p2 is what p1's other buyer also bought.
    wait_for(&app, &y, "/api/v1/me/recommendations", &[(&p2.id, 1)]).await;
    let mine = app.get_as(&y, "/api/v1/me/recommendations").await;
    assert_eq!(mine["items"][0]["kind"], "product");
}

on_both_stores!(
    listeners_of_a_show_also_subscribe_to,
    buyers_of_a_product_also_bought
);
