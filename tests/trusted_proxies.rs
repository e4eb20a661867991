//! Rate limits behind the gateway (issue 23, item 2): the per-address limits key on the
//! address a trusted proxy forwards (`--trusted-proxies`), and on the TCP peer otherwise, so a
//! client cannot pick its own address with `X-Forwarded-For`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use common::{Store, database_url};
use serde_json::json;
use uuid::Uuid;

/// A sign-up claiming to come from `forwarded`: its status.
async fn sign_up(app: &common::TestApp, forwarded: &str) -> u16 {
    let email = format!("u-{}@example.org", Uuid::now_v7().simple());
    app.client
        .post(app.url("/api/v1/users"))
        .header("x-forwarded-for", forwarded)
        .json(&json!({ "email": email, "password": "correct horse battery staple", "display_name": "U" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn identity(trusted: &[&str]) -> common::TestApp {
    let mut s = common::settings(database_url(Store::Sqlite).await);
    s.contexts = vec!["identity".to_owned()];
    s.identity.registrations_per_ip_per_hour = 1;
    s.http.trusted_proxies = trusted.iter().map(|t| t.parse().unwrap()).collect();
    common::spawn_with(s).await
}

/// From a peer that is not a trusted proxy, `X-Forwarded-For` is ignored: a second address
/// named in it does not get a second sign-up.
#[tokio::test]
async fn a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = identity(&[]).await;
    assert_eq!(sign_up(&app, "203.0.113.1").await, 201);
    assert_eq!(sign_up(&app, "203.0.113.2").await, 429);
    // A proxy trusted elsewhere is not this peer (the test client is 127.0.0.1).
    let app = identity(&["10.0.0.0/8"]).await;
    assert_eq!(sign_up(&app, "203.0.113.1").await, 201);
    assert_eq!(sign_up(&app, "203.0.113.2").await, 429);
}

/// From a trusted proxy, each forwarded client has its own limit.
#[tokio::test]
async fn a_trusted_proxy_names_the_client_the_limit_keys_on() {
    let app = identity(&["127.0.0.1"]).await;
    assert_eq!(sign_up(&app, "203.0.113.1").await, 201);
    assert_eq!(sign_up(&app, "203.0.113.2").await, 201);
    assert_eq!(sign_up(&app, "203.0.113.1").await, 429);
}
