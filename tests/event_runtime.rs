//! The shared event runtime on both stores (DESIGN.md, hard problem 9):
//! - one reader of the log serves every consumer; consumers older than its window catch up
//!   from the store and rejoin without a gap or a double;
//! - a consumer that declares what it handles pays nothing for pages without it: its
//!   checkpoint is stored lazily, yet read-your-writes waits for an irrelevant position return
//!   at once;
//! - one projection of a group rebuilt (its checkpoint moved back) catches up while the other
//!   keeps up with the live log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::ledger::append_typed;
use common::{Store, database_url};
use infrastructure::checkpoints;
use infrastructure::database::{Database, PoolSizes};
use infrastructure::inprocess::StoreFeed;
use projections::{
    CheckpointBoard, Interest, LazyCheckpoints, Progress, Projection, ProjectionError, Projector,
    ProjectorGroup,
};
use shared_kernel::{Cursor, EventFeed, Recorded};
use sqlx::AnyConnection;
use tokio_util::sync::CancellationToken;

async fn open(store: Store) -> Database {
    Database::open(&database_url(store).await, PoolSizes { store: 8, read: 4 })
        .await
        .unwrap()
}

/// Records every event of `event_type` it is given, once per application (no upsert).
#[derive(Debug)]
struct Counter {
    name: &'static str,
    table: &'static str,
    types: &'static [&'static str],
}

const RELEVANT: &str = "agora.runtimetest.relevant";
const NOISE: &str = "agora.runtimetest.noise";

#[async_trait]
impl Projection for Counter {
    fn name(&self) -> &'static str {
        self.name
    }
    fn handles(&self) -> Interest {
        Interest::Types(self.types)
    }
    fn schema(&self) -> &'static [&'static str] {
        match self.table {
            "test_counter_a" => &[
                "CREATE TABLE IF NOT EXISTS test_counter_a (event_id TEXT NOT NULL, event_type TEXT NOT NULL)",
            ],
            _ => &[
                "CREATE TABLE IF NOT EXISTS test_counter_b (event_id TEXT NOT NULL, event_type TEXT NOT NULL)",
            ],
        }
    }
    fn tables(&self) -> &'static [&'static str] {
        match self.table {
            "test_counter_a" => &["test_counter_a"],
            _ => &["test_counter_b"],
        }
    }
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        assert!(
            self.types.contains(&event.event_type.as_str()),
            "handed an event it does not handle: {}",
            event.event_type
        );
        sqlx::query(&format!(
            "INSERT INTO {} (event_id, event_type) VALUES ($1, $2)",
            self.table
        ))
        .bind(event.event_id.to_string())
        .bind(event.event_type.clone())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

async fn count(db: &Database, table: &str) -> (i64, i64) {
    sqlx::query_as(&format!(
        "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM {table}"
    ))
    .fetch_one(&db.read)
    .await
    .unwrap()
}

