//! Reading events back from Kafka for projectors and sagas: one consumer group per reader,
//! offsets managed by the reader (stored with its read model), never auto-committed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{ClientConfig, ClientContext};
use rdkafka::{Offset, TopicPartitionList};
use shared_kernel::{Cursor, EventMetadata, Recorded, StreamId};

use super::watchdog::{self, LastRebalance, WATCH_EVERY};

/// An event and where it sits in Kafka.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Recorded,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

pub struct KafkaFeed {
    consumer: Arc<StreamConsumer<GroupContext>>,
    group: String,
    /// The subscription: topic names, or regular expressions starting with `^`.
    patterns: Vec<String>,
    session_timeout: Duration,
}

/// How a consumer reads: how long a fetch waits at the broker, and how long the group waits
/// for a member that stopped answering before it hands that member's partitions on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// `fetch.wait.max.ms`, see [`DEFAULT_FETCH_WAIT`].
    pub fetch_wait: Duration,
    /// `session.timeout.ms`, see [`DEFAULT_SESSION_TIMEOUT`].
    pub session_timeout: Duration,
}

impl Default for ConsumerSettings {
    fn default() -> Self {
        Self {
            fetch_wait: DEFAULT_FETCH_WAIT,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
        }
    }
}

/// How long the group coordinator keeps a member that stopped heartbeating (a killed process)
/// before it hands that member's partitions to the others, or to its own restart: until then
/// nobody reads them. librdkafka's default is 45 s, longer than an order's payment deadline
/// (30 s): a process restarted after `kill -9` read nothing for 45 s, and the orders it had
/// acknowledged were cancelled by their deadline as soon as it caught up (issue 23). 6 s is
/// the smallest session a Kafka broker accepts by default (`group.min.session.timeout.ms`);
/// heartbeats go every third of it.
pub const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(6);

/// Logs the group's hand-overs: without them a process waiting for its partitions (held by a
/// member that died until its session times out) is silent about why it reads nothing.
struct GroupContext {
    group: String,
    last_rebalance: LastRebalance,
    /// The partitions of the subscribed topics when last counted (by the watchdog).
    known_partitions: AtomicUsize,
}

impl ClientContext for GroupContext {
    /// librdkafka's global errors (a subscription to topics not created yet, on a platform
    /// without events; a broker gone away) are retried by librdkafka itself: warnings, except
    /// a fatal one, after which this consumer reads nothing more.
    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(rdkafka::types::RDKafkaErrorCode::Fatal) {
            tracing::error!(group = %self.group, error = %error, reason, "kafka consumer failed");
        } else {
            tracing::warn!(group = %self.group, error = %error, reason, "kafka consumer error (retried)");
        }
    }
}

impl ConsumerContext for GroupContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        self.last_rebalance.touch();
        match rebalance {
            Rebalance::Assign(partitions) => {
                tracing::info!(group = %self.group, partitions = partitions.count(), "kafka partitions assigned");
            }
            Rebalance::Revoke(partitions) => {
                tracing::info!(group = %self.group, partitions = partitions.count(), "kafka partitions revoked");
            }
            Rebalance::Error(e) => {
                tracing::warn!(group = %self.group, error = %e, "kafka rebalance failed");
            }
        }
    }
}

impl Drop for KafkaFeed {
    /// Closing a consumer leaves its group, a blocking round trip to the broker: done off the
    /// async workers. A check in flight holds the other handle and closes it when done.
    fn drop(&mut self) {
        if Arc::strong_count(&self.consumer) > 1 {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let consumer = Arc::clone(&self.consumer);
            drop(runtime.spawn_blocking(move || drop(consumer)));
        }
    }
}

impl std::fmt::Debug for KafkaFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaFeed")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// Alone in its group (or not in it) with partitions nobody reads: drop the feed and join
    /// with a new one (see the `watchdog` module).
    #[error("kafka consumer of group {group} stalled ({why}): rejoining with a new consumer")]
    Stalled { group: String, why: String },
    #[error("message {topic}/{partition}@{offset} is not an Agora event: {reason}")]
    NotAnEvent {
        topic: String,
        partition: i32,
        offset: i64,
        reason: String,
    },
}

