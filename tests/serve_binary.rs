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
        Self::start_with(data_dir, database_url, log, &[])
    }

    /// [`Server::start_logging`] with more `serve` flags.
    fn start_with(
        data_dir: &std::path::Path,
        database_url: Option<&str>,
        log: Option<&std::path::Path>,
        flags: &[&str],
    ) -> Self {
        let port = free_port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_agora"));
        cmd.arg("serve").args(flags);
        // A bound, not a sleep: generous unless the test is about it, so a loaded machine
        // still reads its writes (issue 20).
        if !flags.contains(&"--read-wait-ms") {
            cmd.args(["--read-wait-ms", "30000"]);
        }
        cmd.arg("--listen")
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

    fn terminate(self) {
        self.terminate_within(Duration::from_secs(15));
    }

    /// Sends SIGTERM and waits for a clean exit, at most `limit`; returns how long it took.
    fn terminate_within(mut self, limit: Duration) -> Duration {
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
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "no exit within {limit:?} after SIGTERM"
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

fn temp_data_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("agora-serve-{}", Uuid::now_v7().simple()))
}

/// A community with one post, as `token`'s user; returns the post's id.
async fn a_post(client: &reqwest::Client, base: &str, token: &str) -> String {
    let name = format!("c{}", &Uuid::now_v7().simple().to_string()[20..]);
    let r = client
        .post(format!("{base}/api/v1/communities"))
        .bearer_auth(token)
        .json(&json!({ "name": name, "title": "Live" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = client
        .post(format!("{base}/api/v1/communities/{name}/posts"))
        .bearer_auth(token)
        .json(&json!({ "title": "Watch this", "body": "Comments arrive live." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let position = r.headers()["agora-position"].to_str().unwrap().to_owned();
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Readable (the live route looks the post up in the read model).
    let r = client
        .get(format!("{base}/api/v1/posts/{id}"))
        .header("agora-min-position", position)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    id
}

/// Issue 10: with one `GET /posts/{id}/comments/live` client open, SIGTERM did not stop the
/// server (still up after 20 s). Shutdown now ends live streams at once, so the process exits
/// well within the drain time (10 s by default), and the client sees its stream end.
async fn sigterm_ends_live_streams_and_exits(store: Store) {
    let url = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(database_url(store).await),
    };
    let client = reqwest::Client::new();
    let mut server = Server::start(&temp_data_dir(), url.as_deref());
    server.wait_healthy(&client).await;
    let token = sign_up_and_log_in(&client, &server.base).await;
    let post = a_post(&client, &server.base, &token).await;

    let mut live = client
        .get(format!("{}/api/v1/posts/{post}/comments/live", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let stream_ended = tokio::spawn(async move {
        // Keep-alives may come; the stream ends with `None` (or a cut connection).
        while let Ok(Some(_)) = live.chunk().await {}
    });

    let took = tokio::task::spawn_blocking(move || server.terminate_within(Duration::from_secs(5)))
        .await
        .unwrap();
    assert!(took < Duration::from_secs(5), "exit took {took:?}");
    tokio::time::timeout(Duration::from_secs(2), stream_ended)
        .await
        .expect("the live stream ended")
        .unwrap();
}

/// The drain is bounded: a request still running when the drain time (here 1 s) is over does
/// not hold the process (here a read waiting up to a minute for a position not yet written).
async fn shutdown_waits_at_most_the_drain_time(store: Store) {
    let url = match store {
        Store::Sqlite => None,
        Store::Postgres => Some(database_url(store).await),
    };
    let client = reqwest::Client::new();
    let mut server = Server::start_with(
        &temp_data_dir(),
        url.as_deref(),
        None,
        &["--shutdown-drain-ms", "1000", "--read-wait-ms", "60000"],
    );
    server.wait_healthy(&client).await;
    let token = sign_up_and_log_in(&client, &server.base).await;
    let post = a_post(&client, &server.base, &token).await;
    let waiting = client
        .get(format!("{}/api/v1/posts/{post}", server.base))
        .header("agora-min-position", "9000000000000")
        .send();
    let waiting = tokio::spawn(waiting);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the read waits for its position");

    let took = tokio::task::spawn_blocking(move || server.terminate_within(Duration::from_secs(5)))
        .await
        .unwrap();
    assert!(
        took >= Duration::from_millis(900),
        "it drained first: {took:?}"
    );
    assert!(took < Duration::from_secs(4), "exit took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_default_sigterm_ends_live_streams_and_exits() {
    sigterm_ends_live_streams_and_exits(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_sigterm_ends_live_streams_and_exits() {
    sigterm_ends_live_streams_and_exits(Store::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedded_default_shutdown_waits_at_most_the_drain_time() {
    shutdown_waits_at_most_the_drain_time(Store::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_shutdown_waits_at_most_the_drain_time() {
    shutdown_waits_at_most_the_drain_time(Store::Postgres).await;
}

/// A command line error is said once, with what to do about it: `users grant` where there is
/// no database names the file it looked for and the settings that point elsewhere (issue 20).
#[test]
fn a_cli_error_is_said_once_with_a_hint() {
    let empty = temp_data_dir();
    for format in ["pretty", "json"] {
        let out = Command::new(env!("CARGO_BIN_EXE_agora"))
            .args([
                "users",
                "grant",
                "--email",
                "a@example.org",
                "--role",
                "admin",
            ])
            .args(["--log-format", format, "--data-dir"])
            .arg(&empty)
            .env_remove("AGORA_DATABASE_URL")
            .env_remove("AGORA_DATA_DIR")
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.matches("no database at").count(),
            1,
            "{format}: {stderr}"
        );
        assert!(stderr.contains("--data-dir"), "{stderr}");
        assert!(stderr.contains("AGORA_DATABASE_URL"), "{stderr}");
        assert_eq!(
            stderr.lines().filter(|l| !l.trim().is_empty()).count(),
            1,
            "{stderr}"
        );
    }
}
