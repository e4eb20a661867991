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
        Self::start_logging(data_dir, database_url, None)
    }

    /// With `log`, everything the process writes (stdout and stderr) goes to that file.
    fn start_logging(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        log: Option<&std::path::Path>,
    ) -> Self {
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
        if let Some(log) = log {
            let file = std::fs::File::create(log).unwrap();
            cmd.env("RUST_LOG", "debug")
                .stdout(file.try_clone().unwrap())
                .stderr(file);
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

/// Registers a fresh account and returns an access token for it.
async fn sign_up_and_log_in(client: &reqwest::Client, base: &str) -> String {
    let email = format!("seller-{}@example.org", Uuid::now_v7().simple());
    sign_up_and_log_in_as(client, base, &email, "correct horse battery staple").await
}

async fn log_in(client: &reqwest::Client, base: &str, email: &str, password: &str) -> Value {
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn sign_up_and_log_in_as(
    client: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> String {
    let r = client
        .post(format!("{base}/api/v1/users"))
        .json(&json!({ "email": email, "password": password, "display_name": "Seller" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/api/v1/sessions"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn data_survives_a_restart(store: Store) {
    let data_dir = std::env::temp_dir().join(format!("agora-serve-{}", Uuid::now_v7().simple()));
    let url = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(database_url(store).await),
    };
    let client = reqwest::Client::new();

    let mut server = Server::start(&data_dir, url.as_deref());
    let ready_in = server.wait_healthy(&client).await;
    assert!(
        ready_in < Duration::from_secs(10),
        "healthy after {ready_in:?}"
    );
    let token = sign_up_and_log_in(&client, &server.base).await;
    let r = client
        .post(format!("{}/api/v1/products", server.base))
        .bearer_auth(&token)
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
    // The signing key lives in the data dir: a token from before the restart still works.
    let r = client
        .get(format!("{}/api/v1/products/{id}", server.base))
        .bearer_auth(&token)
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

/// A register/login/create-product flow with debug logging: the log names neither the password
/// nor any token. Then `agora users grant` makes the user an admin, which the next login shows.
async fn logs_hold_no_secrets_and_the_cli_grants_roles(store: Store) {
    let data_dir = std::env::temp_dir().join(format!("agora-serve-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data_dir).unwrap();
    let log = data_dir.join("agora.log");
    let url = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(database_url(store).await),
    };
    let client = reqwest::Client::new();
    let mut server = Server::start_logging(&data_dir, url.as_deref(), Some(&log));
    server.wait_healthy(&client).await;

    let email = format!("admin-{}@example.org", Uuid::now_v7().simple());
    let password = "very secret passphrase 42";
    let token = sign_up_and_log_in_as(&client, &server.base, &email, password).await;
    let session = log_in(&client, &server.base, &email, password).await;
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    let r = client
        .post(format!("{}/api/v1/products", server.base))
        .bearer_auth(&token)
        .json(
            &json!({ "title": "Lamp", "category": "home", "sku": "LAMP-1",
                       "price": { "amount_minor": 4500, "currency": "EUR" } }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let wrong = client
        .post(format!("{}/api/v1/sessions", server.base))
        .json(&json!({ "email": email, "password": "another secret guess" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let mut grant = Command::new(env!("CARGO_BIN_EXE_agora"));
    grant
        .args([
            "users",
            "grant",
            "--email",
            &email,
            "--role",
            "admin",
            "--data-dir",
        ])
        .arg(&data_dir)
        .env_remove("AGORA_DATABASE_URL");
    if let Some(url) = &url {
        grant.env("AGORA_DATABASE_URL", url);
    }
    let out = grant.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let session = log_in(&client, &server.base, &email, password).await;
    let me: Value = client
        .get(format!("{}/api/v1/me", server.base))
        .bearer_auth(session["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["roles"], json!(["admin"]));
    server.terminate();

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("logged in"), "the log was captured: {text}");
    for secret in [
        password,
        "another secret guess",
        token.as_str(),
        refresh.as_str(),
        session["access_token"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "the log holds a secret");
    }
    // No part of a token either (its signature is the part that matters).
    let signature = token.rsplit('.').next().unwrap();
    assert!(!text.contains(signature));
    assert!(
        !text.contains("$argon2id$"),
        "the log holds a password hash"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_default_logs_hold_no_secrets_and_the_cli_grants_roles() {
    logs_hold_no_secrets_and_the_cli_grants_roles(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_logs_hold_no_secrets_and_the_cli_grants_roles() {
    logs_hold_no_secrets_and_the_cli_grants_roles(Store::Postgres).await;
}
