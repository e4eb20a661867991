//! RabbitMQ restarted in the middle of command traffic: every command is answered, none is
//! applied twice. Its own test binary, so no other broker test runs while the broker is down.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use infrastructure::rabbitmq::{RabbitCommandBus, RabbitCommandWorker, RabbitConfig};
use shared_kernel::{CommandBus, StreamId};
use support::{CounterHandler, amqp_url, delete_queues, increment, pg_store, unique_context};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const SENDERS: usize = 4;
const COMMANDS_EACH: usize = 15;

async fn rabbitmqctl(arg: &str) {
    let status = tokio::process::Command::new("rabbitmqctl")
        .arg(arg)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "rabbitmqctl {arg} failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_lost_nothing_doubled_across_a_broker_restart() {
    let store = pg_store().await;
    let context = unique_context();
    let config = RabbitConfig {
        reply_timeout: Duration::from_secs(90),
        ..RabbitConfig::new(amqp_url())
    };
    let shutdown = CancellationToken::new();
    let worker = RabbitCommandWorker::new(
        config.clone(),
        &context,
        Arc::new(CounterHandler {
            store: Arc::clone(&store),
        }),
    )
    .spawn(shutdown.clone());
    let bus = Arc::new(RabbitCommandBus::new(config));

    let counters: Vec<Uuid> = (0..SENDERS).map(|_| Uuid::now_v7()).collect();
    let senders: Vec<_> = counters
        .iter()
        .map(|&counter| {
            let bus = Arc::clone(&bus);
            let context = context.clone();
            tokio::spawn(async move {
                for _ in 0..COMMANDS_EACH {
                    bus.send(increment(&context, counter, 1)).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(400)).await;
    rabbitmqctl("stop_app").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    rabbitmqctl("start_app").await;

    for s in senders {
        s.await.unwrap();
    }
    for counter in counters {
        let events = store
            .read_stream(&StreamId::of("counter", counter), 1)
            .await
            .unwrap();
        assert_eq!(
            events.len(),
            COMMANDS_EACH,
            "every command applied exactly once"
        );
    }
    worker.stop().await;
    delete_queues(&context).await;
}
