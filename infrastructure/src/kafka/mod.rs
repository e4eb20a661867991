//! Kafka adapters (rdkafka): the relay that publishes the store's events, one topic per context.

mod feed;
mod relay;
mod watchdog;

pub use feed::{
    ConsumerSettings, DEFAULT_FETCH_WAIT, DEFAULT_SESSION_TIMEOUT, Delivery,
    FeedError as KafkaFeedError, KafkaFeed, recorded_from_message,
};
pub use relay::{KafkaPublisher, KafkaRelay, RELAY_CHECKPOINT, RelayError, cloudevents_headers};
pub use watchdog::WATCH_EVERY;

/// Broker and topic settings.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port]`.
    pub brokers: String,
    /// Partitions of each topic the relay creates.
    pub partitions: i32,
    /// Replication factor of each topic the relay creates.
    pub replication: i32,
    /// First segment of every topic name, so several deployments can share a cluster.
    pub topic_prefix: String,
    /// Event types whose data is confidential: relayed with a `null` value and the header
    /// `ce_withheld: true`.
    pub withheld: Vec<String>,
    /// How long a consumer's fetch may wait at the broker (see [`DEFAULT_FETCH_WAIT`]).
    pub fetch_wait: std::time::Duration,
    /// How long a consumer group waits for a member that stopped answering before handing its
    /// partitions on (see [`DEFAULT_SESSION_TIMEOUT`]).
    pub session_timeout: std::time::Duration,
    /// How far the relay's stored checkpoint may lag behind what it delivered (a crash
    /// produces that much again).
    pub relay_checkpoint_every: std::time::Duration,
}

impl KafkaConfig {
    #[must_use]
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            partitions: 6,
            replication: 1,
            topic_prefix: "agora".into(),
            withheld: Vec::new(),
            fetch_wait: DEFAULT_FETCH_WAIT,
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            relay_checkpoint_every: std::time::Duration::from_secs(1),
        }
    }

    /// The topic of a context's events: `<prefix>.<context>.events`.
    #[must_use]
    pub fn topic(&self, context: &str) -> String {
        format!("{}.{context}.events", self.topic_prefix)
    }

    /// A consumer of every context's topic under the prefix, as member of group
    /// `<prefix>.<group>`.
    ///
    /// # Errors
    /// The consumer cannot be created or subscribed.
    pub fn consumer(&self, group: &str) -> Result<KafkaFeed, KafkaFeedError> {
        KafkaFeed::with_settings(
            &self.brokers,
            &format!("{}.{group}", self.topic_prefix),
            &[&self.all_event_topics()],
            ConsumerSettings {
                fetch_wait: self.fetch_wait,
                session_timeout: self.session_timeout,
            },
        )
    }

    /// A subscription pattern (librdkafka regex) for every context's topic under the prefix.
    #[must_use]
    pub fn all_event_topics(&self) -> String {
        format!(r"^{}\..*\.events$", self.topic_prefix.replace('.', r"\."))
    }
}

/// The topic of a context's events under the default prefix: `agora.<context>.events`.
#[must_use]
pub fn topic(context: &str) -> String {
    format!("agora.{context}.events")
}

/// Whether the brokers answer a metadata request within `timeout` (readiness checks). Opens a
/// short-lived client: an idle one kept for this would wake up and reconnect on its own.
///
/// # Errors
/// The client cannot be created, or no broker answered in time.
pub async fn probe(brokers: &str, timeout: std::time::Duration) -> Result<(), KafkaFeedError> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .map_err(KafkaFeedError::Kafka)?;
    tokio::task::spawn_blocking(move || {
        consumer
            .fetch_metadata(None, timeout)
            .map(|_| ())
            .map_err(KafkaFeedError::Kafka)
    })
    .await
    .unwrap_or_else(|_| Err(KafkaFeedError::Kafka(rdkafka::error::KafkaError::Canceled)))
}
