//! The saga runtime on both stores: commands derived from events are sent once in effect even
//! when the saga replays from the start with a second runner beside it, and durable timers
//! fire once, after their due time, unless cancelled.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{Store, database_url};
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::{InProcessCommandBus, StoreFeed};
use projections::saga::{Dispatch, ProcessManager, Reaction, SagaRunner, SetTimer};
use projections::{Interest, KafkaProjector};
use shared_kernel::application::event_id_for;
use shared_kernel::{
    CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventMetadata, EventStore,
    ExpectedVersion, NewEvent, Recorded, StoreError, StreamId, SystemClock,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Order placed -> reserve, and expire unless paid within a second (long enough for a loaded
/// machine to read the payment before the deadline: the test is about effects, not speed).
#[derive(Debug)]
struct Expiry;

impl ProcessManager for Expiry {
    fn name(&self) -> &'static str {
        "test.expiry"
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&["sagatest"])
    }
    fn react(&self, event: &Recorded) -> Reaction {
        let order = event.data["order"].clone();
        match event.event_type.as_str() {
            "agora.sagatest.order_placed" => Reaction {
                send: vec![Dispatch {
                    context: "sagatest".into(),
                    name: "reserved".into(),
                    payload: serde_json::json!({ "order": order }),
                }],
                set_timers: vec![SetTimer {
                    key: format!("expire:{}", order.as_str().unwrap()),
                    due_at: event.recorded_at + chrono::Duration::milliseconds(1000),
                    from_reaction: true,
                    payload: serde_json::json!({ "order": order }),
                }],
                cancel_timers: vec![],
            },
            "agora.sagatest.order_paid" => Reaction {
                cancel_timers: vec![format!("expire:{}", order.as_str().unwrap())],
                ..Reaction::default()
            },
            _ => Reaction::default(),
        }
    }
    fn on_timer(&self, _key: &str, payload: &serde_json::Value) -> Vec<Dispatch> {
        vec![Dispatch {
            context: "sagatest".into(),
            name: "expired".into(),
            payload: payload.clone(),
        }]
    }
}

/// Records each command as an event whose id derives from the command id: a repeated command
/// is an idempotent no-op append.
#[derive(Debug)]
struct Recorder {
    store: Arc<dyn EventStore>,
}

#[async_trait]
impl CommandHandler for Recorder {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let order = command.payload["order"].as_str().unwrap().to_owned();
        let stream = StreamId::of("sagaresult", order);
        let event = NewEvent {
            event_id: event_id_for(command.command_id, 0),
            event_type: format!("agora.sagatest.{}", command.name),
            schema_version: 1,
            data: command.payload.clone(),
            metadata: EventMetadata {
                command_id: Some(command.command_id),
                ..EventMetadata::default()
            },
        };
        let appended = self
            .store
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await?;
        Ok(CommandReply {
            command_id: command.command_id,
            outcome: CommandOutcome::Accepted {
                stream_id: stream.to_string(),
                stream_version: appended.stream_version,
                position: appended.position,
                body: serde_json::Value::Null,
            },
        })
    }
}

async fn record(store: &dyn EventStore, order: Uuid, kind: &str) {
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: format!("agora.sagatest.{kind}"),
        schema_version: 1,
        data: serde_json::json!({ "order": order.to_string() }),
        metadata: EventMetadata::default(),
    };
    store
        .append(
            &StreamId::of("sagaorder", order),
            ExpectedVersion::Any,
            vec![event],
        )
        .await
        .unwrap();
}

async fn outcomes(store: &dyn EventStore, order: Uuid) -> Vec<String> {
    store
        .read_stream(&StreamId::of("sagaresult", order), 1)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            r.event_type
                .trim_start_matches("agora.sagatest.")
                .to_owned()
        })
        .collect()
}

