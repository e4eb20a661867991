//! The measurements of `agora bench-orders`: cost per order, throughput in a closed loop,
//! latency at a fixed rate, each printed beside the raw append rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::sync::Mutex;

use super::BenchOrdersArgs;
use super::client::{Client, order_until_paid, placed_and_paid, stocked_product};
use crate::cost::{Cost, Counters, client_runtime};
use crate::messaging::{append_rate, histogram};

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn ms(h: &Histogram<u64>, q: f64) -> String {
    format!("{:.1}", h.value_at_quantile(q) as f64 / 1000.0)
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
) -> anyhow::Result<Cost> {
    let runtime = client_runtime()?;
    // A client of its own: its connections are driven by the client runtime's threads.
    let client = client.fresh();
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

pub(super) async fn measure(
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
        println!("{}", Cost::HEADER);
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
