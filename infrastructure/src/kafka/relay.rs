//! The relay: the events table is the outbox. It reads the global log in order from the
//! process's shared feed, produces each event to its context's topic keyed by stream id (one
//! stream, one partition, in order), and moves its checkpoint only past events whose delivery
//! was reported. The checkpoint is stored lazily (at most a second behind): at-least-once,
//! after a crash up to that much is produced again, and consumers deduplicate by event id or
//! stream version.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::SecondsFormat;
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::types::RDKafkaErrorCode;
use shared_kernel::{CheckpointStore, Cursor, EventFeed, FeedError, Recorded, StoreError};
use tokio_util::sync::CancellationToken;

use super::KafkaConfig;

/// The relay's checkpoint name.
pub const RELAY_CHECKPOINT: &str = "relay.kafka";
const BATCH: usize = 500;
const RETRY_PAUSE: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct KafkaRelay {
    feed: Arc<dyn EventFeed>,
    checkpoints: Arc<dyn CheckpointStore>,
    publisher: KafkaPublisher,
}

/// Produces stored events to their contexts' topics, keyed by stream id, with the CloudEvents
/// headers (confidential data withheld): what the relay does with each page, and what
/// `agora events replay --to kafka` does with a range of the log.
pub struct KafkaPublisher {
    producer: FutureProducer,
    /// Created only while topics are created: an idle Kafka client still wakes up now and then.
    admin: Option<AdminClient<DefaultClientContext>>,
    config: KafkaConfig,
    topics: HashSet<String>,
}

impl std::fmt::Debug for KafkaRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaRelay")
            .field("config", &self.publisher.config)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for KafkaPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaPublisher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// CloudEvents binary mode: the attributes as `ce_*` headers, the data as the message value.
#[must_use]
pub fn cloudevents_headers(e: &Recorded) -> OwnedHeaders {
    let mut attributes = vec![
        ("ce_specversion", "1.0".to_owned()),
        ("ce_id", e.event_id.to_string()),
        ("ce_source", e.cloudevents_source()),
        ("ce_type", e.cloudevents_type()),
        ("ce_subject", e.stream_id.to_string()),
        (
            "ce_time",
            e.recorded_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        ),
        ("content-type", "application/json".to_owned()),
        ("ce_streamversion", e.stream_version.to_string()),
        ("ce_position", e.position.to_string()),
    ];
    if let Some(id) = e.metadata.correlation_id {
        attributes.push(("ce_correlationid", id.to_string()));
    }
    if let Some(id) = e.metadata.causation_id {
        attributes.push(("ce_causationid", id.to_string()));
    }
    if let Some(actor) = &e.metadata.actor {
        attributes.push(("ce_actor", actor.clone()));
    }
    attributes
        .into_iter()
        .fold(OwnedHeaders::new(), |headers, (key, value)| {
            headers.insert(Header {
                key,
                value: Some(value.as_bytes()),
            })
        })
}

impl KafkaRelay {
    /// # Errors
    /// The producer or admin client cannot be created from the configuration.
    pub fn new(
        feed: Arc<dyn EventFeed>,
        checkpoints: Arc<dyn CheckpointStore>,
        config: KafkaConfig,
    ) -> Result<Self, RelayError> {
        Ok(Self {
            feed,
            checkpoints,
            publisher: KafkaPublisher::new(config)?,
        })
    }
}

impl KafkaPublisher {
    /// # Errors
    /// The producer cannot be created from the configuration.
    pub fn new(config: KafkaConfig) -> Result<Self, RelayError> {
        let producer: FutureProducer = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            // Exactly one copy per send, in order per partition, despite internal retries.
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // Never give up on a message: during an outage the relay waits instead of skipping.
            .set("message.timeout.ms", "0")
            .set("linger.ms", "5")
            .set("compression.type", "lz4")
            .create()?;
        Ok(Self {
            producer,
            admin: None,
            config,
            topics: HashSet::new(),
        })
    }

