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
use infrastructure::checkpoints;
use infrastructure::kafka::{Delivery, KafkaFeed, KafkaFeedError};
use shared_kernel::Recorded;
use sqlx::AnyPool;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::saga::SagaRunner;
use crate::{AppliedPositions, LazyCheckpoints, Progress, Projection, ProjectionError};

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
    /// Handles one batch; on an error the same batch is handed again after a pause.
    async fn consume(&mut self, batch: &[Delivery]) -> Result<(), ProjectionError>;
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
                    Ok(batch) => {
                        let batch = Arc::new(batch);
                        for queue in &queues {
                            if queue.send(Arc::clone(&batch)).await.is_err() {
                                break 'connect;
                            }
                        }
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
    mut batches: mpsc::Receiver<Arc<Vec<Delivery>>>,
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

/// The partitions of `batch`, each with the offset after its last message in the batch.
fn ends(batch: &[Delivery]) -> HashMap<Partition, i64> {
    let mut ends: HashMap<Partition, i64> = HashMap::new();
    for d in batch {
        let end = ends.entry((d.topic.clone(), d.partition)).or_default();
        *end = (*end).max(d.offset + 1);
    }
    ends
}

/// Stores `offsets` (never moving one back), in one transaction.
async fn store_offsets(
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

/// One projection of a Kafka-fed group.
#[derive(Debug)]
struct Member {
    projection: Arc<dyn Projection>,
    applied: Option<Arc<AppliedPositions>>,
    /// Per partition, the offset before which everything is reflected (applied or skipped).
    next: HashMap<Partition, i64>,
    stored: Stored,
    unsaved_since: Option<Instant>,
}

impl Member {
    fn name(&self) -> &'static str {
        self.projection.name()
    }

    fn stored_of(&self, partition: &Partition) -> Option<i64> {
        self.stored
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(partition)
            .copied()
    }

    fn unsaved(&self) -> Vec<(Partition, i64)> {
        self.next
            .iter()
            .filter(|(p, n)| self.stored_of(p).is_none_or(|s| s < **n))
            .map(|(p, n)| (p.clone(), *n))
            .collect()
    }
}

/// The projections of one context, fed from Kafka.
#[derive(Debug)]
struct ProjectionConsumer {
    name: String,
    members: Vec<Member>,
    pool: AnyPool,
    lazy: LazyCheckpoints,
    /// Per partition, the lowest offset all members stored: the group's resume hint.
    lowest: Stored,
}

impl ProjectionConsumer {
    /// One transaction: per member and partition with relevant messages, lock the stored
    /// offset, apply what lies at or after it, and move it past the batch.
    async fn apply(
        &mut self,
        batch: &[Delivery],
        ends: &HashMap<Partition, i64>,
    ) -> Result<Vec<(usize, Partition, i64)>, ProjectionError> {
        let mut tx = self.pool.begin().await?;
        let mut saved = Vec::new();
        for (i, member) in self.members.iter().enumerate() {
            let interest = member.projection.handles();
            let mut partitions: Vec<Partition> = Vec::new();
            for d in batch {
                let key = (d.topic.clone(), d.partition);
                let fresh = d.offset >= member.next.get(&key).copied().unwrap_or(0);
                if fresh && interest.matches(&d.event) && !partitions.contains(&key) {
                    partitions.push(key);
                }
            }
            for (topic, partition) in partitions {
                let stored =
                    checkpoints::lock_offset(&mut tx, member.name(), &topic, partition).await?;
                for d in batch.iter().filter(|d| {
                    d.topic == topic
                        && d.partition == partition
                        && d.offset >= stored
                        && interest.matches(&d.event)
                }) {
                    member.projection.apply(&mut tx, &d.event).await?;
                }
                let end = ends
                    .get(&(topic.clone(), partition))
                    .copied()
                    .unwrap_or(stored)
                    .max(stored);
                checkpoints::save_offset(&mut tx, member.name(), &topic, partition, end).await?;
                saved.push((i, (topic, partition), end));
            }
        }
        tx.commit().await?;
        Ok(saved)
    }
}

#[async_trait]
impl Consumer for ProjectionConsumer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn prepare(&mut self, _shutdown: &CancellationToken) -> Result<(), ProjectionError> {
        for member in &self.members {
            crate::create_schema(&*member.projection, &self.pool).await?;
        }
        Ok(())
    }

    async fn consume(&mut self, batch: &[Delivery]) -> Result<(), ProjectionError> {
        let ends = ends(batch);
        let relevant = self.members.iter().any(|m| {
            let interest = m.projection.handles();
            batch.iter().any(|d| {
                interest.matches(&d.event)
                    && d.offset
                        >= m.next
                            .get(&(d.topic.clone(), d.partition))
                            .copied()
                            .unwrap_or(0)
            })
        });
        let saved = if relevant {
            self.apply(batch, &ends).await?
        } else {
            Vec::new()
        };
        let applied_events = batch.len() as u64;
        for (i, partition, end) in saved {
            let member = &mut self.members[i];
            member
                .stored
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(partition, end);
        }
        for member in &mut self.members {
            for (partition, end) in &ends {
                let next = member.next.entry(partition.clone()).or_default();
                *next = (*next).max(*end);
            }
            if !member.unsaved().is_empty() {
                member.unsaved_since.get_or_insert_with(Instant::now);
            }
            if let Some(applied) = &member.applied {
                applied.applied(batch.iter().map(|d| d.event.position));
            }
        }
        metrics::counter!("agora_projected_events_total", "group" => self.name.clone())
            .increment(applied_events);
        self.refresh_lowest();
        Ok(())
    }

    fn flush_at(&self) -> Option<Instant> {
        self.members
            .iter()
            .filter_map(|m| m.unsaved_since)
            .min()
            .map(|t| t + self.lazy.max_age)
    }

    async fn flush(&mut self, force: bool) {
        for member in &mut self.members {
            let due = member
                .unsaved_since
                .is_some_and(|t| force || t.elapsed() >= self.lazy.max_age);
            if !due {
                continue;
            }
            let unsaved = member.unsaved();
            match store_offsets(&self.pool, member.name(), &unsaved).await {
                Ok(()) => {
                    let mut stored = member.stored.lock().unwrap_or_else(PoisonError::into_inner);
                    for (partition, next) in unsaved {
                        let s = stored.entry(partition).or_default();
                        *s = (*s).max(next);
                    }
                    drop(stored);
                    member.unsaved_since = None;
                }
                Err(e) => {
                    tracing::warn!(projection = member.name(), error = %e, "cannot store offsets; later");
                }
            }
        }
        self.refresh_lowest();
    }

    fn stored(&self) -> Stored {
        Arc::clone(&self.lowest)
    }
}

