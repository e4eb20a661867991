//! Running a projection from Kafka: the partition offsets are stored in the read-model
//! database, in the same transaction as the batch's effects, so a crash at any point neither
//! loses nor repeats an effect. Kafka's own committed offsets are only a hint for where to
//! resume reading.

use std::sync::Arc;
use std::time::Duration;

use infrastructure::checkpoints;
use infrastructure::kafka::{Delivery, KafkaFeed, KafkaFeedError};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;

use crate::{AppliedPositions, Progress, Projection, ProjectionError};

const BATCH: usize = 256;
const LINGER: Duration = Duration::from_millis(20);
const RETRY_PAUSE: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub struct KafkaProjector {
    projection: Arc<dyn Projection>,
    pool: AnyPool,
    /// Where read-your-writes waits learn what was applied, if anyone waits.
    applied: Option<Arc<AppliedPositions>>,
}

impl KafkaProjector {
    #[must_use]
    pub fn new(projection: Arc<dyn Projection>, pool: AnyPool) -> Self {
        Self {
            projection,
            pool,
            applied: None,
        }
    }

    /// Reports applied positions to `progress`, for `Agora-Min-Position` reads.
    #[must_use]
    pub fn with_progress(mut self, progress: &Progress) -> Self {
        self.applied = Some(progress.register_applied(self.projection.name()));
        self
    }

    /// The consumer group of a projection: one per read model (the caller's `connect` adds
    /// its deployment's prefix).
    #[must_use]
    pub fn group(&self) -> String {
        format!("projection.{}", self.projection.name())
    }

    /// Projects until `shutdown`. After a failed batch the consumer is recreated (by
    /// `connect`), so reading resumes at the stored offsets rather than after the failure.
    pub async fn run(
        self,
        connect: impl Fn(&str) -> Result<KafkaFeed, KafkaFeedError> + Send,
        shutdown: CancellationToken,
    ) {
        let name = self.projection.name();
        if let Err(e) = crate::create_schema(&*self.projection, &self.pool).await {
            tracing::error!(projection = name, error = %e, "cannot create read model");
            return;
        }
        while !shutdown.is_cancelled() {
            let feed = match connect(&self.group()) {
                Ok(feed) => feed,
                Err(e) => {
                    tracing::warn!(projection = name, error = %e, "cannot join consumer group");
                    tokio::time::sleep(RETRY_PAUSE).await;
                    continue;
                }
            };
            loop {
                let batch = tokio::select! {
                    batch = feed.next_batch(BATCH, LINGER) => batch,
                    () = shutdown.cancelled() => return,
                };
                let positions: Result<Vec<u64>, ()> = batch
                    .as_ref()
                    .map(|b| b.iter().map(|d| d.event.position).collect())
                    .map_err(|_| ());
                let outcome = match batch {
                    Ok(batch) => self.apply_batch(&batch).await,
                    Err(e) => Err(ProjectionError::Store(
                        shared_kernel::StoreError::Unavailable(Box::new(e)),
                    )),
                };
                match outcome {
                    Ok(offsets) => {
                        feed.commit_hint(&offsets);
                        if let (Some(applied), Ok(batch)) = (&self.applied, &positions) {
                            applied.applied(batch.iter().copied());
                        }
                    }
                    Err(e) => {
                        tracing::error!(projection = name, error = %e, "kafka batch failed; rejoining at the stored offsets");
                        tokio::time::sleep(RETRY_PAUSE).await;
                        break;
                    }
                }
            }
        }
    }

    /// Applies what each partition has not applied yet and stores the new offsets, in one
    /// transaction. Returns the stored `(topic, partition, next_offset)`s.
    async fn apply_batch(
        &self,
        batch: &[Delivery],
    ) -> Result<Vec<(String, i32, i64)>, ProjectionError> {
        let name = self.projection.name();
        let mut partitions: Vec<(&str, i32)> = Vec::new();
        for d in batch {
            if !partitions.contains(&(d.topic.as_str(), d.partition)) {
                partitions.push((d.topic.as_str(), d.partition));
            }
        }
        let mut tx = self.pool.begin().await?;
        let mut offsets = Vec::with_capacity(partitions.len());
        let mut applied = 0_u64;
        for (topic, partition) in partitions {
            let stored = checkpoints::lock_offset(&mut tx, name, topic, partition).await?;
            let mut next = stored;
            for d in batch
                .iter()
                .filter(|d| d.topic == topic && d.partition == partition && d.offset >= stored)
            {
                self.projection.apply(&mut tx, &d.event).await?;
                next = d.offset + 1;
                applied += 1;
            }
            if next > stored {
                checkpoints::save_offset(&mut tx, name, topic, partition, next).await?;
            }
            offsets.push((topic.to_owned(), partition, next));
        }
        tx.commit().await?;
        metrics::counter!("agora_projected_events_total", "projection" => name).increment(applied);
        Ok(offsets)
    }
}
