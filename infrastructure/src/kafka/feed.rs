//! Reading events back from Kafka for projectors and sagas: one consumer group per reader,
//! offsets managed by the reader (stored with its read model), never auto-committed.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Headers, Message};
use rdkafka::{Offset, TopicPartitionList};
use shared_kernel::{Cursor, EventMetadata, Recorded, StreamId};

/// An event and where it sits in Kafka.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event: Recorded,
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

pub struct KafkaFeed {
    consumer: StreamConsumer,
    group: String,
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
        Self::with_fetch_wait(brokers, group, topics, DEFAULT_FETCH_WAIT)
    }

    /// [`Self::new`] with fetches waiting at most `fetch_wait` at the broker (`fetch.wait.max.ms`).
    ///
    /// # Errors
    /// The consumer cannot be created or subscribed.
    pub fn with_fetch_wait(
        brokers: &str,
        group: &str,
        topics: &[&str],
        fetch_wait: Duration,
    ) -> Result<Self, FeedError> {
        let consumer: StreamConsumer = ClientConfig::new()
            .set("bootstrap.servers", brokers)
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("topic.metadata.refresh.interval.ms", "2000")
            .set(
                "fetch.wait.max.ms",
                fetch_wait.as_millis().max(1).to_string(),
            )
            .create()?;
        consumer.subscribe(topics)?;
        Ok(Self {
            consumer,
            group: group.to_owned(),
        })
    }

    /// Up to `max` deliveries: waits for the first, then takes what arrives within `linger`
    /// (`Duration::ZERO`: only what is already buffered, adding no latency). A message that is
    /// not an Agora event is logged and skipped: one foreign message must not stop a reader.
    ///
    /// # Errors
    /// The broker failed.
    pub async fn next_batch(
        &self,
        max: usize,
        linger: Duration,
    ) -> Result<Vec<Delivery>, FeedError> {
        let mut batch = Vec::with_capacity(max);
        while batch.is_empty() {
            let first = self.consumer.recv().await?;
            batch.extend(skip_foreign(delivery(&first)));
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
