//! Reading the event log from Kafka (`--event-feed kafka`): one consumer per process, whose
//! batches fan out to every projection group and saga of the process (the Kafka twin of the
//! shared store feed), instead of one consumer group per read model.
//!
//! Partition offsets are stored in the read-model database. A projection group applies a
//! batch's relevant events and moves those partitions' offsets in one transaction, under the
//! offsets' row locks (exactly-once effect, whatever Kafka redelivers); offsets of partitions
//! whose messages it only skipped are stored lazily, at most [`LazyCheckpoints`] behind. A saga
//! stores its offsets lazily too (its reactions are idempotent). Kafka's own committed offsets
//! are only a hint for where the process resumes reading: the lowest offset every consumer of
//! the process has stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use infrastructure::kafka::{KafkaFeed, KafkaFeedError};
use sqlx::AnyPool;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::saga::SagaRunner;
use crate::{LazyCheckpoints, Progress, Projection, ProjectionError};

mod batch;
mod projection_consumer;
mod saga_consumer;

use self::batch::{Batch, RECENT_EVENTS, RecentEvents};
use self::projection_consumer::{Member, ProjectionConsumer};
use self::saga_consumer::SagaConsumer;

const BATCH: usize = 256;
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Batches in flight per consumer: a slower consumer holds the reader back only once this
/// many wait for it.
const QUEUE: usize = 64;
/// How often the process tells Kafka where it could resume.
const HINT_EVERY: Duration = Duration::from_secs(1);

type Partition = (String, i32);

/// Stored next offsets per partition, as one consumer last wrote or read them.
type Stored = Arc<Mutex<HashMap<Partition, i64>>>;

/// Something fed with Kafka batches.
#[async_trait]
trait Consumer: Send + std::fmt::Debug {
    fn name(&self) -> &str;
    /// Before the first batch: tables, timers.
    async fn prepare(&mut self, shutdown: &CancellationToken) -> Result<(), ProjectionError>;
    /// Handles one batch (each event once); on an error the same batch is handed again after
    /// a pause.
    async fn consume(&mut self, batch: &Batch) -> Result<(), ProjectionError>;
    /// When lazily kept offsets are next due.
    fn flush_at(&self) -> Option<Instant>;
    /// Stores lazily kept offsets (all of them with `force`).
    async fn flush(&mut self, force: bool);
    /// What this consumer has stored, for the resume hint.
    fn stored(&self) -> Stored;
}

/// The process's Kafka reader and what it feeds.
#[derive(Debug, Default)]
pub struct KafkaProjector {
    consumers: Vec<Box<dyn Consumer>>,
}

impl KafkaProjector {
    /// A reader with nothing to feed yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the projections of one context (applied in one transaction per batch) whose
    /// tables and offsets live in `pool`; their applied positions go to `progress` for
    /// read-your-writes waits.
    #[must_use]
    pub fn with_projections(
        mut self,
        name: &str,
        projections: Vec<Arc<dyn Projection>>,
        pool: AnyPool,
        progress: Option<&Progress>,
    ) -> Self {
        let members = projections
            .into_iter()
            .map(|projection| Member {
                applied: progress.map(|p| p.register_applied(projection.name())),
                projection,
                next: HashMap::new(),
                stored: Arc::default(),
                unsaved_since: None,
            })
            .collect();
        self.consumers.push(Box::new(ProjectionConsumer {
            name: name.to_owned(),
            members,
            pool,
            lazy: LazyCheckpoints::default(),
            lowest: Arc::default(),
        }));
        self
    }

    /// Feeds a saga (its timers run beside it).
    #[must_use]
    pub fn with_saga(mut self, saga: SagaRunner) -> Self {
        self.consumers.push(Box::new(SagaConsumer::new(saga)));
        self
    }

