//! A saga fed from Kafka: it reacts to relevant messages and stores its offsets lazily (its
//! reactions are idempotent).

use std::collections::HashMap;
use std::sync::{Arc, PoisonError};

use async_trait::async_trait;
use infrastructure::checkpoints;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Batch, Consumer, Partition, Stored, store_offsets};
use crate::saga::SagaRunner;
use crate::{LazyCheckpoints, ProjectionError};
use shared_kernel::Recorded;

/// A saga fed from Kafka: reacts to relevant messages, stores offsets lazily.
#[derive(Debug)]
pub(super) struct SagaConsumer {
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
    pub(super) fn new(saga: SagaRunner) -> Self {
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

    async fn consume(&mut self, batch: &Batch) -> Result<(), ProjectionError> {
        let pool = self.saga.pool().clone();
        for partition in batch.ends.keys() {
            let key = partition.clone();
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
            .deliveries
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
        for (partition, end) in &batch.ends {
            let next = self.next.entry(partition.clone()).or_default();
            *next = (*next).max(*end);
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
