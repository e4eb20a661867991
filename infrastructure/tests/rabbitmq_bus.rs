//! The RabbitMQ command bus against the real broker on 127.0.0.1:5672.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use infrastructure::rabbitmq::{
    EXCHANGE, RabbitCommandBus, RabbitCommandWorker, RabbitConfig, dead_letter_queue,
};
use shared_kernel::{
    CommandBus, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, StoreError, StreamId,
};
use support::{
    CounterHandler, amqp_url, delete_queues, increment, pg_store, queue_depth, unique_context,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

fn config() -> RabbitConfig {
    RabbitConfig {
        delivery_limit: 3,
        reply_timeout: Duration::from_secs(20),
        ..RabbitConfig::new(amqp_url())
    }
}

fn position(reply: &CommandReply) -> u64 {
    match &reply.outcome {
        CommandOutcome::Accepted { position, .. } => *position,
        other => panic!("not accepted: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_round_trips_with_its_reply() {
    let store = pg_store().await;
    let context = unique_context();
    let shutdown = CancellationToken::new();
    let worker = RabbitCommandWorker::new(
        config(),
        &context,
        Arc::new(CounterHandler {
            store: Arc::clone(&store),
        }),
    )
    .spawn(shutdown.clone());
    let bus = RabbitCommandBus::new(config());

    let counter = Uuid::now_v7();
    let command = increment(&context, counter, 5);
    let reply = bus.send(command.clone()).await.unwrap();
    assert_eq!(reply.command_id, command.command_id);
    assert!(position(&reply) > 0);
    let CommandOutcome::Accepted { body, .. } = &reply.outcome else {
        unreachable!()
    };
    assert_eq!(body["value"], 5);

    // The same command again (an HTTP retry): the first result, no second effect.
    let again = bus.send(command).await.unwrap();
    assert_eq!(position(&again), position(&reply));
    assert_eq!(
        store
            .read_stream(&StreamId::of("counter", counter), 1)
            .await
            .unwrap()
            .len(),
        1
    );

    worker.stop().await;
    delete_queues(&context).await;
}

/// Handles the command (committing its effect), then hangs before the ack can happen.
#[derive(Debug)]
struct DiesAfterCommit {
    inner: CounterHandler,
    handled: Arc<Notify>,
}

#[async_trait]
impl CommandHandler for DiesAfterCommit {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        self.inner.handle(command).await?;
        self.handled.notify_one();
        std::future::pending().await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_before_ack_leads_to_one_effect() {
    let store = pg_store().await;
    let context = unique_context();
    let handled = Arc::new(Notify::new());
    let doomed = RabbitCommandWorker::new(
        config(),
        &context,
        Arc::new(DiesAfterCommit {
            inner: CounterHandler {
                store: Arc::clone(&store),
            },
            handled: Arc::clone(&handled),
        }),
    )
    .spawn(CancellationToken::new());
    let bus = Arc::new(RabbitCommandBus::new(config()));
    let counter = Uuid::now_v7();
    let sender = Arc::clone(&bus);
    let ctx = context.clone();
    let pending = tokio::spawn(async move { sender.send(increment(&ctx, counter, 1)).await });

    handled.notified().await;
    doomed.crash().await;
    // The broker redelivers the unacknowledged command to the next worker.
    let shutdown = CancellationToken::new();
    let survivor = RabbitCommandWorker::new(
        config(),
        &context,
        Arc::new(CounterHandler {
            store: Arc::clone(&store),
        }),
    )
    .spawn(shutdown.clone());

    let reply = pending.await.unwrap().unwrap();
    let events = store
        .read_stream(&StreamId::of("counter", counter), 1)
        .await
        .unwrap();
    assert_eq!(
        events.len(),
        1,
        "redelivery must not apply the command twice"
    );
    assert_eq!(
        position(&reply),
        events[0].position,
        "the reply is the first result"
    );

    survivor.stop().await;
    delete_queues(&context).await;
}

#[derive(Debug)]
struct AlwaysFails;

#[async_trait]
impl CommandHandler for AlwaysFails {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        if command.name == "poison" {
            return Err(StoreError::Unavailable(
                "simulated persistent failure".into(),
            ));
        }
        Ok(CommandReply {
            command_id: command.command_id,
            outcome: CommandOutcome::Accepted {
                stream_id: "x-1".into(),
                stream_version: 1,
                position: 1,
                body: serde_json::Value::Null,
            },
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_commands_are_dead_lettered_and_the_worker_keeps_going() {
    let context = unique_context();
    let shutdown = CancellationToken::new();
    let worker =
        RabbitCommandWorker::new(config(), &context, Arc::new(AlwaysFails)).spawn(shutdown.clone());
    let short = RabbitConfig {
        reply_timeout: Duration::from_secs(3),
        ..config()
    };
    let bus = RabbitCommandBus::new(short);

    // A command that fails on every delivery: retried (with backoff) up to the limit, then dead.
    let mut poison = increment(&context, Uuid::now_v7(), 1);
    poison.name = "poison".into();
    assert!(
        bus.send(poison).await.is_err(),
        "no reply for a command that never succeeds"
    );

    // Bytes that are not a command at all: dead-lettered at once.
    let conn = lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.basic_publish(
        EXCHANGE.into(),
        context.as_str().into(),
        lapin::options::BasicPublishOptions::default(),
        b"not json",
        lapin::BasicProperties::default().with_delivery_mode(2),
    )
    .await
    .unwrap()
    .await
    .unwrap();

    let dead = dead_letter_queue(&context);
    let mut depth = 0;
    for _ in 0..100 {
        depth = queue_depth(&dead).await;
        if depth >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(depth, 2, "both poison messages end in {dead}");

    // And the worker still serves good commands.
    let fine = RabbitCommandBus::new(config());
    let reply = fine
        .send(increment(&context, Uuid::now_v7(), 1))
        .await
        .unwrap();
    assert!(matches!(reply.outcome, CommandOutcome::Accepted { .. }));

    let _ = conn.close(200, "bye".into()).await;
    worker.stop().await;
    delete_queues(&context).await;
}

/// The bus says what became of a command it gives up on (issue 23's fault suite: with RabbitMQ
/// stopped, orders were answered 202 "accepted, reply late" and never placed): a command the
/// broker confirmed is `Timeout` (it waits in its queue for a handler), one no broker took is
/// `Unavailable` (nothing holds it: the caller must not answer as if something did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_no_broker_took_is_unavailable_and_a_queued_one_times_out() {
    use shared_kernel::BusError;

    let context = unique_context();
    let short = |url: String| RabbitConfig {
        reply_timeout: Duration::from_secs(2),
        ..RabbitConfig::new(url)
    };
    // No broker listens on port 1.
    let nowhere = RabbitCommandBus::new(short("amqp://guest:guest@127.0.0.1:1/%2f".to_owned()));
    let refused = nowhere.send(increment(&context, Uuid::now_v7(), 1)).await;
    assert!(
        matches!(refused, Err(BusError::Unavailable(_))),
        "{refused:?}"
    );
    // The broker takes it (the queue is declared on the way), no worker answers.
    let queued = RabbitCommandBus::new(short(amqp_url()))
        .send(increment(&context, Uuid::now_v7(), 1))
        .await;
    assert!(matches!(queued, Err(BusError::Timeout(_))), "{queued:?}");
    delete_queues(&context).await;
}
