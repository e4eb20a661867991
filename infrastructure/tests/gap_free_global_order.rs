//! Hard problem 1 under load: 16 concurrent writers, 100k events, transactions of random
//! length, some rolled back. The guarded tail must deliver every committed event exactly once
//! and never a rolled-back one. A naive `position > last` reader runs beside it, and how many
//! events it missed is printed (not asserted: it depends on timing), to show what the guard is
//! for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use infrastructure::postgres::{self, PgEventStore, append_in};
use infrastructure::testing::fresh_postgres_url;
use rand::Rng;
use shared_kernel::{Cursor, EventMetadata, EventStore, ExpectedVersion, NewEvent, StreamId};
use sqlx::postgres::PgPoolOptions;
use tokio::sync::Mutex;
use uuid::Uuid;

const WRITERS: usize = 16;
const TOTAL_EVENTS: usize = 100_000;
const STREAMS_PER_WRITER: usize = 8;

#[derive(Default)]
struct Ledger {
    committed: HashSet<Uuid>,
    rolled_back: HashSet<Uuid>,
}

fn new_event(n: usize) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "agora.test.happened".into(),
        schema_version: 1,
        data: serde_json::json!({ "n": n }),
        metadata: EventMetadata::default(),
    }
}

async fn writer(store: PgEventStore, ledger: Arc<Mutex<Ledger>>, quota: usize) {
    let streams: Vec<StreamId> = (0..STREAMS_PER_WRITER)
        .map(|_| StreamId::of("gap", Uuid::now_v7()))
        .collect();
    let mut written = 0;
    while written < quota {
        let (batch, pause, rollback, which) = {
            let mut rng = rand::rng();
            let batch = rng.random_range(1..=8).min(quota - written);
            // Mostly short transactions, a few long ones that many others overtake.
            let pause = if rng.random_bool(0.02) {
                rng.random_range(10..40)
            } else {
                rng.random_range(0..3)
            };
            (
                batch,
                pause,
                rng.random_bool(0.05),
                rng.random_range(0..STREAMS_PER_WRITER),
            )
        };
        let events: Vec<NewEvent> = (0..batch).map(|i| new_event(written + i)).collect();
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let mut tx = store.pool().begin().await.unwrap();
        let rows = append_in(&mut *tx, &streams[which], ExpectedVersion::Any, &events)
            .await
            .unwrap();
        assert_eq!(rows.len(), batch);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        if rollback {
            tx.rollback().await.unwrap();
            ledger.lock().await.rolled_back.extend(ids);
        } else {
            tx.commit().await.unwrap();
            store.notify_committed();
            ledger.lock().await.committed.extend(ids);
            written += batch;
        }
    }
}

/// Follows `position > last` only: what a reader without the transaction guard would do.
async fn naive_reader(pool: sqlx::PgPool, done: Arc<AtomicBool>) -> HashSet<Uuid> {
    let mut seen = HashSet::new();
    let mut last = 0_i64;
    loop {
        let finished = done.load(Ordering::Acquire);
        let rows: Vec<(Uuid, i64)> = sqlx::query_as(
            "SELECT event_id, position FROM events WHERE position > $1 ORDER BY position LIMIT 1000",
        )
        .bind(last)
        .fetch_all(&pool)
        .await
        .unwrap();
        if let Some((_, p)) = rows.last() {
            last = *p;
        }
        let empty = rows.is_empty();
        seen.extend(rows.into_iter().map(|(id, _)| id));
        if finished && empty {
            return seen;
        }
        if empty {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guarded_tail_sees_every_committed_event_exactly_once() {
    let url = fresh_postgres_url().await;
    let pool = PgPoolOptions::new()
        .max_connections(32)
        .connect(&url)
        .await
        .unwrap();
    postgres::migrate(&pool).await.unwrap();
    let store = PgEventStore::new(pool.clone());
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let done = Arc::new(AtomicBool::new(false));
    let started = Instant::now();

    let naive = tokio::spawn(naive_reader(pool.clone(), Arc::clone(&done)));

    // The guarded reader: the store's own tail, from the start.
    let reader_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut seen: Vec<(Uuid, StreamId, u64, Cursor)> = Vec::with_capacity(TOTAL_EVENTS);
        let mut tail = reader_store.tail(Cursor::START);
        while seen.len() < TOTAL_EVENTS {
            let r = tail.next().await.unwrap().unwrap();
            seen.push((r.event_id, r.stream_id, r.stream_version, r.cursor));
        }
        // Anything beyond the committed total would be a duplicate or a rolled-back event.
        let extra = tokio::time::timeout(Duration::from_millis(500), tail.next()).await;
        (seen, extra.is_ok())
    });

    let quota = TOTAL_EVENTS / WRITERS;
    let writers: Vec<_> = (0..WRITERS)
        .map(|_| tokio::spawn(writer(store.clone(), Arc::clone(&ledger), quota)))
        .collect();
    for w in writers {
        w.await.unwrap();
    }
    let write_time = started.elapsed();
    done.store(true, Ordering::Release);

    let (seen, got_extra) = tokio::time::timeout(Duration::from_secs(120), reader)
        .await
        .expect("the guarded reader must catch up")
        .unwrap();
    let naive_seen = naive.await.unwrap();
    let ledger = ledger.lock().await;

    assert_eq!(ledger.committed.len(), TOTAL_EVENTS);
    let unique: HashSet<Uuid> = seen.iter().map(|s| s.0).collect();
    let duplicates = seen.len() - unique.len();
    let missed = ledger.committed.difference(&unique).count();
    let phantoms = unique.intersection(&ledger.rolled_back).count();
    let naive_missed = ledger.committed.difference(&naive_seen).count();

    println!(
        "gap test: {WRITERS} writers, {} committed and {} rolled-back events in {:.1}s",
        ledger.committed.len(),
        ledger.rolled_back.len(),
        write_time.as_secs_f64()
    );
    println!(
        "guarded tail (transaction_id < snapshot xmin, cursor (transaction_id, position)): \
         missed {missed}, duplicates {duplicates}, rolled-back seen {phantoms}"
    );
    println!("naive reader (position > last): missed {naive_missed} committed events");

    assert_eq!(missed, 0, "the guarded tail missed committed events");
    assert_eq!(duplicates, 0, "the guarded tail delivered an event twice");
    assert_eq!(
        phantoms, 0,
        "the guarded tail delivered a rolled-back event"
    );
    assert!(
        !got_extra,
        "the tail delivered more events than were committed"
    );

    // Global order: cursors strictly increase, and each stream's events arrive in version order.
    assert!(
        seen.windows(2).all(|w| w[0].3 < w[1].3),
        "cursors must strictly increase"
    );
    let mut last_version: HashMap<&StreamId, u64> = HashMap::new();
    for (_, stream, version, _) in &seen {
        let prev = last_version.insert(stream, *version).unwrap_or(0);
        assert_eq!(*version, prev + 1, "{stream} out of order");
    }
}
