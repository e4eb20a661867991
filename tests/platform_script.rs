//! `scripts/platform` (issue 23 item 3): one command starts the gateway and a process per
//! context, wired to PostgreSQL, RabbitMQ and Kafka; a request through the gateway reaches its
//! context; SIGTERM stops every process it started.
//!
//! The script runs this build's binary (`AGORA_BIN`) on a database, Kafka topic prefix and
//! RabbitMQ prefix of its own, on free ports.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Store, database_url};
use serde_json::json;
use tokio::time::Instant;
use uuid::Uuid;

/// Nine debug processes starting one after another on a shared two-core machine, after a
/// migration: a generous bound on the whole start.
const START: Duration = Duration::from_secs(240);
/// Generous bound on any one other outcome.
const STEP: Duration = Duration::from_secs(60);

/// The first of `n` consecutive free loopback ports.
fn free_ports(n: u16) -> u16 {
    loop {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if base.checked_add(n).is_none() {
            continue;
        }
        if (base..base + n).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
}

/// The script, stopped with SIGTERM (so that it stops its children) when the test ends.
struct Script {
    child: Option<Child>,
    dir: PathBuf,
}

impl Script {
    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = std::time::Instant::now() + STEP;
        while std::time::Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    fn output(&self) -> String {
        std::fs::read_to_string(self.dir.join("platform.out")).unwrap_or_default()
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        self.terminate();
        if std::thread::panicking() {
            eprintln!("logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z')),
        Err(_) => false,
    }
}

/// The pids of the table the script prints (process, address, pid, log).
fn pids(output: &str) -> Vec<(String, u32)> {
    output
        .lines()
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 || !cols[1].starts_with("127.0.0.1:") {
                return None;
            }
            let pid = cols[2].parse().ok()?;
            Some(((*cols.first()?).to_owned(), pid))
        })
        .collect()
}

async fn wait_for(what: &str, script: &mut Script, within: Duration, ok: impl Fn() -> bool) {
    let deadline = Instant::now() + within;
    loop {
        if ok() {
            return;
        }
        let exited = script.child.as_mut().unwrap().try_wait().unwrap();
        assert!(
            exited.is_none(),
            "scripts/platform exited ({exited:?}) before {what}:\n{}",
            script.output()
        );
        assert!(
            Instant::now() < deadline,
            "{what} not within {within:?}:\n{}",
            script.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_platform_starts_everything_behind_the_gateway_and_stops_it_on_sigterm() {
    let prefix = format!("ps{}", Uuid::now_v7().simple());
    let dir = std::env::temp_dir().join(format!("agora-{prefix}"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = database_url(Store::Postgres).await;
    let gateway = free_ports(1);
    let first = free_ports(9);
    let amqp = std::env::var("AGORA_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let kafka =
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let out = std::fs::File::create(dir.join("platform.out")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let child = Command::new(root.join("scripts/platform"))
        .args(["--port", &gateway.to_string()])
        .args(["--first-port", &first.to_string()])
        .arg("--dir")
        .arg(dir.join("run"))
        .env("AGORA_BIN", env!("CARGO_BIN_EXE_agora"))
        .env("AGORA_DATABASE_URL", &url)
        .env("AGORA_AMQP_URL", &amqp)
        .env("AGORA_KAFKA_BROKERS", &kafka)
        .env("AGORA_AMQP_PREFIX", &prefix)
        .env("AGORA_KAFKA_TOPIC_PREFIX", &prefix)
        .env("AGORA_KAFKA_PARTITIONS", "1")
        .env("AGORA_SESSION_COOKIE_SECURE", "false")
        .env("AGORA_DB_POOL_SIZE", "2")
        .env("AGORA_DB_READ_POOL_SIZE", "2")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let mut script = Script {
        child: Some(child),
        dir: dir.clone(),
    };
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{gateway}");

    let started = Instant::now();
    wait_for("the ready line", &mut script, START, || script_ready(&dir)).await;
    eprintln!("scripts/platform ready after {:?}", started.elapsed());
    let r = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the gateway's /healthz");
    let output = script.output();
    let table = pids(&output);
    let names: Vec<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 10, "the gateway and nine contexts:\n{output}");
    assert!(
        names.contains(&"gateway") && names.contains(&"ordering"),
        "{output}"
    );
    for (name, pid) in &table {
        assert!(running(*pid), "{name} ({pid}) runs");
    }

    // Through the gateway to identity (a write) and to merchandise (a read).
    let email = format!("u-{}@example.org", Uuid::now_v7().simple());
    let r = client
        .post(format!("{base}/api/v1/users"))
        .json(
            &json!({ "email": email, "password": "correct horse battery staple",
                       "display_name": "U" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let r = client
        .get(format!("{base}/api/v1/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let stopping = Instant::now();
    let status = script
        .terminate()
        .expect("scripts/platform stops on SIGTERM");
    assert!(!status.success(), "stopped by a signal: {status:?}");
    let left: Vec<_> = table.iter().filter(|(_, pid)| running(*pid)).collect();
    assert!(left.is_empty(), "still running after the script: {left:?}");
    eprintln!(
        "stopped {} processes in {:?}",
        table.len(),
        stopping.elapsed()
    );
    let contexts: Vec<&str> = names.iter().copied().filter(|n| *n != "gateway").collect();
    infrastructure::testing::delete_rabbit_topology(&amqp, &prefix, &contexts).await;
}

fn script_ready(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("platform.out")).is_ok_and(|o| o.contains("ready: http://"))
}
