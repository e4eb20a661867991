//! The gateway (issue 23, item 2): a real nginx (the Debian package; `scripts/test` installs
//! it) run as a user in a scratch prefix with the configuration `agora gateway-config`
//! prints. Every path of the OpenAPI document reaches the context that serves it; with real
//! `agora serve --contexts <ctx>` processes, requests are routed by prefix, the request id is
//! passed and answered, one of two instances of a context may die, and a context with no
//! instance left (502) or one that does not answer in time (504) is answered as problem+json.
//! The committed compose gateway configuration passes `nginx -t`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::nginx::{Guard, gateway_config, nginx_binary, start_nginx};
use common::{Store, database_url};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;
use uuid::Uuid;

/// Generous bound on any one outcome (a debug build on a shared two-core machine).
const STEP: Duration = Duration::from_secs(60);
const PASSWORD: &str = "correct horse battery staple";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory, removed unless the test failed (then its logs are kept).
struct Scratch(PathBuf);

impl Scratch {
    fn new(what: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("agora-{what}-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        // nginx's workers drop root (when the test runs as root) and still use its temp dirs.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("logs kept in {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A stand-in for a context's process: answers every request `200` with its name in
/// `X-Context` and the headers it was sent in `X-Seen-*`, keeping connections open (the
/// gateway keeps them alive).
async fn echo_upstream(name: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                let mut chunk = [0_u8; 4096];
                loop {
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buffer[..end]).to_string();
                    buffer.drain(..end + 4);
                    let header = |name: &str| {
                        head.lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                            })
                            .unwrap_or_default()
                    };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Context: {name}\r\n\
                         X-Seen-Request-Id: {}\r\nX-Seen-Forwarded-For: {}\r\n\r\n{name}",
                        name.len(),
                        header("x-request-id"),
                        header("x-forwarded-for"),
                    );
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    address
}

/// A path of the document with its parameters filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "p1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every path of `agora openapi` reaches, through nginx, the context whose own document has
/// it (paths every process serves reach one of them); the request id and the client's address
/// are passed on; a path nothing serves is the gateway's `not_found` problem.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_openapi_path_reaches_the_context_that_serves_it() {
    let config = agora::config::ServeArgs::defaults().unwrap();
    let documents = agora::app::context_documents(&config).await.unwrap();
    let mut owner: BTreeMap<String, &str> = BTreeMap::new();
    for (name, document) in &documents {
        for path in document.paths.paths.keys() {
            let previous = owner.insert(path.clone(), name);
            assert!(previous.is_none(), "{path} is served by two contexts");
        }
    }
    let whole = agora::app::openapi_document(&config).await.unwrap();
    let platform: BTreeSet<&String> = whole
        .paths
        .paths
        .keys()
        .filter(|p| !owner.contains_key(*p))
        .collect();

    let scratch = Scratch::new("gateway-routes");
    let mut upstreams = Vec::new();
    for name in agora::contexts::names() {
        upstreams.push((name.to_owned(), echo_upstream(name).await));
    }
    let port = free_port();
    let file = gateway_config(&scratch.0, port, &upstreams, &[]);
    let _nginx = start_nginx(&scratch.0, &file, port).await;
    let client = reqwest::Client::new();
    let gateway = format!("http://127.0.0.1:{port}");

