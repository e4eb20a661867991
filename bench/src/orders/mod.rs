//! `agora bench-orders`: orders over HTTP end to end (placed until paid, through the order
//! saga, inventory and the simulated payment provider), beside the raw append rate of the same
//! PostgreSQL store measured in the same run. A benchmark: it prints figures, asserts nothing.
//!
//! Three measurements:
//! - **cost per order**: orders placed one after another, each waited until paid; per order,
//!   the database transactions, rows read and written, checkpoint writes and server CPU time
//!   (see `bench::cost`), optionally again after many more orders of the same sku;
//! - **throughput**: C buyers in a closed loop, each placing an order and polling it until it is
//!   paid, then placing the next; orders/s and the events/s the flow appended.
//! - **latency at a fixed rate**: orders placed on a fixed schedule (open loop) at a fraction of
//!   the measured throughput; placed-to-paid latency percentiles, and how long a read of the
//!   order waits (`Agora-Min-Position`) for the orders read model to show it: projection lag.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::{Args, Parser};
use hdrhistogram::Histogram;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::app::{Running, Settings, start};
use crate::bench_messaging::{append_rate, histogram};

#[derive(Debug, Clone, Args)]
pub struct BenchOrdersArgs {
    /// PostgreSQL admin URL; a scratch database is created on its server and dropped after.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent buyers in the throughput measurement (and writers in the baseline).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// The fixed rate of the latency measurement, as a fraction of the measured throughput.
    #[arg(long, default_value_t = 0.5)]
    pub rate_fraction: f64,
    /// Products (skus) the orders spread over; 1 makes every order contend for one stock
    /// stream.
    #[arg(long, default_value_t = 16)]
    pub products: usize,
    /// How often a buyer polls its order while waiting for `paid`, in milliseconds.
    #[arg(long, default_value_t = 20)]
    pub poll_ms: u64,
    /// Orders placed one after another for the per-order cost figures (0: skip them).
    #[arg(long, default_value_t = 100)]
    pub cost_orders: u64,
    /// How often an order of the cost measurement is polled, in milliseconds: its polls are
    /// part of its cost, so a slower machine must not poll more (`../shared/tools/order-cost`
    /// polls every 200 ms too).
    #[arg(long, default_value_t = 200)]
    pub cost_poll_ms: u64,
    /// Then this many more orders of the same sku (closed loop), and the cost measured again:
    /// does an order cost more once the log and the sku's stock stream are long?
    #[arg(long, default_value_t = 0)]
    pub long_stream_orders: u64,
    /// Read models to register beside the platform's own that handle no event of an order:
    /// what an idle projection costs every order.
    #[arg(long, default_value_t = 0)]
    pub idle_projections: usize,
    /// Skip the throughput and fixed-rate measurements (cost figures only).
    #[arg(long)]
    pub cost_only: bool,
}

/// A read model of events nobody writes: it costs an order only what the runtime spends on it.
#[derive(Debug)]
struct IdleProjection {
    name: &'static str,
}

#[async_trait::async_trait]
impl projections::Projection for IdleProjection {
    fn name(&self) -> &'static str {
        self.name
    }
    fn handles(&self) -> projections::Interest {
        projections::Interest::Contexts(&["benchidle"])
    }
    fn schema(&self) -> &'static [&'static str] {
        &[]
    }
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }
    async fn apply(
        &self,
        _conn: &mut sqlx::AnyConnection,
        _event: &shared_kernel::Recorded,
    ) -> Result<(), projections::ProjectionError> {
        Ok(())
    }
}

/// `count` idle read models, each in a group of its own (as ten more contexts would be).
fn idle_projections(count: usize) -> Vec<(&'static str, Vec<Arc<dyn projections::Projection>>)> {
    (0..count)
        .map(|i| {
            let name: &'static str = Box::leak(format!("bench.idle_{i}").into_boxed_str());
            let projection: Arc<dyn projections::Projection> = Arc::new(IdleProjection { name });
            (name, vec![projection])
        })
        .collect()
}

/// `serve`'s own flags, parsed from a list: the benchmark runs the platform as `serve` would.
#[derive(Debug, Parser)]
struct ServeFlags {
    #[command(flatten)]
    serve: crate::cli::ServeArgs,
}

/// # Errors
/// The scratch database cannot be created, the platform cannot start, or a request fails.
pub async fn run(args: BenchOrdersArgs) -> anyhow::Result<()> {
    let scratch = crate::bench::scratch::ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, scratch.url()).await;
    // Dropped also after a failure; the measurement's error wins over the drop's.
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

