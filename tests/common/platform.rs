//! The platform as separate processes (issue 23): one `agora serve --contexts <context>` per
//! context, on one PostgreSQL database, RabbitMQ and Kafka (tansu), `--event-feed kafka`, one
//! shared JWT key file; processes killed with SIGKILL and restarted; reads of the store to
//! count every effect. Used by `tests/multi_process.rs` and `tests/fault_suite.rs`.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use infrastructure::database::{Database, PoolSizes};
use infrastructure::kafka::{KafkaConfig, KafkaFeed};
use serde_json::{Value, json};
use tokio::time::Instant;
use uuid::Uuid;

use super::{Store, database_url, order_body};

pub const PASSWORD: &str = "correct horse battery staple";
/// Generous bound on any one outcome (a debug build on a shared two-core machine).
pub const STEP: Duration = Duration::from_secs(60);

/// What happens to one order when the saga runs to the end: each effect exactly once.
pub const PAID_ORDER_EVENTS: [&str; 10] = [
    "agora.ordering.order_placed",
    "agora.payments.payment_authorized",
    "agora.ordering.order_payment_authorized",
    "agora.inventory.stock_reserved",
    "agora.inventory.reservation_confirmed",
    "agora.ordering.order_stock_reserved",
    "agora.payments.payment_captured",
    "agora.ordering.order_paid",
    "agora.inventory.reservation_committed",
    "agora.inventory.stock_committed",
];

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn amqp_url() -> String {
    std::env::var("AGORA_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

pub fn kafka_brokers() -> String {
    std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// One `agora serve` process.
pub struct Process {
    pub name: String,
    pub flags: Vec<String>,
    pub port: u16,
    pub child: Option<Child>,
    pub starts: usize,
}

/// The processes of one platform: one database, prefixes of its own, one key file.
pub struct Platform {
    pub url: String,
    pub prefix: String,
    pub dir: PathBuf,
    pub processes: HashMap<String, Process>,
    pub client: reqwest::Client,
    /// Each process's store and read pool sizes.
    pub pool_size: &'static str,
}

impl Drop for Platform {
    fn drop(&mut self) {
        for p in self.processes.values_mut() {
            if let Some(mut child) = p.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        // AGORA_TEST_KEEP_LOGS=1 keeps them after a pass too.
        if std::thread::panicking() || std::env::var_os("AGORA_TEST_KEEP_LOGS").is_some() {
            eprintln!("process logs: {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

impl Platform {
    pub async fn new() -> Self {
        let prefix = format!("mp{}", Uuid::now_v7().simple());
        let dir = std::env::temp_dir().join(format!("agora-{prefix}"));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            url: database_url(Store::Postgres).await,
            prefix,
            dir,
            processes: HashMap::new(),
            client: reqwest::Client::new(),
            pool_size: "3",
        }
    }

    /// Stops every process and deletes this platform's queues and exchanges from the shared
    /// broker (its topics stay: Kafka test topics are in-memory on tansu).
    pub async fn finish(mut self) {
        for p in self.processes.values_mut() {
            if let Some(mut child) = p.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        infrastructure::testing::delete_rabbit_topology(&amqp_url(), &self.prefix, &CONTEXTS).await;
    }

    /// Starts process `name` running `--contexts <contexts>` with `extra` flags.
    pub fn spawn(&mut self, name: &str, contexts: &str, extra: &[&str]) {
        let mut flags: Vec<String> = [
            "--contexts",
            contexts,
            "--database-url",
            &self.url,
            "--amqp-url",
            &amqp_url(),
            "--amqp-prefix",
            &self.prefix,
            "--kafka-brokers",
            &kafka_brokers(),
            "--event-feed",
            "kafka",
            "--kafka-topic-prefix",
            &self.prefix,
            "--kafka-partitions",
            "2",
            // Six processes (or more) on a PostgreSQL server other tests share.
            "--db-pool-size",
            self.pool_size,
            "--db-read-pool-size",
            self.pool_size,
            "--session-cookie-secure",
            "false",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        flags.extend(["--jwt-private-key-file".to_owned()]);
        flags.push(self.dir.join("jwt-ed25519.pem").display().to_string());
        flags.extend(["--data-dir".to_owned()]);
        flags.push(self.dir.join(format!("data-{name}")).display().to_string());
        flags.extend(extra.iter().map(|s| (*s).to_owned()));
        let mut process = Process {
            name: name.to_owned(),
            flags,
            port: free_port(),
            child: None,
            starts: 0,
        };
        self.launch(&mut process);
        self.processes.insert(name.to_owned(), process);
    }

    pub fn launch(&self, p: &mut Process) {
        p.starts += 1;
        let log = self.dir.join(format!("{}-{}.log", p.name, p.starts));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_agora"))
            .arg("serve")
            .args(&p.flags)
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", p.port))
            .env_remove("AGORA_DATABASE_URL")
            .env("AGORA_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .unwrap();
        p.child = Some(child);
    }

    /// Where process `name` listens; with one process only (all contexts in one), that one.
    pub fn base(&self, name: &str) -> String {
        let process = match self.processes.get(name) {
            Some(p) => p,
            None if self.processes.len() == 1 => self.processes.values().next().unwrap(),
            None => panic!("no process {name}"),
        };
        format!("http://127.0.0.1:{}", process.port)
    }

    /// Kills process `name` with SIGKILL: no shutdown, no flush, no goodbye to any broker.
    pub fn kill9(&mut self, name: &str) {
        let p = self.processes.get_mut(name).unwrap();
        let mut child = p.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }

    /// Starts process `name` again with the same flags and port.
    pub fn restart(&mut self, name: &str) {
        let mut p = self.processes.remove(name).unwrap();
        self.launch(&mut p);
        self.processes.insert(name.to_owned(), p);
    }

    pub async fn wait_healthy(&mut self, name: &str) {
        let deadline = Instant::now() + STEP;
        let url = format!("{}/healthz", self.base(name));
        loop {
            if let Ok(r) = self.client.get(&url).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            let p = self.processes.get_mut(name).unwrap();
            let exited = p.child.as_mut().unwrap().try_wait().unwrap();
            if exited.is_some() {
                // Its log says why: show its end, since the directory goes with the test.
                let log = self.dir.join(format!("{}-{}.log", p.name, p.starts));
                let text = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(15).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                panic!(
                    "{name} exited early: {exited:?}; its log ends:\n{}",
                    tail.join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "{name} not healthy within {STEP:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn readyz(&self, name: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}/readyz", self.base(name)))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Waits until `name`'s `/readyz` reports `relay` as `role`.
    pub async fn wait_relay_role(&self, name: &str, role: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let (_, body) = self.readyz(name).await;
            if body["relay"] == role {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{name} is not {role}; /readyz: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A new account, signed up and logged in through process `identity`; its header.
    pub async fn user(&self, identity: &str) -> (String, String) {
        let email = format!("u-{}@example.org", Uuid::now_v7().simple());
        let base = self.base(identity);
        let r = self
            .client
            .post(format!("{base}/api/v1/users"))
            .json(&json!({ "email": email, "password": PASSWORD, "display_name": "U" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let r = self
            .client
            .post(format!("{base}/api/v1/sessions"))
            .json(&json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let token = r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        ("authorization".to_owned(), format!("Bearer {token}"))
    }

    /// Sends a request until it answers one of `ok` (another process's read model may not
    /// have seen what it needs yet); returns the answer.
    pub async fn until(
        &self,
        what: &str,
        ok: &[u16],
        send: impl Fn() -> reqwest::RequestBuilder,
    ) -> reqwest::Response {
        let deadline = Instant::now() + STEP;
        loop {
            let r = send().send().await.unwrap();
            if ok.contains(&r.status().as_u16()) {
                return r;
            }
            let last = format!("{} {}", r.status(), r.text().await.unwrap_or_default());
            assert!(Instant::now() < deadline, "{what}: last answer {last}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A published product of `seller` with `stock` units, through the merchandise and
    /// inventory processes; its id and sku.
    pub async fn stocked_product(&self, seller: &(String, String), stock: i64) -> (String, String) {
        let sku = format!("SKU-{}", Uuid::now_v7().simple());
        let merchandise = self.base("merchandise");
        let r = self
            .client
            .post(format!("{merchandise}/api/v1/products"))
            .header(&seller.0, &seller.1)
            .json(
                &json!({ "title": "Chess set", "category": "games", "sku": sku,
                           "price": { "amount_minor": 4200, "currency": "EUR" } }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let r = self
            .client
            .post(format!("{merchandise}/api/v1/products/{id}/publish"))
            .header(&seller.0, &seller.1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let inventory = self.base("inventory");
        self.until("stock receipt", &[201], || {
            self.client
                .post(format!("{inventory}/api/v1/inventory/{sku}/receipts"))
                .header(&seller.0, &seller.1)
                .json(&json!({ "quantity": stock }))
        })
        .await;
        (id, sku)
    }

    /// Places an order for one unit of `product` through the ordering process: its id.
    pub async fn place_order(&self, buyer: &(String, String), product: &str) -> String {
        let ordering = self.base("ordering");
        let r = self
            .until("order placed", &[200, 201, 202], || {
                self.client
                    .post(format!("{ordering}/api/v1/orders"))
                    .header(&buyer.0, &buyer.1)
                    .json(&order_body(product, 1, "tok_ok"))
            })
            .await;
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let id = r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            location.as_deref(),
            Some(format!("/api/v1/orders/{id}").as_str())
        );
        id
    }

    /// Polls the order through the ordering process until it is `status`.
    pub async fn wait_order(
        &self,
        buyer: &(String, String),
        id: &str,
        status: &str,
        within: Duration,
    ) {
        let deadline = Instant::now() + within;
        let url = format!("{}/api/v1/orders/{id}", self.base("ordering"));
        loop {
            // The process may be restarting: a refused connection is one more poll.
            let last = match self
                .client
                .get(&url)
                .header(&buyer.0, &buyer.1)
                .send()
                .await
            {
                Ok(r) if r.status() == 200 => {
                    let order: Value = r.json().await.unwrap();
                    if order["status"] == status {
                        return;
                    }
                    assert!(
                        !["cancelled", "rejected"]
                            .contains(&order["status"].as_str().unwrap_or("")),
                        "order {id} was thrown away: {order}"
                    );
                    order["status"].to_string()
                }
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => format!("{e}"),
            };
            assert!(
                Instant::now() < deadline,
                "order {id} not {status} within {within:?}; last: {last}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn database(&self) -> Database {
        Database::open(&self.url, PoolSizes { store: 1, read: 1 })
            .await
            .unwrap()
    }

    /// The event types the store holds about `order` (`data.order_id`), with their counts.
    pub async fn effects(&self, db: &Database, order: &str) -> HashMap<String, i64> {
        sqlx::query_as::<_, (String, i64)>(
            "SELECT event_type, CAST(COUNT(*) AS BIGINT) FROM events \
             WHERE data->>'order_id' = $1 GROUP BY event_type",
        )
        .bind(order)
        .fetch_all(&db.read)
        .await
        .unwrap()
        .into_iter()
        .collect()
    }

    /// Waits until the store holds every effect of a paid order, then checks (after a
    /// second more, for late repeats) that it holds each exactly once.
    pub async fn assert_paid_once(&self, db: &Database, order: &str) {
        let deadline = Instant::now() + STEP;
        loop {
            let effects = self.effects(db, order).await;
            if PAID_ORDER_EVENTS.iter().all(|e| effects.contains_key(*e)) {
                break;
            }
            assert!(Instant::now() < deadline, "order {order}: only {effects:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        let effects = self.effects(db, order).await;
        let expected: HashMap<String, i64> = PAID_ORDER_EVENTS
            .iter()
            .map(|e| ((*e).to_owned(), 1))
            .collect();
        assert_eq!(
            effects, expected,
            "order {order}: every effect exactly once"
        );
    }

    /// How many times each event of the store is on this platform's Kafka topics, read back
    /// by a consumer group of its own until every stored event was seen and nothing more came
    /// for two seconds.
    pub async fn copies_on_kafka(&self, db: &Database) -> (HashMap<Uuid, usize>, HashSet<Uuid>) {
        let stored: HashSet<Uuid> =
            sqlx::query_scalar::<_, String>("SELECT CAST(event_id AS TEXT) FROM events")
                .fetch_all(&db.read)
                .await
                .unwrap()
                .into_iter()
                .map(|id| id.parse().unwrap())
                .collect();
        let config = KafkaConfig {
            topic_prefix: self.prefix.clone(),
            ..KafkaConfig::new(kafka_brokers())
        };
        let group = format!("{}.count.{}", self.prefix, Uuid::now_v7().simple());
        let feed = KafkaFeed::new(&config.brokers, &group, &[&config.all_event_topics()]).unwrap();
        let mut copies: HashMap<Uuid, usize> = HashMap::new();
        let deadline = Instant::now() + STEP;
        loop {
            let all_seen = stored.iter().all(|id| copies.contains_key(id));
            let wait = if all_seen {
                Duration::from_secs(2)
            } else {
                Duration::from_secs(1)
            };
            match tokio::time::timeout(wait, feed.next_batch(256, Duration::ZERO)).await {
                Ok(batch) => {
                    for d in batch.unwrap() {
                        *copies.entry(d.event.event_id).or_default() += 1;
                    }
                }
                Err(_) if all_seen => return (copies, stored),
                Err(_) => {}
            }
            assert!(
                Instant::now() < deadline,
                "{} of {} stored events reached Kafka",
                stored.iter().filter(|id| copies.contains_key(id)).count(),
                stored.len()
            );
        }
    }
}

pub const CONTEXTS: [&str; 6] = [
    "identity",
    "merchandise",
    "inventory",
    "ordering",
    "payments",
    "communities",
];

/// What one attempt to place an order came to.
pub enum Placed {
    /// 201/202: the order's id.
    Acknowledged(String),
    /// The instance did not answer at all (killed, or refusing connections).
    Unreachable,
    /// Any other answer: its status and body.
    Refused(String),
}

impl Platform {
    /// One attempt to place an order for one unit of `product` through process `name`, under
    /// `key` (`Idempotency-Key`: the same for every attempt of one order).
    pub async fn try_order(
        &self,
        name: &str,
        buyer: &(String, String),
        product: &str,
        key: &str,
    ) -> Placed {
        let r = self
            .client
            .post(format!("{}/api/v1/orders", self.base(name)))
            .header(&buyer.0, &buyer.1)
            .header("idempotency-key", key)
            .json(&order_body(product, 1, "tok_ok"))
            .send()
            .await;
        match r {
            Ok(r) if [201, 202].contains(&r.status().as_u16()) => match r.json::<Value>().await {
                Ok(body) => Placed::Acknowledged(body["id"].as_str().unwrap().to_owned()),
                Err(_) => Placed::Unreachable,
            },
            Ok(r) => Placed::Refused(format!(
                "{} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            )),
            Err(_) => Placed::Unreachable,
        }
    }

    /// The status of `order` as process `name` answers it (or why there is none).
    pub async fn order_status(&self, name: &str, buyer: &(String, String), order: &str) -> String {
        let url = format!("{}/api/v1/orders/{order}", self.base(name));
        match self
            .client
            .get(&url)
            .header(&buyer.0, &buyer.1)
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => match r.json::<Value>().await {
                Ok(o) => o["status"].as_str().unwrap_or("?").to_owned(),
                Err(e) => format!("{e}"),
            },
            Ok(r) => format!("HTTP {}", r.status()),
            Err(e) => format!("{e}"),
        }
    }

    /// Every order the store holds, with how many times each event type is recorded about it.
    pub async fn all_effects(&self, db: &Database) -> HashMap<String, HashMap<String, i64>> {
        all_effects(db).await
    }
}

/// Every order the store holds (`order_placed`), with how many times each event type is
/// recorded about it.
pub async fn all_effects(db: &Database) -> HashMap<String, HashMap<String, i64>> {
    let rows = sqlx::query_as::<_, (String, String, i64)>(
        "SELECT data->>'order_id', event_type, CAST(COUNT(*) AS BIGINT) FROM events \
         WHERE data->>'order_id' IN (SELECT data->>'order_id' FROM events \
         WHERE event_type = 'agora.ordering.order_placed') \
         GROUP BY 1, 2",
    )
    .fetch_all(&db.read)
    .await
    .unwrap();
    let mut by_order: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for (order, kind, n) in rows {
        by_order.entry(order).or_default().insert(kind, n);
    }
    by_order
}