    for (path, context) in &owner {
        let r = client
            .get(format!("{gateway}{}", concrete(path)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["x-context"], *context, "{path}");
    }
    for path in platform {
        let r = client
            .get(format!("{gateway}{}", concrete(path)))
            .send()
            .await
            .unwrap();
        match path.as_str() {
            // The gateway's own liveness; each process is probed for its own readiness and
            // scraped for its own metrics directly, not through the gateway.
            "/healthz" => assert_eq!(r.text().await.unwrap(), "ok\n"),
            "/readyz" | "/metrics" => assert_eq!(r.status(), 404, "{path}"),
            _ => {
                assert_eq!(r.status(), 200, "{path}");
                assert!(r.headers().contains_key("x-context"), "{path}");
            }
        }
    }

    // The client's request id goes to the context and back; without one, nginx makes one.
    let r = client
        .get(format!("{gateway}/api/v1/products"))
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-seen-request-id"], "req-42");
    assert_eq!(r.headers()["x-request-id"], "req-42");
    assert_eq!(r.headers()["x-seen-forwarded-for"], "127.0.0.1");
    let r = client
        .get(format!("{gateway}/api/v1/products"))
        .send()
        .await
        .unwrap();
    let made = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(made.len(), 32, "nginx's $request_id: {made}");
    assert_eq!(r.headers()["x-seen-request-id"], made.as_str());

    let r = client
        .get(format!("{gateway}/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "not_found");
}

/// One `agora serve` process.
fn serve(scratch: &Path, name: &str, context: &str, url: &str, port: u16) -> Guard {
    let log = std::fs::File::create(scratch.join(format!("{name}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_agora"))
        .arg("serve")
        .args(["--contexts", context, "--database-url", url])
        .args(["--db-pool-size", "3", "--db-read-pool-size", "3"])
        .args(["--session-cookie-secure", "false"])
        .arg("--jwt-private-key-file")
        .arg(scratch.join("jwt-ed25519.pem"))
        .arg("--data-dir")
        .arg(scratch.join(format!("data-{name}")))
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("AGORA_DATABASE_URL")
        .env("AGORA_LOG_FORMAT", "json")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    Guard(Some(child))
}

async fn wait_healthy(guard: &mut Guard, name: &str, port: u16, scratch: &Path) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + STEP;
    loop {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if r.status().is_success() {
                return;
            }
        }
        guard.assert_running(name, scratch);
        assert!(
            Instant::now() < deadline,
            "{name} not healthy within {STEP:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Sends a request until it answers `status` (a read model may lag; an instance may be
/// dying): the last answer.
async fn until(
    what: &str,
    status: u16,
    send: impl Fn() -> reqwest::RequestBuilder,
) -> reqwest::Response {
    let deadline = Instant::now() + STEP;
    loop {
        let last = match send().send().await {
            Ok(r) if r.status() == status => return r,
            Ok(r) => format!("{} {}", r.status(), r.text().await.unwrap_or_default()),
            Err(e) => e.to_string(),
        };
        assert!(Instant::now() < deadline, "{what}: last answer {last}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Real processes behind the gateway: identity, and merchandise twice (the other contexts'
/// upstreams point at a port nothing listens on). A user signs up, logs in and creates a
/// product through the gateway; with one merchandise instance killed (SIGKILL) the product
/// routes still answer through the other; with both dead the gateway answers problem+json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contexts_behind_the_gateway_survive_an_instance_and_report_a_dead_context() {
    let nginx = nginx_binary();
    let scratch = Scratch::new("gateway");
    let dir = scratch.0.clone();
    let url = database_url(Store::Postgres).await;
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut identity = serve(&dir, "identity", "identity", &url, ports[0]);
    // The key file is written by the first process; the others read it.
    wait_healthy(&mut identity, "identity", ports[0], &dir).await;
    let mut merchandise_a = serve(&dir, "merchandise-a", "merchandise", &url, ports[1]);
    // One after the other: two processes creating the same context's tables at once collide
    // in PostgreSQL's catalog (`pg_type_typname_nsp_index`); migrations are not serialised.
    wait_healthy(&mut merchandise_a, "merchandise-a", ports[1], &dir).await;
    let mut merchandise_b = serve(&dir, "merchandise-b", "merchandise", &url, ports[2]);
    wait_healthy(&mut merchandise_b, "merchandise-b", ports[2], &dir).await;

    let nowhere = format!("127.0.0.1:{}", free_port());
    let mut upstreams = Vec::new();
    for name in agora::contexts::names() {
        match name {
            "identity" => upstreams.push((name.to_owned(), format!("127.0.0.1:{}", ports[0]))),
            "merchandise" => {
                for port in &ports[1..] {
                    upstreams.push((name.to_owned(), format!("127.0.0.1:{port}")));
                }
            }
            _ => upstreams.push((name.to_owned(), nowhere.clone())),
        }
    }
    let port = free_port();
    let file = gateway_config(&dir, port, &upstreams, &[]);
    assert!(nginx.is_file());
    let mut nginx = start_nginx(&dir, &file, port).await;
    let gateway = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();

    // Identity's routes reach identity, merchandise's reach merchandise.
    let email = format!("u-{}@example.org", Uuid::now_v7().simple());
    let r = client
        .post(format!("{gateway}/api/v1/users"))
        .header("x-request-id", "signup-1")
        .json(&json!({ "email": email, "password": PASSWORD, "display_name": "U" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["x-request-id"], "signup-1");
    let r = client
        .post(format!("{gateway}/api/v1/sessions"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {token}");
    let product = |title: &str| {
        json!({ "title": title, "category": "games", "sku": format!("SKU-{}", Uuid::now_v7().simple()),
                "price": { "amount_minor": 4200, "currency": "EUR" } })
    };
    let r = client
        .post(format!("{gateway}/api/v1/products"))
        .header("authorization", &bearer)
        .json(&product("Chess set"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // A draft: only its seller sees it.
    let show = || {
        client
            .get(format!("{gateway}/api/v1/products/{id}"))
            .header("authorization", &bearer)
    };
    until("the product through the gateway", 200, show).await;

    // One merchandise instance dies: every request still answers, through the other.
    merchandise_a.kill9();
    for _ in 0..10 {
        let r = show().send().await.unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let r = client
        .post(format!("{gateway}/api/v1/products"))
        .header("authorization", &bearer)
        .json(&product("Go board"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());

    // Both dead: the gateway answers for the context, as problem+json with a code.
    merchandise_b.kill9();
    let r = until("the gateway's answer for a dead context", 502, show).await;
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "gateway_bad_gateway");
    // The same problem types as the contexts' own answers (it said `about:blank`).
    assert_eq!(
        body["type"],
        "https://agora.example/problems/gateway_bad_gateway"
    );
    assert_eq!(body["status"], 502);
    // Identity still answers.
    let r = client
        .get(format!("{gateway}/api/v1/me"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    nginx.assert_running("nginx", &dir);
}

/// The compose gateway's configuration (`deploy/nginx.conf`, the official image's paths) is one
/// nginx accepts: `nginx -t` on it, its upstream host names (compose services) made loopback
/// addresses, as nothing resolves them here.
#[test]
fn the_committed_compose_gateway_configuration_passes_nginx_t() {
    let scratch = Scratch::new("gateway-t");
    let committed =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf"))
            .unwrap();
    let mut replaced = 0;
    let local: String = committed
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            match trimmed
                .strip_prefix("server ")
                .and_then(|r| r.split_once(':'))
            {
                Some((host, rest)) if !host.contains(' ') => {
                    replaced += 1;
                    format!("        server 127.0.0.1:{rest}\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect();
    assert!(
        replaced >= agora::contexts::names().len(),
        "{replaced} upstream servers"
    );
    let file = scratch.0.join("nginx.conf");
    std::fs::write(&file, local).unwrap();
    let out = Command::new(nginx_binary())
        .arg("-t")
        .arg("-p")
        .arg(&scratch.0)
        .arg("-c")
        .arg(&file)
        .arg("-e")
        .arg(scratch.0.join("error.log"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A stand-in for a context's process that accepts connections and never answers.
async fn silent_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}

/// A context that accepts the request and never answers is the gateway's 504
/// `gateway_timeout` once `--read-timeout` passes, as problem+json.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_context_that_does_not_answer_in_time_is_a_gateway_timeout() {
    let scratch = Scratch::new("gateway-timeout");
    let mut upstreams = Vec::new();
    for name in agora::contexts::names() {
        let address = if name == "ordering" {
            silent_upstream().await
        } else {
            echo_upstream(name).await
        };
        upstreams.push((name.to_owned(), address));
    }
    let port = free_port();
    let file = gateway_config(&scratch.0, port, &upstreams, &["--read-timeout", "1"]);
    let _nginx = start_nginx(&scratch.0, &file, port).await;
    let r = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/api/v1/orders"))
        .timeout(STEP)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 504);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("x-request-id"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "gateway_timeout");
    assert_eq!(body["status"], 504);
}