fn settings(url: &str, concurrency: usize) -> anyhow::Result<Settings> {
    // PostgreSQL allows 100 connections by default; the read pool and listeners need some.
    let pool = (concurrency + 8).min(48).to_string();
    let flags = ServeFlags::try_parse_from([
        "agora-bench",
        "--database-url",
        url,
        "--db-pool-size",
        &pool,
        "--session-cookie-secure",
        "false",
        "--writes-per-user-per-minute",
        "1000000",
        "--logins-per-ip-per-minute",
        "100000",
        "--registrations-per-ip-per-hour",
        "100000",
        "--data-dir",
        &std::env::temp_dir()
            .join(format!("agora-bench-{}", Uuid::now_v7().simple()))
            .display()
            .to_string(),
    ])?;
    Settings::from_args(&flags.serve)
}

/// An HTTP client of the benchmark's server.
#[derive(Debug, Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, reqwest::header::HeaderMap, Value)> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((status, headers, value))
    }

    async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::header::HeaderMap, Value)> {
        let (status, headers, value) = self.call(method, path, token, body).await?;
        anyhow::ensure!(status.is_success(), "{path}: {status} {value}");
        Ok((headers, value))
    }

    /// Registers and logs in a new user; returns their access token.
    async fn new_user(&self) -> anyhow::Result<String> {
        let email = format!("bench-{}@example.org", Uuid::now_v7().simple());
        let password = "correct horse battery staple";
        self.expect(
            reqwest::Method::POST,
            "/api/v1/users",
            None,
            Some(json!({"email": email, "password": password, "display_name": "bench"})),
        )
        .await?;
        let (_, session) = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/sessions",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await?;
        session["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("login answered no access token")
    }
}

fn position(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get("agora-position")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_owned()
}