impl ProjectionConsumer {
    /// Recomputes the group's resume hint from its members' stored offsets.
    fn refresh_lowest(&self) {
        let mut lowest: Option<HashMap<Partition, i64>> = None;
        for member in &self.members {
            let stored = member.stored.lock().unwrap_or_else(PoisonError::into_inner);
            lowest = Some(match lowest {
                None => stored.clone(),
                Some(mut low) => {
                    low.retain(|p, _| stored.contains_key(p));
                    for (p, o) in &mut low {
                        if let Some(s) = stored.get(p) {
                            *o = (*o).min(*s);
                        }
                    }
                    low
                }
            });
        }
        *self.lowest.lock().unwrap_or_else(PoisonError::into_inner) = lowest.unwrap_or_default();
    }
}

/// A saga fed from Kafka: reacts to relevant messages, stores offsets lazily.
#[derive(Debug)]
struct SagaConsumer {
    saga: SagaRunner,
    name: String,
    next: HashMap<Partition, i64>,
    stored: Stored,
    unsaved_since: Option<Instant>,
    timers: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for SagaConsumer {
    fn drop(&mut self) {
        if let Some(timers) = &self.timers {
            timers.abort();
        }
    }
}

impl SagaConsumer {
    fn new(saga: SagaRunner) -> Self {
        Self {
            name: saga.checkpoint_name(),
            saga,
            next: HashMap::new(),
            stored: Arc::default(),
            unsaved_since: None,
            timers: None,
        }
    }
}

#[async_trait]
impl Consumer for SagaConsumer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn prepare(&mut self, shutdown: &CancellationToken) -> Result<(), ProjectionError> {
        self.timers = Some(self.saga.spawn_timers(shutdown.clone()));
        Ok(())
    }

    async fn consume(&mut self, batch: &[Delivery]) -> Result<(), ProjectionError> {
        let pool = self.saga.pool().clone();
        for d in batch {
            let key = (d.topic.clone(), d.partition);
            if !self.next.contains_key(&key) {
                // First sight of a partition: resume after what a previous run stored.
                let stored = checkpoints::load_offset(&pool, &self.name, &key.0, key.1).await?;
                self.stored
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(key.clone(), stored);
                self.next.insert(key, stored);
            }
        }
        let interest = self.saga.handles();
        let fresh: Vec<&Recorded> = batch
            .iter()
            .filter(|d| {
                d.offset
                    >= self
                        .next
                        .get(&(d.topic.clone(), d.partition))
                        .copied()
                        .unwrap_or(0)
                    && interest.matches(&d.event)
            })
            .map(|d| &d.event)
            .collect();
        self.saga.react_to(&fresh).await.map_err(|e| {
            ProjectionError::Store(shared_kernel::StoreError::Unavailable(Box::new(e)))
        })?;
        for (partition, end) in ends(batch) {
            let next = self.next.entry(partition).or_default();
            *next = (*next).max(end);
        }
        self.unsaved_since.get_or_insert_with(Instant::now);
        Ok(())
    }

    fn flush_at(&self) -> Option<Instant> {
        self.unsaved_since
            .map(|t| t + LazyCheckpoints::default().max_age)
    }

    async fn flush(&mut self, force: bool) {
        let due = self
            .unsaved_since
            .is_some_and(|t| force || t.elapsed() >= LazyCheckpoints::default().max_age);
        if !due {
            return;
        }
        let unsaved: Vec<(Partition, i64)> = {
            let stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
            self.next
                .iter()
                .filter(|(p, n)| stored.get(*p).is_none_or(|s| s < *n))
                .map(|(p, n)| (p.clone(), *n))
                .collect()
        };
        match store_offsets(self.saga.pool(), &self.name, &unsaved).await {
            Ok(()) => {
                let mut stored = self.stored.lock().unwrap_or_else(PoisonError::into_inner);
                for (partition, next) in unsaved {
                    stored.insert(partition, next);
                }
                drop(stored);
                self.unsaved_since = None;
            }
            Err(e) => tracing::warn!(saga = %self.name, error = %e, "cannot store offsets; later"),
        }
    }

    fn stored(&self) -> Stored {
        Arc::clone(&self.stored)
    }
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
