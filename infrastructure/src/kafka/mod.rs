//! Kafka adapters (rdkafka): the relay that publishes the store's events, one topic per context.

mod feed;
mod relay;

pub use feed::{
    ALL_EVENT_TOPICS, Delivery, FeedError as KafkaFeedError, KafkaFeed, recorded_from_message,
};
pub use relay::{KafkaRelay, RELAY_CHECKPOINT, RelayError, cloudevents_headers};

/// Broker and topic settings.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Bootstrap servers, `host:port[,host:port]`.
    pub brokers: String,
    /// Partitions of each topic the relay creates.
    pub partitions: i32,
    /// Replication factor of each topic the relay creates.
    pub replication: i32,
}

impl KafkaConfig {
    #[must_use]
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            partitions: 6,
            replication: 1,
        }
    }
}

/// The topic of a context's events: `agora.<context>.events`.
#[must_use]
pub fn topic(context: &str) -> String {
    format!("agora.{context}.events")
}