/// A seller's active product with plenty of stock; returns its id.
async fn stocked_product(client: &Client, seller: &str) -> anyhow::Result<String> {
    let sku = format!("BENCH-{}", Uuid::now_v7().simple());
    let (_, created) = client
        .expect(
            reqwest::Method::POST,
            "/api/v1/products",
            Some(seller),
            Some(json!({
                "title": "Benchmark widget", "description": "for the order benchmark",
                "category": "bench", "sku": sku,
                "price": {"amount_minor": 1000, "currency": "EUR"},
            })),
        )
        .await?;
    let id = created["id"].as_str().context("product id")?.to_owned();
    let (headers, _) = client
        .expect(
            reqwest::Method::POST,
            &format!("/api/v1/products/{id}/publish"),
            Some(seller),
            None,
        )
        .await?;
    // Inventory learns of the sku from merchandise events: wait for them.
    let mut request = client
        .http
        .post(format!("{}/api/v1/inventory/{sku}/receipts", client.base))
        .bearer_auth(seller)
        .header("agora-min-position", position(&headers))
        .json(&json!({"quantity": 10_000_000}));
    for _ in 0..50 {
        let r = request
            .try_clone()
            .context("receipt request")?
            .send()
            .await?;
        if r.status().is_success() {
            return Ok(id);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        request = request.try_clone().context("receipt request")?;
    }
    anyhow::bail!("stock could not be received for {sku}")
}

/// Places one order and polls it until it is paid; the placed-to-paid time.
async fn order_until_paid(
    client: &Client,
    buyer: &str,
    product: &str,
    poll: Duration,
) -> anyhow::Result<Duration> {
    Ok(placed_and_paid(client, buyer, product, poll).await?.0)
}

/// Places one order, reads it back at once with `Agora-Min-Position` (the read waits until
/// the orders read model has applied the placement: read-your-writes), then polls it until it
/// is paid. The placed-to-paid time and the read-your-writes wait.
async fn placed_and_paid(
    client: &Client,
    buyer: &str,
    product: &str,
    poll: Duration,
) -> anyhow::Result<(Duration, Duration)> {
    let started = Instant::now();
    let (headers, placed) = client
        .expect(
            reqwest::Method::POST,
            "/api/v1/orders",
            Some(buyer),
            Some(json!({
                "lines": [{"product_id": product, "quantity": 1}],
                "shipping_address": {"name": "Bench Buyer", "line1": "1 Loop Road",
                    "city": "Lyon", "postal_code": "69001", "country": "FR"},
                "payment": {"method": "card", "token": "tok_ok"},
            })),
        )
        .await?;
    let id = placed["id"].as_str().context("order id")?.to_owned();
    let path = format!("/api/v1/orders/{id}");
    let placed_at = Instant::now();
    let read = client
        .http
        .get(format!("{}{path}", client.base))
        .bearer_auth(buyer)
        .header("agora-min-position", position(&headers))
        .send()
        .await?;
    anyhow::ensure!(
        read.status().is_success(),
        "{path} with Agora-Min-Position: {}",
        read.status()
    );
    let read_your_write = placed_at.elapsed();
    loop {
        let (status, _, order) = client
            .call(reqwest::Method::GET, &path, Some(buyer), None)
            .await?;
        match order["status"].as_str() {
            Some("paid") => return Ok((started.elapsed(), read_your_write)),
            Some(s @ ("rejected" | "cancelled")) => anyhow::bail!("order {id} ended {s}"),
            _ if status.is_server_error() => anyhow::bail!("{path}: {status} {order}"),
            _ => tokio::time::sleep(poll).await,
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.1}", h.value_at_quantile(q) as f64 / 1000.0)
}

async fn run_in(args: &BenchOrdersArgs, url: &str) -> anyhow::Result<()> {
    let c = args.concurrency;
    let mut settings = settings(url, c)?;
    settings.extra_projections = idle_projections(args.idle_projections);
    let running: Running = start(&settings, std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .context("starting the platform")?;
    let client = Client {
        http: reqwest::Client::new(),
        base: format!("http://{}", running.addr),
    };
    // The platform's own store: a second one would listen for commits too, and the platform
    // would notify it of every commit as it would another process.
    let store = Arc::clone(&running.store);
    let result = measure(args, &client, store, url).await;
    // Stop the platform before the caller drops its database, also after a failure.
    running.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(500)).await;
    result
}

/// How long the statistics of every backend take to reach `pg_stat_*`.
const STATS_SETTLE: Duration = Duration::from_secs(11);

/// Places `n` orders one after another from the client runtime, each waited until paid, and
/// returns what they cost per order.
async fn cost_of(
    client: &Client,
    buyer: &str,
    product: &str,
    n: u64,
    url: &str,
    poll: Duration,
) -> anyhow::Result<crate::bench::cost::Cost> {
    use crate::bench::cost::{Counters, client_runtime};
    let runtime = client_runtime()?;
    // A client of its own: its connections are driven by the client runtime's threads.
    let client = Client {
        http: reqwest::Client::new(),
        base: client.base.clone(),
    };
    let (buyer, product) = (buyer.to_owned(), product.to_owned());
    // A busy backend hands its statistics to pg_stat_* at most once a second, an idle one
    // after up to 10 s (PostgreSQL 15): settle before and after, so that no other phase's work
    // lands in this one's figures.
    tokio::time::sleep(STATS_SETTLE).await;
    let before = Counters::read(url).await?;
    let orders = runtime.spawn(async move {
        for _ in 0..n {
            order_until_paid(&client, &buyer, &product, poll).await?;
        }
        anyhow::Ok(())
    });
    orders.await??;
    tokio::time::sleep(STATS_SETTLE).await;
    let after = Counters::read(url).await?;
    runtime.shutdown_background();
    Ok(after.per(&before, n))
}

async fn measure(
    args: &BenchOrdersArgs,
    client: &Client,
    store: Arc<dyn shared_kernel::EventStore>,
    url: &str,
) -> anyhow::Result<()> {
    let (c, secs) = (args.concurrency, args.seconds);
    let client = client.clone();

    let poll = Duration::from_millis(args.poll_ms);
    let p = args.products.max(1);
    eprintln!("[1/4] set-up: a seller, {p} stocked products, {c} buyers");
    let seller = client.new_user().await?;
    let mut products = Vec::new();
    for _ in 0..p {
        products.push(stocked_product(&client, &seller).await?);
    }
    let mut buyers = Vec::new();
    for _ in 0..c {
        buyers.push(client.new_user().await?);
    }
    // Warm-up: one order per buyer (connections, prepared statements, caches).
    for (i, buyer) in buyers.iter().enumerate() {
        order_until_paid(&client, buyer, &products[i % p], poll).await?;
    }

    if args.cost_orders > 0 {
        let n = args.cost_orders;
        eprintln!("[cost] {n} orders one after another, each until paid");
        let cost_poll = Duration::from_millis(args.cost_poll_ms);
        let first = cost_of(&client, &buyers[0], &products[0], n, url, cost_poll).await?;
        println!();
        println!("{}", crate::bench::cost::Cost::HEADER);
        println!(
            "{}",
            first.row(&format!(
                "{n} sequential orders, {} idle projections",
                args.idle_projections
            ))
        );
        if args.long_stream_orders > 0 {
            let more = args.long_stream_orders;
            eprintln!("[cost] {more} more orders of the same sku, {c} buyers");
            let done = Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut tasks = Vec::new();
            for buyer in buyers.clone() {
                let (client, product, done) =
                    (client.clone(), products[0].clone(), Arc::clone(&done));
                tasks.push(tokio::spawn(async move {
                    while done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < more {
                        order_until_paid(&client, &buyer, &product, poll).await?;
                    }
                    anyhow::Ok(())
                }));
            }
            for t in tasks {
                t.await??;
            }
            let events = store.head().await?.position;
            let later = cost_of(&client, &buyers[0], &products[0], n, url, cost_poll).await?;
            println!(
                "{}",
                later.row(&format!(
                    "{n} sequential orders after {more} more of the same sku ({events} events in the log)"
                ))
            );
            println!(
                "
rows read per order after / before: {:.2}",
                later.rows_read / first.rows_read.max(1.0)
            );
        }
        if args.cost_only {
            return Ok(());
        }
    }

    eprintln!("[2/4] raw append rate: {c} writers, single-event appends, {secs}s");
    let raw = append_rate(Arc::clone(&store), c, secs).await?;

    eprintln!("[3/4] throughput: {c} buyers, each ordering until paid in a loop, {secs}s");
    let head_before = store.head().await?;
    let all = Arc::new(Mutex::new(histogram()?));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (i, buyer) in buyers.clone().into_iter().enumerate() {
        let product = products[i % p].clone();
        let (client, all) = (client.clone(), Arc::clone(&all));
        tasks.push(tokio::spawn(async move {
            let mut local = histogram()?;
            let mut n = 0_u64;
            while Instant::now() < deadline {
                local.record(micros(
                    order_until_paid(&client, &buyer, &product, poll).await?,
                ))?;
                n += 1;
            }
            all.lock().await.add(&local)?;
            anyhow::Ok(n)
        }));
    }
    let mut orders = 0;
    for t in tasks {
        orders += t.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let events = store
        .head()
        .await?
        .position
        .saturating_sub(head_before.position);
    let closed = Arc::try_unwrap(all)
        .map(Mutex::into_inner)
        .map_err(|_| anyhow::anyhow!("histogram still shared"))?;
    let orders_per_sec = orders as f64 / elapsed;
    let events_per_sec = events as f64 / elapsed;

    let rate = (orders_per_sec * args.rate_fraction).max(1.0);
    eprintln!("[4/4] latency at a fixed {rate:.1} orders/s, {secs}s");
    let fixed = Arc::new(Mutex::new(histogram()?));
    let lag = Arc::new(Mutex::new(histogram()?));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let stop = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    let mut i = 0_usize;
    while Instant::now() < stop {
        ticker.tick().await;
        let buyer = buyers[i % buyers.len()].clone();
        let product = products[i % p].clone();
        let (client, fixed, lag) = (client.clone(), Arc::clone(&fixed), Arc::clone(&lag));
        tasks.push(tokio::spawn(async move {
            let (latency, read) = placed_and_paid(&client, &buyer, &product, poll).await?;
            fixed.lock().await.record(micros(latency))?;
            lag.lock().await.record(micros(read))?;
            anyhow::Ok(())
        }));
        i += 1;
    }
    for t in tasks {
        t.await??;
    }
    let fixed = Arc::try_unwrap(fixed)
        .map(Mutex::into_inner)
        .map_err(|_| anyhow::anyhow!("histogram still shared"))?;
    let lag = Arc::try_unwrap(lag)
        .map(Mutex::into_inner)
        .map_err(|_| anyhow::anyhow!("histogram still shared"))?;

    println!();
    println!("| measurement | rate | p50 ms | p99 ms | ratio to raw append |");
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| raw append, {c} writers (baseline) | {:.0} events/s | {} | {} | 1.00 |",
        raw.per_sec,
        raw.ms(0.5),
        raw.ms(0.99)
    );
    println!(
        "| orders end to end (placed -> paid), {c} buyers, closed loop | {orders_per_sec:.1} orders/s = {events_per_sec:.0} events/s | {} | {} | {:.2} (events) |",
        ms(&closed, 0.5),
        ms(&closed, 0.99),
        events_per_sec / raw.per_sec
    );
    println!(
        "| orders at a fixed {rate:.1}/s ({:.0}% of the closed-loop rate) | {} orders | {} | {} | - |",
        args.rate_fraction * 100.0,
        fixed.len(),
        ms(&fixed, 0.5),
        ms(&fixed, 0.99)
    );
    println!(
        "| read-your-writes at that rate (placement -> visible in the orders read model) | {} reads | {} | {} | - |",
        lag.len(),
        ms(&lag, 0.5),
        ms(&lag, 0.99)
    );
    println!(
        "\n{orders} orders in {elapsed:.1}s appended {events} events ({:.1} per order).",
        events as f64 / orders.max(1) as f64
    );
    Ok(())
}
