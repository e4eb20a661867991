//! `agora bench-messaging`: command round trips through RabbitMQ and in-process, relay
//! throughput into Kafka, and projection lag at a steady rate; each beside the raw append rate
//! of the same store measured in the same run. A benchmark: it prints figures, asserts nothing.

mod commands;
mod lag;
mod sample;

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::InProcessCommandBus;
use infrastructure::rabbitmq::{RabbitCommandBus, RabbitCommandWorker, RabbitConfig};
use shared_kernel::{CommandBus, CommandHandler};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use self::commands::{AppendHandler, RoutedBus, commands};
use self::lag::{projection_lag, relay_rate};
pub(crate) use self::sample::{append_rate, histogram};

#[derive(Debug, Clone, Args)]
pub struct BenchMessagingArgs {
    /// PostgreSQL admin URL; a scratch database is created on its server and dropped after.
    #[arg(
        long,
        env = "AGORA_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pub database_url: String,
    #[arg(
        long,
        env = "AGORA_BENCH_AMQP_URL",
        default_value = "amqp://guest:guest@127.0.0.1:5672/%2f"
    )]
    pub amqp_url: String,
    #[arg(
        long,
        env = "AGORA_BENCH_KAFKA_BROKERS",
        default_value = "127.0.0.1:9092"
    )]
    pub kafka_brokers: String,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Concurrent senders / writers.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Events appended for the relay measurement.
    #[arg(long, default_value_t = 20_000)]
    pub relay_events: usize,
}

/// # Errors
/// A service is unreachable or a measurement fails.
pub async fn run(args: BenchMessagingArgs) -> anyhow::Result<()> {
    let scratch = crate::scratch::ScratchDb::create(&args.database_url).await?;
    let result = run_in(&args, scratch.url()).await;
    // Dropped also after a failure; the measurement's error wins over the drop's.
    let dropped = scratch.drop_db().await;
    result.and(dropped)
}

async fn run_in(args: &BenchMessagingArgs, url: &str) -> anyhow::Result<()> {
    let c = args.concurrency;
    let secs = args.seconds;
    let sizes = PoolSizes {
        store: u32::try_from(c).unwrap_or(16) + 8,
        read: 8,
    };
    let db = Database::open(url, sizes).await?;
    let store = Arc::clone(&db.store);

    eprintln!("[1/5] raw append rate: {c} writers, single-event conditional appends, {secs}s");
    let raw = append_rate(Arc::clone(&store), c, secs).await?;

    let handler: Arc<dyn CommandHandler> = Arc::new(AppendHandler {
        store: Arc::clone(&store),
    });
    eprintln!("[2/5] commands in-process: {c} senders, {secs}s");
    let inproc = InProcessCommandBus::new(Duration::from_secs(30));
    inproc.register("bench", Arc::clone(&handler), c);
    let bus: Arc<dyn CommandBus> = Arc::new(inproc);
    let in_process = commands(Arc::clone(&bus), c, secs).await?;

    eprintln!("[3/5] commands through RabbitMQ: {c} senders, {secs}s");
    let context = format!("bench{}", Uuid::now_v7().simple());
    let config = RabbitConfig {
        prefetch: u16::try_from(c).unwrap_or(16),
        reply_timeout: Duration::from_secs(30),
        ..RabbitConfig::new(args.amqp_url.clone())
    };
    let shutdown = CancellationToken::new();
    let worker = RabbitCommandWorker::new(config.clone(), &context, Arc::clone(&handler))
        .spawn(shutdown.clone());
    let rabbit: Arc<dyn CommandBus> = Arc::new(RoutedBus {
        inner: Arc::new(RabbitCommandBus::new(config)),
        context,
    });
    let through_rabbit = commands(rabbit, c, secs).await?;
    worker.stop().await;

    eprintln!("[4/5] relay: {} events into Kafka", args.relay_events);
    let relay = relay_rate(args, &db).await?;

    let rate = (raw.per_sec / 2.0).max(1.0);
    eprintln!("[5/5] projection lag at {rate:.0} events/s (half the raw append rate), {secs}s");
    let lag = projection_lag(&db, rate, secs).await?;

    let ratio = |x: f64| x / raw.per_sec;
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
        "| command round trip, in-process, {c} senders | {:.0} commands/s | {} | {} | {:.2} |",
        in_process.per_sec,
        in_process.ms(0.5),
        in_process.ms(0.99),
        ratio(in_process.per_sec)
    );
    println!(
        "| command round trip, RabbitMQ, {c} senders | {:.0} commands/s | {} | {} | {:.2} |",
        through_rabbit.per_sec,
        through_rabbit.ms(0.5),
        through_rabbit.ms(0.99),
        ratio(through_rabbit.per_sec)
    );
    println!(
        "| relay into Kafka (tansu) | {:.0} events/s | - | - | {:.2} |",
        relay,
        ratio(relay)
    );
    println!(
        "| projection lag at {rate:.0} events/s | {:.0} events/s applied | {} | {} | {:.2} |",
        lag.per_sec,
        lag.ms(0.5),
        lag.ms(0.99),
        ratio(lag.per_sec)
    );
    Ok(())
}
