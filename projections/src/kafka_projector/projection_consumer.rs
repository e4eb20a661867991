//! The projections of one context fed from Kafka: a batch's relevant events applied with
//! those partitions' offsets in one transaction, skip-only offsets stored lazily.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use async_trait::async_trait;
use infrastructure::checkpoints;
use shared_kernel::Recorded;
use sqlx::AnyPool;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Batch, Consumer, Partition, Stored, store_offsets};
use crate::{AppliedPositions, LazyCheckpoints, Projection, ProjectionError};

/// One projection of a Kafka-fed group.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) projection: Arc<dyn Projection>,
    pub(super) applied: Option<Arc<AppliedPositions>>,
    /// Per partition, the offset before which everything is reflected (applied or skipped).
    pub(super) next: HashMap<Partition, i64>,
    pub(super) stored: Stored,
    pub(super) unsaved_since: Option<Instant>,
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
pub(super) struct ProjectionConsumer {
    pub(super) name: String,
    pub(super) members: Vec<Member>,
    pub(super) pool: AnyPool,
    pub(super) lazy: LazyCheckpoints,
    /// Per partition, the lowest offset all members stored: the group's resume hint.
    pub(super) lowest: Stored,
}

impl ProjectionConsumer {
    /// One transaction: per member and partition with relevant messages, lock the stored
    /// offset, apply what lies at or after it, and move it past the batch.
    async fn apply(
        &mut self,
        batch: &Batch,
    ) -> Result<Vec<(usize, Partition, i64)>, ProjectionError> {
        let ends = &batch.ends;
        let mut tx = self.pool.begin().await?;
        let mut saved = Vec::new();
        for (i, member) in self.members.iter().enumerate() {
            let interest = member.projection.handles();
            let mut partitions: Vec<Partition> = Vec::new();
            for d in &batch.deliveries {
                let key = (d.topic.clone(), d.partition);
                let fresh = d.offset >= member.next.get(&key).copied().unwrap_or(0);
                if fresh && interest.matches(&d.event) && !partitions.contains(&key) {
                    partitions.push(key);
                }
            }
            for (topic, partition) in partitions {
                let stored =
                    checkpoints::lock_offset(&mut tx, member.name(), &topic, partition).await?;
                let fresh: Vec<&Recorded> = batch
                    .deliveries
                    .iter()
                    .filter(|d| {
                        d.topic == topic
                            && d.partition == partition
                            && d.offset >= stored
                            && interest.matches(&d.event)
                    })
                    .map(|d| &d.event)
                    .collect();
                if !fresh.is_empty() {
                    member.projection.apply_page(&mut tx, &fresh).await?;
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

    async fn consume(&mut self, batch: &Batch) -> Result<(), ProjectionError> {
        let ends = &batch.ends;
        let relevant = self.members.iter().any(|m| {
            let interest = m.projection.handles();
            batch.deliveries.iter().any(|d| {
                interest.matches(&d.event)
                    && d.offset
                        >= m.next
                            .get(&(d.topic.clone(), d.partition))
                            .copied()
                            .unwrap_or(0)
            })
        });
        let saved = if relevant {
            self.apply(batch).await?
        } else {
            Vec::new()
        };
        let applied_events = batch.deliveries.len() as u64;
        for (i, partition, end) in saved {
            let member = &mut self.members[i];
            member
                .stored
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(partition, end);
        }
        for member in &mut self.members {
            for (partition, end) in ends {
                let next = member.next.entry(partition.clone()).or_default();
                *next = (*next).max(*end);
            }
            if !member.unsaved().is_empty() {
                member.unsaved_since.get_or_insert_with(Instant::now);
            }
            if let Some(applied) = &member.applied {
                applied.applied(batch.deliveries.iter().map(|d| d.event.position));
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
