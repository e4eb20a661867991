//! Black-box helpers: a platform on port 0 with a fresh database, on either store.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