/// How long a fetch may wait at the broker for data by default (librdkafka's own default is
/// 500 ms). Kafka answers a fetch as soon as data arrives, whatever this is; some brokers
/// (tansu) answer only when it runs out, so it bounds the latency of every hop through Kafka.
/// An idle consumer sends about one fetch per wait per broker: 10 ms costs under 1% of a core.
pub const DEFAULT_FETCH_WAIT: Duration = Duration::from_millis(10);

impl KafkaFeed {
    /// Joins consumer group `group` on the topics matching `topics` (a name, or a regex
    /// starting with `^`), with fetches waiting at most [`DEFAULT_FETCH_WAIT`]. Starts from the
    /// earliest offset when the group has none: the reader skips what its stored offsets say
    /// it has applied.
    ///
    /// # Errors
    /// The consumer cannot be created or subscribed.
    pub fn new(brokers: &str, group: &str, topics: &[&str]) -> Result<Self, FeedError> {
        Self::with_settings(brokers, group, topics, ConsumerSettings::default())
    }

    /// [`Self::new`] with these fetch and session settings.
    ///
    /// # Errors
    /// The consumer cannot be created or subscribed.
    pub fn with_settings(
        brokers: &str,
        group: &str,
        topics: &[&str],
        settings: ConsumerSettings,
    ) -> Result<Self, FeedError> {
        let millis = |d: Duration| d.as_millis().max(1).to_string();
        let session = settings.session_timeout.max(Duration::from_millis(3));
        let consumer: StreamConsumer<GroupContext> = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("topic.metadata.refresh.interval.ms", "2000")
            .set("fetch.wait.max.ms", millis(settings.fetch_wait))
            .set("session.timeout.ms", millis(session))
            .set("heartbeat.interval.ms", millis(session / 3))
            .create_with_context(GroupContext {
                group: group.to_owned(),
                last_rebalance: LastRebalance::now(),
                known_partitions: AtomicUsize::new(usize::MAX),
            })?;
        consumer.subscribe(topics)?;
        tracing::info!(
            group,
            session_timeout = ?session,
            "joining kafka consumer group (partitions a member that died held are handed over when its session times out)"
        );
        Ok(Self {
            consumer: Arc::new(consumer),
            group: group.to_owned(),
            patterns: topics.iter().map(|t| (*t).to_owned()).collect(),
            session_timeout: session,
        })
    }

    /// Up to `max` deliveries: waits for the first, then takes what arrives within `linger`
    /// (`Duration::ZERO`: only what is already buffered, adding no latency). A message that is
    /// not an Agora event is logged and skipped: one foreign message must not stop a reader.
    ///
    /// # Errors
    /// The broker failed, or [`FeedError::Stalled`]: drop this feed and join with a new one.
    pub async fn next_batch(
        &self,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<Delivery>, FeedError> {
        let mut batch = Vec::with_capacity(max);
        while batch.is_empty() {
            match tokio::time::timeout(WATCH_EVERY, self.consumer.recv()).await {
                Ok(first) => batch.extend(skip_foreign(delivery(&first?))),
                Err(_) => self.watch().await?,
            }
        }
        let deadline = tokio::time::Instant::now() + linger;
        while batch.len() < max {
            match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Ok(message) => batch.extend(skip_foreign(delivery(&message?))),
                Err(_) => break,
            }
        }
        Ok(batch)
    }