/// Six orders placed, the first two paid: what every saga test starts from.
async fn place_six_orders_pay_two(store: &dyn EventStore) -> Vec<Uuid> {
    let orders: Vec<Uuid> = (0..6).map(|_| Uuid::now_v7()).collect();
    for o in &orders {
        record(store, *o, "order_placed").await;
    }
    for o in &orders[..2] {
        record(store, *o, "order_paid").await;
    }
    orders
}

/// What order `i` of [`place_six_orders_pay_two`] must end with: paid ones are only reserved.
fn expected(i: usize) -> &'static [&'static str] {
    if i < 2 {
        &["reserved"]
    } else {
        &["reserved", "expired"]
    }
}

fn expiry_runner(db: &Database, bus: &Arc<InProcessCommandBus>) -> SagaRunner {
    SagaRunner::new(
        Arc::new(Expiry),
        db.read.clone(),
        db.kind,
        bus.clone(),
        Arc::new(SystemClock),
    )
}

async fn commands_and_timers_take_effect_once(store: Store) {
    let (db, bus) = recorded_on(store).await;
    let feed = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let runner = || expiry_runner(&db, &bus);

    let orders = place_six_orders_pay_two(db.store.as_ref()).await;
    let first = CancellationToken::new();
    tokio::spawn(runner().run(feed.clone(), first.clone()));
    for _ in 0..100 {
        let mut all = true;
        for (i, o) in orders.iter().enumerate() {
            all &= outcomes(db.store.as_ref(), *o).await == expected(i);
        }
        if all {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (i, o) in orders.iter().enumerate() {
        assert_eq!(
            outcomes(db.store.as_ref(), *o).await,
            expected(i),
            "order {i}"
        );
    }

    // Replay from the start with a second runner beside the first: same command ids, so no
    // second effect; fired timers do not fire again.
    sqlx::query("DELETE FROM checkpoints WHERE name = 'saga.test.expiry'")
        .execute(&db.read)
        .await
        .unwrap();
    let second = CancellationToken::new();
    tokio::spawn(runner().run(feed.clone(), second.clone()));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for (i, o) in orders.iter().enumerate() {
        assert_eq!(
            outcomes(db.store.as_ref(), *o).await,
            expected(i),
            "order {i} after replay"
        );
    }
    let fired: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM saga_timers WHERE fired_at IS NOT NULL")
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(fired, 4);
    first.cancel();
    second.cancel();
}

/// The same through Kafka: store -> relay -> consumer group -> saga, offsets stored with the
/// saga's state; a second runner (a new group, reading the topic from the start) changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_and_timers_take_effect_once_via_kafka() {
    use infrastructure::checkpoints::SqlCheckpointStore;
    use infrastructure::kafka::{KafkaConfig, KafkaFeed, KafkaRelay};

    let db = Database::open(
        &database_url(Store::Postgres).await,
        PoolSizes { store: 8, read: 4 },
    )
    .await
    .unwrap();
    let brokers =
        std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let config = KafkaConfig {
        partitions: 3,
        topic_prefix: format!("t{}", Uuid::now_v7().simple()),
        ..KafkaConfig::new(brokers)
    };
    let shutdown = CancellationToken::new();
    let relay = KafkaRelay::new(
        Arc::new(StoreFeed::new(Arc::clone(&db.store))),
        Arc::new(SqlCheckpointStore::new(db.read.clone())),
        config.clone(),
    )
    .unwrap();
    tokio::spawn(relay.run(shutdown.clone()));

    let bus = Arc::new(InProcessCommandBus::new(Duration::from_secs(10)));
    bus.register(
        "sagatest",
        Arc::new(Recorder {
            store: Arc::clone(&db.store),
        }),
        2,
    );
    let connect = {
        let config = config.clone();
        move |group: &str| {
            let group = format!(
                "{}.{group}.{}",
                config.topic_prefix,
                Uuid::now_v7().simple()
            );
            KafkaFeed::new(&config.brokers, &group, &[&config.all_event_topics()])
        }
    };
    let runner = || expiry_runner(&db, &bus);

    let orders = place_six_orders_pay_two(db.store.as_ref()).await;
    tokio::spawn(KafkaProjector::new().with_saga(runner()).run(
        "saga".into(),
        connect.clone(),
        shutdown.clone(),
    ));
    let mut done = false;
    for _ in 0..100 {
        let mut all = true;
        for (i, o) in orders.iter().enumerate() {
            all &= outcomes(db.store.as_ref(), *o).await == expected(i);
        }
        if all {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        done,
        "every order reserved once and the unpaid ones expired"
    );

    tokio::spawn(KafkaProjector::new().with_saga(runner()).run(
        "saga".into(),
        connect,
        shutdown.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (i, o) in orders.iter().enumerate() {
        assert_eq!(
            outcomes(db.store.as_ref(), *o).await,
            expected(i),
            "order {i} after a second runner"
        );
    }
    shutdown.cancel();
}

/// A feed that hands every event twice in its page, as a Kafka batch holding a copy the relay
/// produced again does.
#[derive(Debug)]
struct Doubling(Arc<StoreFeed>);

#[async_trait]
impl shared_kernel::EventFeed for Doubling {
    async fn next_page(
        &self,
        after: shared_kernel::Cursor,
        max: usize,
    ) -> Result<shared_kernel::Page, shared_kernel::FeedError> {
        let page = self.0.next_page(after, max).await?;
        Ok(page.into_iter().flat_map(|e| [Arc::clone(&e), e]).collect())
    }
}

/// Every event of a page twice (issue 23: a batch of copies failed on every retry with "ON
/// CONFLICT DO UPDATE command cannot affect row a second time"): each event is reacted to
/// once, the timers of paid orders are cancelled, the others fire once.
async fn a_page_holding_copies_is_reacted_to_once(store: Store) {
    let db = Database::open(&database_url(store).await, PoolSizes { store: 8, read: 4 })
        .await
        .unwrap();
    let bus = Arc::new(InProcessCommandBus::new(Duration::from_secs(10)));
    bus.register(
        "sagatest",
        Arc::new(Recorder {
            store: Arc::clone(&db.store),
        }),
        2,
    );
    let feed = Arc::new(Doubling(Arc::new(StoreFeed::new(Arc::clone(&db.store)))));
    // Everything recorded before the saga starts, so its first page holds every event twice.
    let orders = place_six_orders_pay_two(db.store.as_ref()).await;
    let stop = CancellationToken::new();
    tokio::spawn(expiry_runner(&db, &bus).run(feed, stop.clone()));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = true;
        for (i, o) in orders.iter().enumerate() {
            all &= outcomes(db.store.as_ref(), *o).await == expected(i);
        }
        if all {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the saga did not get past a page holding copies"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cancelled: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM saga_timers WHERE cancelled_at IS NOT NULL")
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(cancelled, 2, "the paid orders' timers are cancelled");
    stop.cancel();
}

common::on_both_stores!(
    commands_and_timers_take_effect_once,
    a_page_holding_copies_is_reacted_to_once
);

/// A fresh database of `store` and an in-process bus on which the `sagatest` context records
/// each command (see [`Recorder`]).
async fn recorded_on(store: Store) -> (Database, Arc<InProcessCommandBus>) {
    let db = Database::open(&database_url(store).await, PoolSizes { store: 8, read: 4 })
        .await
        .unwrap();
    let bus = Arc::new(InProcessCommandBus::new(Duration::from_secs(10)));
    bus.register(
        "sagatest",
        Arc::new(Recorder {
            store: Arc::clone(&db.store),
        }),
        2,
    );
    (db, bus)
}

/// A saga that reads an event late (its feed was down) counts the deadlines it sets from when
/// it reacted, not from when the event was recorded: issue 23's fault suite saw orders
/// cancelled by their payment deadline after a 30 s Kafka pause, before their payment had been
/// asked for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_reaction_counts_its_deadline_from_when_it_reacted() {
    let (db, bus) = recorded_on(Store::Postgres).await;
    let order = Uuid::now_v7();
    record(db.store.as_ref(), order, "order_placed").await;
    let placed = db
        .store
        .read_all(shared_kernel::Cursor::START, 1)
        .await
        .unwrap()[0]
        .recorded_at;
    // The saga first reads the order a minute after it was placed.
    let late = chrono::Duration::seconds(60);
    let clock = Arc::new(shared_kernel::FixedClock::at(placed + late));
    let runner = SagaRunner::new(
        Arc::new(Expiry),
        db.read.clone(),
        db.kind,
        bus.clone(),
        clock,
    );
    let stop = CancellationToken::new();
    tokio::spawn(runner.run(
        Arc::new(StoreFeed::new(Arc::clone(&db.store))),
        stop.clone(),
    ));
    let key = format!("expire:{order}");
    let mut due_at = None;
    for _ in 0..200 {
        due_at = sqlx::query_scalar::<_, i64>("SELECT due_at FROM saga_timers WHERE key = $1")
            .bind(&key)
            .fetch_optional(&db.read)
            .await
            .unwrap();
        if due_at.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    let expected = (placed + late + chrono::Duration::milliseconds(1000)).timestamp_millis();
    assert_eq!(
        due_at,
        Some(expected),
        "due a second after the reaction, not after the event"
    );
    assert_eq!(
        outcomes(db.store.as_ref(), order).await,
        ["reserved"],
        "not expired"
    );
}

/// The command bus, not answering while `down` is set: an outage of RabbitMQ as the saga
/// sees it.
#[derive(Debug)]
struct Flaky {
    bus: Arc<InProcessCommandBus>,
    down: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl shared_kernel::CommandBus for Flaky {
    async fn send(
        &self,
        command: CommandEnvelope,
    ) -> Result<CommandReply, shared_kernel::BusError> {
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(shared_kernel::BusError::Unavailable(
                "the broker does not answer".into(),
            ));
        }
        self.bus.send(command).await
    }
}

/// A deadline that falls due while the saga itself cannot work (its bus or database down)
/// fires only once the saga has been working again for a while: the step the outage held up
/// goes first. Issue 23's fault suite saw an order in flight when RabbitMQ stopped for 30 s
/// cancelled by its payment deadline as the platform came back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deadlines_wait_for_the_saga_to_work_again_after_an_outage() {
    let (db, inner) = recorded_on(Store::Postgres).await;
    let bus = Arc::new(Flaky {
        bus: inner,
        down: std::sync::atomic::AtomicBool::new(true),
    });
    let runner = SagaRunner::new(
        Arc::new(Expiry),
        db.read.clone(),
        db.kind,
        bus.clone(),
        Arc::new(SystemClock),
    );
    let stop = CancellationToken::new();
    tokio::spawn(runner.run(
        Arc::new(StoreFeed::new(Arc::clone(&db.store))),
        stop.clone(),
    ));
    let order = Uuid::now_v7();
    record(db.store.as_ref(), order, "order_placed").await;
    // Down past the order's 1 s deadline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    bus.down.store(false, std::sync::atomic::Ordering::SeqCst);
    let back = std::time::Instant::now();
    let mut seen = Vec::new();
    while back.elapsed() < Duration::from_secs(60) {
        seen = outcomes(db.store.as_ref(), order).await;
        if seen.len() == 2 {
            break;
        }
        if back.elapsed() < Duration::from_secs(10) {
            assert!(
                !seen.iter().any(|o| o == "expired"),
                "the deadline fired {:.1} s after the bus came back",
                back.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.cancel();
    assert_eq!(
        seen,
        ["reserved", "expired"],
        "the held-up step first, then the deadline"
    );
}