/// The head once the store's first `n` events are all readable (on PostgreSQL an event becomes
/// readable only when every older transaction of the cluster has ended).
async fn head_after(db: &Database, n: u64) -> Cursor {
    for _ in 0..500 {
        let head = db.store.head().await.unwrap();
        if head.position >= n {
            return head;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the first {n} events never became readable");
}

async fn rows_when(db: &Database, table: &str, expected: i64) -> (i64, i64) {
    for _ in 0..300 {
        let c = count(db, table).await;
        if c.0 >= expected {
            tokio::time::sleep(Duration::from_millis(200)).await;
            return count(db, table).await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    count(db, table).await
}

async fn consumers_behind_the_window_catch_up_without_gap_or_double(store: Store) {
    let db = open(store).await;
    append_typed(db.store.as_ref(), 50, NOISE).await;
    // A window of 8 events: whoever is further behind must read the store.
    let feed = Arc::new(StoreFeed::with_window(Arc::clone(&db.store), 8));
    let writer_store = Arc::clone(&db.store);
    let writer = tokio::spawn(async move {
        append_typed(writer_store.as_ref(), 300, RELEVANT).await;
    });
    let readers: Vec<_> = (0..4)
        .map(|r| {
            let feed = Arc::clone(&feed);
            tokio::spawn(async move {
                let mut cursor = Cursor::START;
                let mut seen = Vec::new();
                while seen.len() < 350 {
                    // Readers of different speeds: some fall out of the window.
                    if r % 2 == 1 {
                        tokio::time::sleep(Duration::from_millis(3)).await;
                    }
                    let page = feed.next_page(cursor, 5 + r).await.unwrap();
                    for e in &page {
                        assert!(e.cursor > cursor, "out of order or repeated");
                        cursor = e.cursor;
                        seen.push(e.event_id);
                    }
                }
                seen
            })
        })
        .collect();
    writer.await.unwrap();
    head_after(&db, 350).await;
    let all = db.store.read_all(Cursor::START, 1000).await.unwrap();
    let expected: Vec<_> = all.iter().map(|e| e.event_id).collect();
    assert_eq!(expected.len(), 350);
    for reader in readers {
        assert_eq!(
            reader.await.unwrap(),
            expected,
            "every event once, in order"
        );
    }
}

async fn pages_without_relevant_events_cost_no_transaction(store: Store) {
    let db = open(store).await;
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let progress = Progress::new(Arc::clone(&db.store));
    let shutdown = CancellationToken::new();
    let counter = Arc::new(Counter {
        name: "test.counter_a",
        table: "test_counter_a",
        types: &[RELEVANT],
    });
    // Never stored lazily within this test: only a relevant page may write the checkpoint.
    let patient = LazyCheckpoints {
        max_age: Duration::from_secs(600),
        max_events: 1_000_000,
    };
    let group = ProjectorGroup::new("test", vec![counter], db.read.clone())
        .with_lazy_checkpoints(patient)
        .spawn(Arc::clone(&feed), &progress, shutdown.clone())
        .await
        .unwrap();

    append_typed(db.store.as_ref(), 200, NOISE).await;
    let head = head_after(&db, 200).await;
    // A read-your-writes wait for an event the projection does not handle returns at once.
    progress
        .wait_for("test.counter_a", head.position, Duration::from_secs(60))
        .await
        .unwrap();
    let stored = checkpoints::load(&db.read, "test.counter_a").await.unwrap();
    assert!(
        stored.unwrap_or_default() == Cursor::START,
        "a skip-only page wrote the checkpoint: {stored:?}"
    );

    append_typed(db.store.as_ref(), 1, RELEVANT).await;
    let relevant = head_after(&db, 201).await;
    progress
        .wait_for("test.counter_a", relevant.position, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(count(&db, "test_counter_a").await, (1, 1));
    let stored = checkpoints::load(&db.read, "test.counter_a").await.unwrap();
    assert_eq!(
        stored,
        Some(relevant),
        "the relevant page stored its checkpoint in its transaction"
    );

    // Skipped events after the last relevant one are stored on the way out.
    append_typed(db.store.as_ref(), 20, NOISE).await;
    let last = head_after(&db, 221).await;
    progress
        .wait_for("test.counter_a", last.position, Duration::from_secs(60))
        .await
        .unwrap();
    shutdown.cancel();
    group.task.await.unwrap();
    let stored = checkpoints::load(&db.read, "test.counter_a").await.unwrap();
    assert_eq!(
        stored,
        Some(last),
        "the lazy checkpoint is flushed at shutdown"
    );
}

async fn a_rebuilt_member_catches_up_while_the_other_keeps_up(store: Store) {
    let db = open(store).await;
    append_typed(db.store.as_ref(), 400, RELEVANT).await;
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let progress = Progress::new(Arc::clone(&db.store));
    let shutdown = CancellationToken::new();
    let a = Arc::new(Counter {
        name: "test.counter_a",
        table: "test_counter_a",
        types: &[RELEVANT],
    });
    let b = Arc::new(Counter {
        name: "test.counter_b",
        table: "test_counter_b",
        types: &[RELEVANT],
    });
    let _group = ProjectorGroup::new(
        "test",
        vec![a.clone() as Arc<dyn Projection>, b],
        db.read.clone(),
    )
    .spawn(Arc::clone(&feed), &progress, shutdown.clone())
    .await
    .unwrap();
    assert_eq!(rows_when(&db, "test_counter_a", 400).await, (400, 400));
    assert_eq!(rows_when(&db, "test_counter_b", 400).await, (400, 400));

    // Rebuild A from another "process" while events keep coming.
    let writer_store = Arc::clone(&db.store);
    let writer = tokio::spawn(async move {
        append_typed(writer_store.as_ref(), 200, RELEVANT).await;
    });
    Projector::new(a, db.read.clone())
        .rebuild(db.store.as_ref(), |_, _| {})
        .await
        .unwrap();
    writer.await.unwrap();
    let head = head_after(&db, 600).await;
    for name in ["test.counter_a", "test.counter_b"] {
        progress
            .wait_for(name, head.position, Duration::from_secs(60))
            .await
            .unwrap();
    }
    assert_eq!(
        rows_when(&db, "test_counter_a", 600).await,
        (600, 600),
        "the rebuilt read model has every event once"
    );
    assert_eq!(
        rows_when(&db, "test_counter_b", 600).await,
        (600, 600),
        "the other member kept up, without a double"
    );
    shutdown.cancel();
}

async fn skip_only_checkpoints_are_written_together_by_the_board(store: Store) {
    let db = open(store).await;
    let feed: Arc<dyn EventFeed> = Arc::new(StoreFeed::new(Arc::clone(&db.store)));
    let progress = Progress::new(Arc::clone(&db.store));
    let shutdown = CancellationToken::new();
    let board = CheckpointBoard::new();
    let quick = LazyCheckpoints {
        max_age: Duration::from_millis(100),
        max_events: 1_000_000,
    };
    for (name, table) in [
        ("test.counter_a", "test_counter_a"),
        ("test.counter_b", "test_counter_b"),
    ] {
        let counter = Arc::new(Counter {
            name,
            table,
            types: &[RELEVANT],
        });
        ProjectorGroup::new(name, vec![counter], db.read.clone())
            .with_lazy_checkpoints(quick)
            .with_board(board.clone())
            .spawn(Arc::clone(&feed), &progress, shutdown.clone())
            .await
            .unwrap();
    }
    append_typed(db.store.as_ref(), 50, NOISE).await;
    let head = head_after(&db, 50).await;
    // Nothing is written until the board writes: the posts wait on it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    for name in ["test.counter_a", "test.counter_b"] {
        assert_eq!(checkpoints::load(&db.read, name).await.unwrap(), None);
    }
    board.write(&db.read).await.unwrap();
    for name in ["test.counter_a", "test.counter_b"] {
        assert_eq!(
            checkpoints::load(&db.read, name).await.unwrap(),
            Some(head),
            "{name} stored by the board's one write"
        );
    }

    // A checkpoint moved back meanwhile (a rebuild elsewhere) is not overwritten: the board
    // reports where it found it, and the projection replays from there.
    checkpoints::save(&db.read, "test.counter_a", Cursor::START)
        .await
        .unwrap();
    append_typed(db.store.as_ref(), 5, RELEVANT).await;
    let head = head_after(&db, 55).await;
    for name in ["test.counter_a", "test.counter_b"] {
        progress
            .wait_for(name, head.position, Duration::from_secs(60))
            .await
            .unwrap();
    }
    assert_eq!(rows_when(&db, "test_counter_b", 5).await, (5, 5));
    assert_eq!(
        rows_when(&db, "test_counter_a", 5).await,
        (5, 5),
        "the replay from the start applies each relevant event once"
    );
    shutdown.cancel();
}

common::on_both_stores!(
    consumers_behind_the_window_catch_up_without_gap_or_double,
    pages_without_relevant_events_cost_no_transaction,
    a_rebuilt_member_catches_up_while_the_other_keeps_up,
    skip_only_checkpoints_are_written_together_by_the_board,
);
