//! Helpers for relay tests: a store with events of a context of its own, a relay, and a
//! consumer that checks every stream arrives complete and in order.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use infrastructure::checkpoints::SqlCheckpointStore;
use infrastructure::kafka::{KafkaConfig, KafkaRelay, topic};
use infrastructure::postgres::{self, PgEventStore};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{Headers, Message};
use shared_kernel::{EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamId};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub fn brokers() -> String {
    std::env::var("AGORA_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

pub struct Fixture {
    pub store: Arc<dyn EventStore>,
    pub checkpoints: Arc<SqlCheckpointStore>,
    pub context: String,
}

pub async fn fixture() -> Fixture {
    let url = infrastructure::testing::fresh_postgres_url().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    postgres::migrate(&pool).await.unwrap();
    sqlx::any::install_default_drivers();
    let any = sqlx::AnyPool::connect(&url).await.unwrap();
    Fixture {
        store: Arc::new(PgEventStore::new(pool)),
        checkpoints: Arc::new(SqlCheckpointStore::new(any)),
        context: format!("test{}", Uuid::now_v7().simple()),
    }
}

impl Fixture {
    pub fn event(&self, n: usize) -> NewEvent {
        NewEvent {
            event_id: Uuid::now_v7(),
            event_type: format!("agora.{}.happened", self.context),
            schema_version: 1,
            data: serde_json::json!({ "n": n }),
            metadata: EventMetadata {
                actor: Some("tester".into()),
                ..EventMetadata::default()
            },
        }
    }

    /// Appends `per_stream` events to each of `streams` streams, interleaved.
    pub async fn append(&self, streams: &[StreamId], per_stream: usize, start: usize) {
        for round in start..start + per_stream {
            for s in streams {
                self.store
                    .append(s, ExpectedVersion::Any, vec![self.event(round)])
                    .await
                    .unwrap();
            }
        }
    }

    pub fn spawn_relay(&self, shutdown: CancellationToken) -> tokio::task::JoinHandle<()> {
        let mut config = KafkaConfig::new(brokers());
        config.partitions = 3;
        config.withheld = vec![format!("agora.{}.secret_set", self.context)];
        let feed = Arc::new(infrastructure::inprocess::StoreFeed::new(Arc::clone(
            &self.store,
        )));
        let relay = KafkaRelay::new(feed, self.checkpoints.clone(), config).unwrap();
        tokio::spawn(async move { relay.run(shutdown).await.unwrap() })
    }

    pub fn consumer(&self) -> StreamConsumer {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers())
            .set("group.id", format!("test-{}", Uuid::now_v7().simple()))
            .set("auto.offset.reset", "earliest")
            .set("enable.auto.commit", "false")
            .set("topic.metadata.refresh.interval.ms", "500")
            .create()
            .unwrap();
        consumer.subscribe(&[&topic(&self.context)]).unwrap();
        consumer
    }
}

/// Consumes until `expected` distinct events arrived; asserts each stream's versions arrive in
/// order (a redelivered duplicate may repeat an old version, never skip one). Returns the count
/// of duplicates seen.
pub async fn consume_in_order(
    consumer: &StreamConsumer,
    expected: usize,
    within: Duration,
) -> usize {
    let started = Instant::now();
    let mut seen = HashSet::new();
    let mut last: HashMap<String, u64> = HashMap::new();
    let mut duplicates = 0;
    while seen.len() < expected {
        assert!(
            started.elapsed() < within,
            "only {} of {expected} events arrived",
            seen.len()
        );
        let Ok(Ok(message)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let headers = message.headers().unwrap();
        let header = |name: &str| {
            headers
                .iter()
                .find(|h| h.key == name)
                .and_then(|h| h.value)
                .map(|v| String::from_utf8(v.to_vec()).unwrap())
                .unwrap_or_else(|| panic!("missing header {name}"))
        };
        let id = header("ce_id");
        let subject = header("ce_subject");
        assert_eq!(header("ce_specversion"), "1.0");
        assert!(header("ce_type").ends_with(".happened.v1"));
        assert_eq!(
            message
                .key()
                .map(|k| String::from_utf8(k.to_vec()).unwrap()),
            Some(subject.clone())
        );
        let version: u64 = header("ce_streamversion").parse().unwrap();
        let data: serde_json::Value = serde_json::from_slice(message.payload().unwrap()).unwrap();
        assert!(data["n"].is_u64());
        let prev = last.get(&subject).copied().unwrap_or(0);
        if seen.insert(id) {
            assert_eq!(
                version,
                prev + 1,
                "{subject}: version {version} after {prev}"
            );
            last.insert(subject, version);
        } else {
            duplicates += 1;
            assert!(version <= prev, "a duplicate cannot be ahead of its stream");
        }
    }
    duplicates
}
