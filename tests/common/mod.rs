//! Black-box helpers: a platform on port 0 with a fresh database, on either store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod ledger;

use std::net::SocketAddr;
use std::time::Duration;

use agora::app::{Running, Settings, start};
use infrastructure::database::PoolSizes;
use infrastructure::testing::{fresh_postgres_url, fresh_sqlite_url};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub settings: Settings,
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

pub fn settings(url: String) -> Settings {
    Settings {
        database_url: url,
        pool_sizes: PoolSizes { store: 8, read: 4 },
        contexts: Vec::new(),
        max_body_bytes: 64 * 1024,
        command_timeout: Duration::from_secs(10),
        read_wait: Duration::from_millis(1500),
        identity: identity::application::IdentityConfig {
            // A key file per test, so a test can sign tokens (expired ones) with the server's key.
            key_file: Some(
                std::env::temp_dir()
                    .join(format!("agora-test-keys-{}", uuid::Uuid::now_v7().simple()))
                    .join("jwt-ed25519.pem"),
            ),
            cookie_secure: false,
            ..identity::application::IdentityConfig::default()
        },
        amqp_url: None,
        kafka_brokers: None,
        kafka_partitions: 1,
        event_feed: agora::cli::EventFeedKind::Store,
        // A prefix of its own per test server: tests share one broker.
        kafka_topic_prefix: format!("t{}", uuid::Uuid::now_v7().simple()),
    }
}

pub async fn spawn_app(store: Store) -> TestApp {
    spawn_with(settings(database_url(store).await)).await
}

pub async fn spawn_with(settings: Settings) -> TestApp {
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