    async fn ensure_topic(&mut self, name: &str) -> Result<(), RelayError> {
        if self.topics.contains(name) {
            return Ok(());
        }
        let new = NewTopic::new(
            name,
            self.config.partitions,
            TopicReplication::Fixed(self.config.replication),
        );
        if self.admin.is_none() {
            self.admin = Some(
                ClientConfig::new()
                    .set("bootstrap.servers", &self.config.brokers)
                    .create()?,
            );
        }
        let Some(admin) = self.admin.as_ref() else {
            return Ok(());
        };
        let results = admin.create_topics([&new], &AdminOptions::new()).await?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    return Err(RelayError::Kafka(KafkaError::AdminOp(code))).inspect_err(|_| {
                        tracing::warn!(%topic, ?code, "cannot create topic");
                    });
                }
            }
        }
        self.topics.insert(name.to_owned());
        Ok(())
    }

    /// Produces `events` and waits for every delivery report. On a failed report, the batch is
    /// produced again from the first failure (the idempotent producer never leaves a gap in a
    /// partition, so what follows a failure in its partition failed too).
    ///
    /// # Errors
    /// A topic cannot be created, or a message cannot be enqueued.
    pub async fn publish(&mut self, events: &[&Recorded]) -> Result<(), RelayError> {
        let mut from = 0;
        while from < events.len() {
            for e in &events[from..] {
                self.ensure_topic(&self.config.topic(e.context())).await?;
            }
            // Topics exist: the admin client goes until a new context shows up.
            self.admin = None;
            let mut reports = Vec::with_capacity(events.len() - from);
            for e in &events[from..] {
                // Confidential data (a password hash) never leaves the store; the event itself
                // still goes out, so every stream's versions stay contiguous for consumers.
                let withheld = self.config.withheld.contains(&e.event_type);
                let payload = if withheld {
                    b"null".to_vec()
                } else {
                    serde_json::to_vec(&e.data).unwrap_or_default()
                };
                let mut headers = cloudevents_headers(e);
                if withheld {
                    headers = headers.insert(Header {
                        key: "ce_withheld",
                        value: Some("true"),
                    });
                }
                let key = e.stream_id.to_string();
                let topic = self.config.topic(e.context());
                let mut record = FutureRecord::to(&topic)
                    .key(&key)
                    .payload(&payload)
                    .headers(headers);
                // Enqueue without awaiting delivery; wait only while the local queue is full.
                let report = loop {
                    match self.producer.send_result(record) {
                        Ok(report) => break report,
                        Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                            record = back;
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Err((e, _)) => return Err(e.into()),
                    }
                };
                reports.push(report);
            }
            let results = futures::future::join_all(reports).await;
            let failed_at = results.iter().position(|r| !matches!(r, Ok(Ok(_))));
            match failed_at {
                None => return Ok(()),
                Some(failed) => {
                    match results.get(failed) {
                        Some(Ok(Err((e, _)))) => {
                            tracing::warn!(error = %e, "delivery failed; producing again from the first failure");
                        }
                        _ => tracing::warn!("delivery report lost; producing again from there"),
                    }
                    from += failed;
                    tokio::time::sleep(RETRY_PAUSE).await;
                }
            }
        }
        Ok(())
    }
}

impl KafkaRelay {
    /// Relays until `shutdown`; resumes from the checkpoint.
    ///
    /// # Errors
    /// The checkpoint cannot be read or stored.
    pub async fn run(mut self, shutdown: CancellationToken) -> Result<(), RelayError> {
        let mut stored = self
            .checkpoints
            .load(RELAY_CHECKPOINT)
            .await?
            .unwrap_or_default();
        let mut delivered = stored;
        tracing::info!(from = %stored, brokers = %self.publisher.config.brokers, "relay starting");
        let mut save_at: Option<tokio::time::Instant> = None;
        let feed = Arc::clone(&self.feed);
        let every = self.publisher.config.relay_checkpoint_every;
        loop {
            let due = save_at.unwrap_or_else(|| tokio::time::Instant::now() + every);
            let page = tokio::select! {
                page = feed.next_page(delivered, BATCH) => page,
                () = tokio::time::sleep_until(due), if save_at.is_some() => {
                    self.save(&mut stored, delivered).await?;
                    save_at = None;
                    continue;
                }
                () = shutdown.cancelled() => break,
            };
            let events = match page {
                Ok(events) => events,
                Err(FeedError::Store(e)) => {
                    tracing::warn!(error = %e, "relay cannot read the store; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "relay cannot read the feed; retrying");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            let Some(last) = events.last().map(|e| e.cursor) else {
                continue;
            };
            let events: Vec<&Recorded> = events.iter().map(AsRef::as_ref).collect();
            tokio::select! {
                result = self.publisher.publish(&events) => result?,
                () = shutdown.cancelled() => break,
            }
            delivered = last;
            if every.is_zero() {
                self.save(&mut stored, delivered).await?;
            } else {
                save_at.get_or_insert_with(|| tokio::time::Instant::now() + every);
            }
            metrics::counter!("agora_relayed_events_total").increment(events.len() as u64);
            metrics::gauge!("agora_relay_position").set(last.position as f64);
        }
        self.save(&mut stored, delivered).await
    }

    async fn save(&self, stored: &mut Cursor, delivered: Cursor) -> Result<(), RelayError> {
        if delivered > *stored {
            self.checkpoints.save(RELAY_CHECKPOINT, delivered).await?;
            *stored = delivered;
        }
        Ok(())
    }
}