    /// Reads batches as a member of consumer group `group` (through `connect`) and hands each
    /// to every consumer, until `shutdown`. Tables are created first; sagas' timers run too.
    pub async fn run(
        self,
        group: String,
        connect: impl Fn(&str) -> Result<KafkaFeed, KafkaFeedError> + Send,
        shutdown: CancellationToken,
    ) {
        let group = group.as_str();
        let mut queues = Vec::with_capacity(self.consumers.len());
        let mut hints = Vec::with_capacity(self.consumers.len());
        // Owned here: when this task ends or is aborted, its consumers go with it.
        let mut tasks = tokio::task::JoinSet::new();
        for mut consumer in self.consumers {
            if let Err(e) = consumer.prepare(&shutdown).await {
                tracing::error!(consumer = consumer.name(), error = %e, "cannot start consuming");
                return;
            }
            let (tx, rx) = mpsc::channel(QUEUE);
            queues.push(tx);
            hints.push(consumer.stored());
            tasks.spawn(feed_consumer(consumer, rx, shutdown.clone()));
        }
        let mut next_hint = Instant::now() + HINT_EVERY;
        let mut recent = RecentEvents::new(RECENT_EVENTS);
        'connect: while !shutdown.is_cancelled() {
            let feed = match connect(group) {
                Ok(feed) => feed,
                Err(e) => {
                    tracing::warn!(group, error = %e, "cannot join consumer group");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            loop {
                let batch = tokio::select! {
                    batch = feed.next_batch(BATCH, Duration::ZERO) => batch,
                    () = shutdown.cancelled() => break 'connect,
                };
                match batch {
                    Ok(read) => {
                        let batch = recent.batch(read);
                        if batch.copies > 0 {
                            metrics::counter!("agora_kafka_duplicates_dropped_total")
                                .increment(batch.copies as u64);
                        }
                        let batch = Arc::new(batch);
                        for queue in &queues {
                            if queue.send(Arc::clone(&batch)).await.is_err() {
                                break 'connect;
                            }
                        }
                    }
                    Err(e @ KafkaFeedError::Stalled { .. }) => {
                        tracing::warn!(group, error = %e, "kafka consumer replaced");
                        metrics::counter!("agora_kafka_consumers_replaced_total").increment(1);
                        continue 'connect;
                    }
                    Err(e) => {
                        tracing::warn!(group, error = %e, "kafka read failed; retrying");
                        tokio::time::sleep(RETRY_PAUSE).await;
                    }
                }
                if Instant::now() >= next_hint {
                    feed.commit_hint(&resume_hint(&hints));
                    next_hint = Instant::now() + HINT_EVERY;
                }
            }
        }
        drop(queues);
        while tasks.join_next().await.is_some() {}
    }
}

/// Per partition, the lowest offset every consumer has stored (a partition some consumer has
/// not stored yet is left out: the group resumes there from its last hint).
fn resume_hint(consumers: &[Stored]) -> Vec<(String, i32, i64)> {
    let maps: Vec<HashMap<Partition, i64>> = consumers
        .iter()
        .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).clone())
        .collect();
    let Some((first, rest)) = maps.split_first() else {
        return Vec::new();
    };
    first
        .iter()
        .filter_map(|(partition, offset)| {
            rest.iter()
                .map(|m| m.get(partition).copied())
                .try_fold(*offset, |low, o| o.map(|o| low.min(o)))
                .map(|low| (partition.0.clone(), partition.1, low))
        })
        .collect()
}

/// One consumer's loop: batches as they come, lazy offsets when due, a final flush at the end.
async fn feed_consumer(
    mut consumer: Box<dyn Consumer>,
    mut batches: mpsc::Receiver<Arc<Batch>>,
    shutdown: CancellationToken,
) {
    loop {
        let flush_at = consumer
            .flush_at()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
        let batch = tokio::select! {
            batch = batches.recv() => batch,
            () = tokio::time::sleep_until(flush_at) => {
                consumer.flush(false).await;
                continue;
            }
        };
        let Some(batch) = batch else { break };
        while let Err(e) = consumer.consume(&batch).await {
            tracing::error!(consumer = consumer.name(), error = %e, "kafka batch failed; retrying it");
            metrics::counter!("agora_projection_failures_total", "group" => consumer.name().to_owned())
                .increment(1);
            tokio::select! {
                () = tokio::time::sleep(RETRY_PAUSE) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }
    consumer.flush(true).await;
}

/// Stores `offsets` (never moving one back), in one transaction.
pub(super) async fn store_offsets(
    pool: &AnyPool,
    consumer: &str,
    offsets: &[(Partition, i64)],
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for ((topic, partition), next) in offsets {
        sqlx::query(
            "INSERT INTO kafka_offsets (consumer, topic, partition, next_offset) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (consumer, topic, partition) DO UPDATE \
             SET next_offset = excluded.next_offset \
             WHERE kafka_offsets.next_offset < excluded.next_offset",
        )
        .bind(consumer)
        .bind(topic.as_str())
        .bind(*partition)
        .bind(*next)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hint_is_the_lowest_offset_every_consumer_stored() {
        let a: Stored = Arc::new(Mutex::new(HashMap::from([
            (("t".into(), 0), 10),
            (("t".into(), 1), 5),
        ])));
        let b: Stored = Arc::new(Mutex::new(HashMap::from([(("t".into(), 0), 7)])));
        let mut hint = resume_hint(&[a, b]);
        hint.sort();
        assert_eq!(hint, vec![("t".to_owned(), 0, 7)]);
    }
}
