//! Black-box helpers: a platform on port 0 with a fresh database, on either store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod ledger;
pub mod nginx;
pub mod platform;

use std::net::SocketAddr;
use std::time::Duration;

use agora::app::{Running, start};
use agora::config::ServeArgs;
use infrastructure::testing::{fresh_postgres_url, fresh_sqlite_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub settings: ServeArgs,
    pub base: String,
    pub client: reqwest::Client,
    pub running: Running,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.running.shutdown.cancel();
    }
}

pub async fn database_url(store: Store) -> String {
    match store {
        Store::Sqlite => fresh_sqlite_url(),
        Store::Postgres => fresh_postgres_url().await,
    }
}

pub fn settings(url: String) -> ServeArgs {
    let mut s = ServeArgs::defaults().unwrap();
    s.storage.database_url = Some(url);
    s.storage.db_pool_size = 8;
    // Many test servers share one PostgreSQL.
    s.storage.read_pool_size = 4;
    s.http.max_body_bytes = 64 * 1024;
    // A bound, not a sleep: a read returns as soon as its read model has the position, and an
    // unknown id is answered at once. Generous, so a loaded machine still passes (issue 20);
    // a test of the bound itself sets a short one.
    s.http.read_wait_ms = 30_000;
    // A key file per test, so a test can sign tokens (expired ones) with the server's key.
    s.identity.jwt_private_key_file = Some(
        std::env::temp_dir()
            .join(format!("agora-test-keys-{}", uuid::Uuid::now_v7().simple()))
            .join("jwt-ed25519.pem"),
    );
    s.identity.session_cookie_secure = false;
    s.podcasts.podcasts_listener_secret_file = Some(
        std::env::temp_dir()
            .join(format!("agora-test-keys-{}", uuid::Uuid::now_v7().simple()))
            .join("podcasts-listener-secret"),
    );
    s.messaging.kafka_partitions = 1;
    // A prefix of its own per test server: tests share one broker.
    s.messaging.kafka_topic_prefix = format!("t{}", uuid::Uuid::now_v7().simple());
    s
}

pub async fn spawn_app(store: Store) -> TestApp {
    spawn_with(settings(database_url(store).await)).await
}

