//! The real `agora serve` process: answers /healthz within seconds with no configuration but a
//! data directory, stops cleanly on SIGTERM, and keeps its data across a restart; on the
//! embedded default and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Store, database_url};
use serde_json::{Value, json};
use uuid::Uuid;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(data_dir: &std::path::Path, database_url: Option<&str>) -> Self {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
        cmd.arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .env_remove("AGORA_DATABASE_URL")
            .env("AGORA_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(url) = database_url {
            cmd.env("AGORA_DATABASE_URL", url);
        }
        let child = cmd.spawn().unwrap();
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn wait_healthy(&mut self, client: &reqwest::Client) -> Duration {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await {
                if r.status().is_success() {
                    return started.elapsed();
                }
            }
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "agora serve exited early"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("agora serve did not answer /healthz within 30s");
    }

    fn terminate(mut self) {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                assert!(exit.success(), "graceful shutdown must exit 0, got {exit}");
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "no exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

async fn data_survives_a_restart(store: Store) {
    let data_dir = std::env::temp_dir().join(format!("agora-serve-{}", Uuid::now_v7().simple()));
    let url = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(database_url(store).await),
    };
    let client = reqwest::Client::new();
    let seller = Uuid::now_v7();

    let mut server = Server::start(&data_dir, url.as_deref());
    let ready_in = server.wait_healthy(&client).await;
    assert!(
        ready_in < Duration::from_secs(10),
        "healthy after {ready_in:?}"
    );
    let r = client
        .post(format!("{}/api/v1/products", server.base))
        .header("x-agora-user-id", seller.to_string())
        .json(
            &json!({ "title": "Lamp", "category": "home", "sku": "LAMP-1",
                       "price": { "amount_minor": 4500, "currency": "EUR" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    server.terminate();
    if store == Store::Sqlite {
        assert!(
            data_dir.join("agora.db").exists(),
            "the embedded database lives in the data dir"
        );
    }

    let mut server = Server::start(&data_dir, url.as_deref());
    server.wait_healthy(&client).await;
    let r = client
        .get(format!("{}/api/v1/products/{id}", server.base))
        .header("x-agora-user-id", seller.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["title"], "Lamp");
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_default_keeps_data_across_restart() {
    data_survives_a_restart(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_data_across_restart() {
    data_survives_a_restart(Store::Postgres).await;
}
