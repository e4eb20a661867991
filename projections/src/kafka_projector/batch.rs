//! What the process's Kafka reader hands its consumers: a batch without copies of one event,
//! and how far it reaches in each partition (copies included, so offsets move past them).
//!
//! Why copies arrive at all: the relay produces at least once. A relay that restarts (or a new
//! lease holder taking over) produces again what it delivered after its last stored checkpoint,
//! and a producer retry can write a message twice; copies of an event share its key, so they
//! land in its partition, behind the original. Consumers apply set-based writes per batch
//! (a saga's timers in one statement, `ON CONFLICT DO UPDATE`), which PostgreSQL refuses when
//! one statement touches a row twice ("ON CONFLICT DO UPDATE command cannot affect row a second
//! time"): one copy in a batch then failed the batch on every retry. So copies are dropped
//! here, once for every consumer, by event id: within the batch, and against the ids of the
//! most recent events this reader handed on (a copy produced after a relay restart lands
//! batches later). A copy older than that window reaches the consumers, which tolerate it
//! anyway: read models check stream versions, sagas' commands are idempotent by command id.

use std::collections::{HashMap, HashSet, VecDeque};

use infrastructure::kafka::Delivery;
use uuid::Uuid;

use super::Partition;

/// Event ids the reader remembers to drop later copies: a few MB, minutes of traffic.
pub(super) const RECENT_EVENTS: usize = 65_536;

/// One batch as consumers see it.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Each event once, in the order read.
    pub(super) deliveries: Vec<Delivery>,
    /// Per partition, the offset after its last message read, copies included.
    pub(super) ends: HashMap<Partition, i64>,
    /// How many copies were dropped.
    pub(super) copies: usize,
}

/// The ids of the last events handed on, oldest first out.
#[derive(Debug)]
pub(super) struct RecentEvents {
    capacity: usize,
    ids: HashSet<Uuid>,
    order: VecDeque<Uuid>,
}

impl RecentEvents {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            ids: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// `read` as a [`Batch`]: every message counts for the ends, each event id only once.
    pub(super) fn batch(&mut self, read: Vec<Delivery>) -> Batch {
        let ends = ends(&read);
        let mut deliveries = Vec::with_capacity(read.len());
        let mut copies = 0;
        for d in read {
            if self.remember(d.event.event_id) {
                deliveries.push(d);
            } else {
                copies += 1;
            }
        }
        Batch {
            deliveries,
            ends,
            copies,
        }
    }

    /// Whether `id` is new (and now remembered).
    fn remember(&mut self, id: Uuid) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

/// The partitions of `batch`, each with the offset after its last message in the batch.
pub(super) fn ends(batch: &[Delivery]) -> HashMap<Partition, i64> {
    let mut ends: HashMap<Partition, i64> = HashMap::new();
    for d in batch {
        let end = ends.entry((d.topic.clone(), d.partition)).or_default();
        *end = (*end).max(d.offset + 1);
    }
    ends
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use shared_kernel::{Cursor, EventMetadata, Recorded, StreamId};

    fn delivery(id: Uuid, partition: i32, offset: i64) -> Delivery {
        Delivery {
            event: Recorded {
                event_id: id,
                stream_id: StreamId::parse("order-1").unwrap(),
                stream_version: 1,
                position: 1,
                cursor: Cursor::new(0, 1),
                event_type: "agora.ordering.order_placed".into(),
                schema_version: 1,
                data: serde_json::Value::Null,
                metadata: EventMetadata::default(),
                recorded_at: chrono::Utc::now(),
            },
            topic: "t".into(),
            partition,
            offset,
        }
    }

    #[test]
    fn copies_in_a_batch_are_dropped_but_count_for_the_offsets() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let mut recent = RecentEvents::new(10);
        let batch = recent.batch(vec![
            delivery(a, 0, 0),
            delivery(b, 0, 1),
            delivery(a, 0, 2),
            delivery(b, 1, 7),
        ]);
        let ids: Vec<Uuid> = batch.deliveries.iter().map(|d| d.event.event_id).collect();
        assert_eq!(ids, [a, b]);
        assert_eq!(batch.copies, 2);
        assert_eq!(batch.ends[&("t".to_owned(), 0)], 3);
        assert_eq!(batch.ends[&("t".to_owned(), 1)], 8);
    }

    #[test]
    fn a_later_copy_is_dropped_while_its_original_is_recent() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let mut recent = RecentEvents::new(2);
        assert_eq!(recent.batch(vec![delivery(a, 0, 0)]).deliveries.len(), 1);
        assert_eq!(recent.batch(vec![delivery(a, 0, 1)]).deliveries.len(), 0);
        recent.batch(vec![delivery(b, 0, 2), delivery(c, 0, 3)]);
        // `a` left the window: a copy that late reaches the consumers (which tolerate it).
        assert_eq!(recent.batch(vec![delivery(a, 0, 4)]).deliveries.len(), 1);
    }
}