pub async fn spawn_with(settings: ServeArgs) -> TestApp {
    let running = start(&settings, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    TestApp {
        settings,
        base: format!("http://{}", running.addr),
        client: reqwest::Client::new(),
        running,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

impl TestUser {
    /// The `Authorization` header of this user, as (name, value).
    pub fn header(&self) -> (String, String) {
        (
            "authorization".to_owned(),
            format!("Bearer {}", self.access_token),
        )
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// `POST /api/v1/users`.
    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/users"))
            .json(&serde_json::json!({ "email": email, "password": password, "display_name": "Test user" }))
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/v1/sessions`.
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/sessions"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// Registers a new user with a fresh address and logs them in.
    pub async fn new_user(&self) -> TestUser {
        let email = format!("user-{}@example.org", uuid::Uuid::now_v7().simple());
        let r = self.register(&email, PASSWORD).await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = self.login(&email, PASSWORD).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let session: serde_json::Value = r.json().await.unwrap();
        TestUser {
            id,
            email,
            password: PASSWORD.to_owned(),
            access_token: session["access_token"].as_str().unwrap().to_owned(),
            refresh_token: session["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// A header that authenticates a new user, as (name, value).
    pub async fn user_header(&self) -> (String, String) {
        self.new_user().await.header()
    }
}

/// A header that authenticates a new user on `app`, as (name, value).
pub async fn login_header(app: &TestApp) -> (String, String) {
    app.user_header().await
}

/// Runs each scenario `async fn name(store: Store)` of a test file as two tests,
/// `sqlite::name` and `postgres::name`: every scenario on both store configurations.
#[allow(unused_macros)]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Store::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::$name(super::Store::Postgres).await } )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_both_stores;

impl TestApp {
    /// Creates a product as the user of `auth` (a header), expecting 201; returns its id and the
    /// `Agora-Position` of the write.
    pub async fn create_product(
        &self,
        auth: &(String, String),
        body: &serde_json::Value,
    ) -> (String, String) {
        let r = self
            .client
            .post(self.url("/api/v1/products"))
            .header(auth.0.clone(), auth.1.clone())
            .json(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let position = r.headers()["agora-position"].to_str().unwrap().to_owned();
        let id = r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (id, position)
    }

    /// Reads a product as `auth`, waiting for the write at `position`.
    pub async fn read_product(
        &self,
        auth: &(String, String),
        id: &str,
        position: &str,
    ) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/api/v1/products/{id}")))
            .header(auth.0.clone(), auth.1.clone())
            .header("agora-min-position", position)
            .send()
            .await
            .unwrap()
    }
}

/// A product on sale: listed, published and stocked by its seller.
#[derive(Debug, Clone)]
pub struct StockedProduct {
    pub id: String,
    pub sku: String,
    /// The `Agora-Position` of the last write (the stock receipt).
    pub position: String,
}

/// A shipping address that passes validation.
pub fn shipping_address() -> serde_json::Value {
    serde_json::json!({
        "name": "Ada Lovelace",
        "line1": "12 St James's Square",
        "city": "London",
        "postal_code": "SW1Y 4JH",
        "country": "GB",
    })
}

/// The body of `POST /orders` for `quantity` of one product, paid by card with `token`.
/// The statuses of an order's `history`, oldest first.
pub fn order_statuses(order: &serde_json::Value) -> Vec<String> {
    order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap().to_owned())
        .collect()
}

pub fn order_body(product_id: &str, quantity: i64, token: &str) -> serde_json::Value {
    serde_json::json!({
        "lines": [{ "product_id": product_id, "quantity": quantity }],
        "shipping_address": shipping_address(),
        "payment": { "method": "card", "token": token },
    })
}

impl TestApp {
    /// Lists a product at `price_minor` EUR as `seller`, publishes it and receives `stock`
    /// units of its sku (no receipt when `stock` is 0).
    pub async fn stocked_product(
        &self,
        seller: &(String, String),
        price_minor: i64,
        stock: i64,
    ) -> StockedProduct {
        let sku = format!("SKU-{}", uuid::Uuid::now_v7().simple());
        let (id, _) = self
            .create_product(
                seller,
                &serde_json::json!({
                    "title": "Walnut chess set",
                    "description": "Hand-made.",
                    "category": "games",
                    "price": { "amount_minor": price_minor, "currency": "EUR" },
                    "sku": sku,
                }),
            )
            .await;
        let r = self
            .client
            .post(self.url(&format!("/api/v1/products/{id}/publish")))
            .header(seller.0.clone(), seller.1.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let mut position = r.headers()["agora-position"].to_str().unwrap().to_owned();
        // A 503 means inventory has not seen the product yet: retry, as its Retry-After says.
        for attempt in 1.. {
            if stock == 0 {
                break;
            }
            let r = self
                .client
                .post(self.url(&format!("/api/v1/inventory/{sku}/receipts")))
                .header(seller.0.clone(), seller.1.clone())
                .header("agora-min-position", position.clone())
                .json(&serde_json::json!({ "quantity": stock }))
                .send()
                .await
                .unwrap();
            if r.status() == 503 && attempt < 5 {
                continue;
            }
            assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
            position = r.headers()["agora-position"].to_str().unwrap().to_owned();
            break;
        }
        StockedProduct { id, sku, position }
    }

    /// `POST /orders` as `buyer`, after the write at `position`.
    pub async fn post_order(
        &self,
        buyer: &(String, String),
        body: &serde_json::Value,
        position: &str,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/orders"))
            .header(buyer.0.clone(), buyer.1.clone())
            .header("agora-min-position", position)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Places an order expecting 202; returns its id.
    pub async fn place_order(
        &self,
        buyer: &(String, String),
        body: &serde_json::Value,
        position: &str,
    ) -> String {
        let r = self.post_order(buyer, body, position).await;
        assert_eq!(r.status(), 202, "{}", r.text().await.unwrap());
        r.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// `GET /orders/{id}` as `who`.
    pub async fn get_order(&self, who: &(String, String), id: &str) -> reqwest::Response {
        self.client
            .get(self.url(&format!("/api/v1/orders/{id}")))
            .header(who.0.clone(), who.1.clone())
            .send()
            .await
            .unwrap()
    }

    /// Polls the order until it has `status` (panics after `within`); returns it.
    pub async fn wait_for_order_status(
        &self,
        who: &(String, String),
        id: &str,
        status: &str,
        within: Duration,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let r = self.get_order(who, id).await;
            let last = if r.status() == 200 {
                let order: serde_json::Value = r.json().await.unwrap();
                if order["status"] == status {
                    return order;
                }
                order.to_string()
            } else {
                format!("HTTP {}", r.status())
            };
            assert!(
                tokio::time::Instant::now() < deadline,
                "order {id} did not become {status}; last seen: {last}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// `GET /inventory/{sku}` as its seller: `(on_hand, reserved, available)`.
    pub async fn stock_levels(&self, seller: &(String, String), sku: &str) -> (i64, i64, i64) {
        let r = self
            .client
            .get(self.url(&format!("/api/v1/inventory/{sku}")))
            .header(seller.0.clone(), seller.1.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let l: serde_json::Value = r.json().await.unwrap();
        (
            l["on_hand"].as_i64().unwrap(),
            l["reserved"].as_i64().unwrap(),
            l["available"].as_i64().unwrap(),
        )
    }

    /// Polls the sku's levels until they are `expected` (panics after `within`).
    pub async fn wait_for_stock(
        &self,
        seller: &(String, String),
        sku: &str,
        expected: (i64, i64, i64),
        within: Duration,
    ) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let levels = self.stock_levels(seller, sku).await;
            if levels == expected {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "stock of {sku} is {levels:?} (on hand, reserved, available), expected {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long a test waits for the sagas and read models to get somewhere.
pub const SETTLE: Duration = Duration::from_secs(60);

impl TestApp {
    /// `GET path` as `who`: the body of its 200 (panics on any other status).
    pub async fn get_as(&self, who: &(String, String), path: &str) -> serde_json::Value {
        let r = self
            .client
            .get(self.url(path))
            .header(who.0.clone(), who.1.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    /// Polls `GET path` as `who` until `done` holds of the body; returns that body (panics
    /// after [`SETTLE`]).
    pub async fn wait_until(
        &self,
        who: &(String, String),
        path: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + SETTLE;
        loop {
            let body = self.get_as(who, path).await;
            if done(&body) {
                return body;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{path} never got there: {body}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl TestApp {
    /// The `Authorization` header of a new user holding `roles` (`admin`, `analyst`...), in an
    /// access token signed with the server's own key (as `agora users grant` + a new login
    /// would give).
    pub async fn user_with_roles(&self, roles: &[&str]) -> (String, String) {
        let user = self.new_user().await;
        let key = identity::application::SigningKey::load_or_generate(
            self.settings
                .identity
                .jwt_private_key_file
                .as_ref()
                .unwrap(),
        )
        .unwrap();
        let now = chrono::Utc::now().timestamp();
        let token = key
            .sign(&http_kernel::AccessClaims {
                sub: user.id,
                iss: "agora".into(),
                aud: "agora-api".into(),
                iat: now,
                exp: now + 600,
                jti: uuid::Uuid::now_v7().to_string(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                generation: 0,
            })
            .unwrap();
        ("authorization".into(), format!("Bearer {token}"))
    }
}