    /// Nothing arrived for [`WATCH_EVERY`]: once the group has been quiet for a session
    /// timeout, checks that this consumer is not stalled (see the `watchdog` module).
    async fn watch(&self) -> Result<(), FeedError> {
        let context = self.consumer.context();
        if context.last_rebalance.elapsed() < self.session_timeout {
            return Ok(());
        }
        let held = self.consumer.assignment().map_or(0, |a| a.count());
        if held > 0 && held >= context.known_partitions.load(AtomicOrdering::Relaxed) {
            return Ok(()); // holds what it held when last counted: no broker call
        }
        let (consumer, group, patterns) = (
            Arc::clone(&self.consumer),
            self.group.clone(),
            self.patterns.clone(),
        );
        let stalled = tokio::task::spawn_blocking(move || {
            let verdict = watchdog::stall(&consumer, &group, &patterns);
            if let Some(total) = verdict.total {
                consumer
                    .context()
                    .known_partitions
                    .store(total, AtomicOrdering::Relaxed);
            }
            verdict.stalled
        })
        .await
        .ok()
        .flatten();
        match stalled {
            Some(why) => Err(FeedError::Stalled {
                group: self.group.clone(),
                why,
            }),
            None => Ok(()),
        }
    }

    /// Tells the group how far this reader got, so a restart resumes near there. Only a hint:
    /// the stored offsets decide what is applied.
    pub fn commit_hint(&self, offsets: &[(String, i32, i64)]) {
        let mut list = TopicPartitionList::new();
        for (topic, partition, next) in offsets {
            let _ = list.add_partition_offset(topic, *partition, Offset::Offset(*next));
        }
        if let Err(e) = self.consumer.commit(&list, CommitMode::Async) {
            tracing::debug!(error = %e, "offset commit hint failed");
        }
    }
}

fn skip_foreign(delivery: Result<Delivery, FeedError>) -> Option<Delivery> {
    match delivery {
        Ok(d) => Some(d),
        Err(e) => {
            metrics::counter!("agora_kafka_foreign_messages_total").increment(1);
            tracing::warn!(error = %e, "skipping a message that is not an Agora event");
            None
        }
    }
}

fn delivery(message: &BorrowedMessage<'_>) -> Result<Delivery, FeedError> {
    let (topic, partition, offset) = (
        message.topic().to_owned(),
        message.partition(),
        message.offset(),
    );
    let event = recorded_from_message(message).map_err(|reason| FeedError::NotAnEvent {
        topic: topic.clone(),
        partition,
        offset,
        reason,
    })?;
    Ok(Delivery {
        event,
        topic,
        partition,
        offset,
    })
}

/// The inverse of the relay's CloudEvents binary mode.
///
/// # Errors
/// A missing or malformed attribute.
pub fn recorded_from_message(message: &BorrowedMessage<'_>) -> Result<Recorded, String> {
    let headers = message.headers().ok_or("no headers")?;
    let header = |name: &str| -> Result<String, String> {
        headers
            .iter()
            .find(|h| h.key == name)
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .ok_or_else(|| format!("missing {name}"))
    };
    let optional = |name: &str| header(name).ok();
    let ce_type = header("ce_type")?;
    let (event_type, version) = ce_type.rsplit_once(".v").ok_or("ce_type without version")?;
    let position: u64 = header("ce_position")?
        .parse()
        .map_err(|_| "bad ce_position")?;
    let uuid = |v: Option<String>| v.and_then(|s| s.parse().ok());
    Ok(Recorded {
        event_id: header("ce_id")?.parse().map_err(|_| "bad ce_id")?,
        stream_id: StreamId::parse(&header("ce_subject")?).map_err(|e| e.to_string())?,
        stream_version: header("ce_streamversion")?
            .parse()
            .map_err(|_| "bad ce_streamversion")?,
        position,
        // Kafka does not carry the store's transaction order; the position alone identifies it.
        cursor: Cursor::new(0, position),
        event_type: event_type.to_owned(),
        schema_version: version.parse().map_err(|_| "bad schema version")?,
        data: serde_json::from_slice(message.payload().unwrap_or(b"null"))
            .map_err(|e| e.to_string())?,
        metadata: EventMetadata {
            correlation_id: uuid(optional("ce_correlationid")),
            causation_id: uuid(optional("ce_causationid")),
            actor: optional("ce_actor"),
            command_id: None,
        },
        recorded_at: DateTime::parse_from_rfc3339(&header("ce_time")?)
            .map_err(|e| e.to_string())?
            .with_timezone(&Utc),
    })
}
