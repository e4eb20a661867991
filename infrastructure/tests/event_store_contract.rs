//! One contract, every event store: the same scenarios run against SQLite and PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use infrastructure::postgres::{self, PgEventStore};
use infrastructure::sqlite::SqliteEventStore;
use infrastructure::testing::{fresh_postgres_url, fresh_sqlite_url};
use shared_kernel::{
    Appended, Cursor, EventMetadata, EventStore, ExpectedVersion, NewEvent, Snapshot,
    SnapshotPolicy, StoreError, StreamId,
};
use uuid::Uuid;

fn event(n: u32) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "agora.test.happened".into(),
        schema_version: 1,
        data: serde_json::json!({ "n": n }),
        metadata: EventMetadata {
            actor: Some("tester".into()),
            ..EventMetadata::default()
        },
    }
}

fn events(range: std::ops::Range<u32>) -> Vec<NewEvent> {
    range.map(event).collect()
}

fn stream() -> StreamId {
    StreamId::of("test", Uuid::now_v7())
}

async fn sqlite() -> Arc<dyn EventStore> {
    Arc::new(SqliteEventStore::open(&fresh_sqlite_url()).await.unwrap())
}

async fn postgres() -> Arc<dyn EventStore> {
    let pool = sqlx::PgPool::connect(&fresh_postgres_url().await)
        .await
        .unwrap();
    postgres::migrate(&pool).await.unwrap();
    Arc::new(PgEventStore::new(pool))
}

async fn conflicts_are_typed(store: Arc<dyn EventStore>) {
    let s = stream();
    let first = store
        .append(&s, ExpectedVersion::NoStream, events(0..2))
        .await
        .unwrap();
    assert_eq!(first.stream_version, 2);

    let again = store
        .append(&s, ExpectedVersion::NoStream, events(2..3))
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { actual: 2, .. })),
        "NoStream on an existing stream: {again:?}"
    );
    let stale = store
        .append(&s, ExpectedVersion::Exact(1), events(2..3))
        .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { actual: 2, .. })),
        "{stale:?}"
    );
    let ahead = store
        .append(&s, ExpectedVersion::Exact(7), events(2..3))
        .await;
    assert!(
        matches!(ahead, Err(StoreError::Conflict { actual: 2, .. })),
        "{ahead:?}"
    );

    let ok = store
        .append(&s, ExpectedVersion::Exact(2), events(2..3))
        .await
        .unwrap();
    assert_eq!(ok.stream_version, 3);
    let any = store
        .append(&s, ExpectedVersion::Any, events(3..5))
        .await
        .unwrap();
    assert_eq!(any.stream_version, 5);
    assert!(matches!(
        store.append(&s, ExpectedVersion::Any, vec![]).await,
        Err(StoreError::EmptyAppend)
    ));
}

async fn one_writer_wins_a_race(store: Arc<dyn EventStore>) {
    let s = stream();
    let attempts = (0..8).map(|i| {
        let store = Arc::clone(&store);
        let s = s.clone();
        tokio::spawn(async move {
            store
                .append(&s, ExpectedVersion::NoStream, events(i..i + 1))
                .await
        })
    });
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let lost = results
        .iter()
        .filter(|r| matches!(r, Ok(Err(StoreError::Conflict { .. }))))
        .count();
    assert_eq!((won, lost), (1, 7), "{results:?}");
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 1);
}

async fn any_appends_never_lose_events(store: Arc<dyn EventStore>) {
    let s = stream();
    let attempts = (0..8).map(|i| {
        let store = Arc::clone(&store);
        let s = s.clone();
        tokio::spawn(async move {
            store
                .append(&s, ExpectedVersion::Any, events(i * 2..i * 2 + 2))
                .await
        })
    });
    for r in futures::future::join_all(attempts).await {
        r.unwrap().unwrap();
    }
    let read = store.read_stream(&s, 1).await.unwrap();
    let versions: Vec<u64> = read.iter().map(|r| r.stream_version).collect();
    assert_eq!(versions, (1..=16).collect::<Vec<_>>());
}

async fn streams_read_in_version_order(store: Arc<dyn EventStore>) {
    let (a, b) = (stream(), stream());
    store
        .append(&a, ExpectedVersion::NoStream, events(0..3))
        .await
        .unwrap();
    store
        .append(&b, ExpectedVersion::NoStream, events(100..101))
        .await
        .unwrap();
    store
        .append(&a, ExpectedVersion::Exact(3), events(3..5))
        .await
        .unwrap();

    let read = store.read_stream(&a, 1).await.unwrap();
    let ns: Vec<u64> = read.iter().map(|r| r.data["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, vec![0, 1, 2, 3, 4]);
    assert!(
        read.iter()
            .all(|r| r.stream_id == a && r.metadata.actor.as_deref() == Some("tester"))
    );
    let versions: Vec<u64> = read.iter().map(|r| r.stream_version).collect();
    assert_eq!(versions, vec![1, 2, 3, 4, 5]);

    let tail_of_a = store.read_stream(&a, 4).await.unwrap();
    assert_eq!(
        tail_of_a
            .iter()
            .map(|r| r.stream_version)
            .collect::<Vec<_>>(),
        vec![4, 5]
    );
    assert!(store.read_stream(&stream(), 1).await.unwrap().is_empty());
}

async fn read_all_is_in_commit_order_and_pages(store: Arc<dyn EventStore>) {
    let streams: Vec<StreamId> = (0..5).map(|_| stream()).collect();
    let mut expected = Vec::new();
    for round in 0..4_u32 {
        for (i, s) in streams.iter().enumerate() {
            let batch = events(
                round * 10 + u32::try_from(i).unwrap()..round * 10 + u32::try_from(i).unwrap() + 1,
            );
            expected.extend(batch.iter().map(|e| e.event_id));
            let v = if round == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(u64::from(round))
            };
            store.append(s, v, batch).await.unwrap();
        }
    }
    // Page through with a small limit, resuming from the last cursor each time. On
    // PostgreSQL a page may stop short while any older transaction (in any database of the
    // cluster) is still open: the guard holds events back until it ends, so keep asking.
    let mut cursor = Cursor::START;
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < expected.len() {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {} events readable",
            seen.len(),
            expected.len()
        );
        let page = store.read_all(cursor, 3).await.unwrap();
        if page.is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
            continue;
        }
        assert!(page.len() <= 3);
        for r in &page {
            assert!(r.cursor > cursor, "cursors must increase");
            cursor = r.cursor;
            seen.push(r.event_id);
        }
    }
    assert!(store.read_all(cursor, 3).await.unwrap().is_empty());
    assert_eq!(seen, expected);
    assert_eq!(store.head().await.unwrap(), cursor);
}

async fn tail_resumes_from_a_cursor(store: Arc<dyn EventStore>) {
    let s = stream();
    store
        .append(&s, ExpectedVersion::NoStream, events(0..5))
        .await
        .unwrap();

    let mut tail = store.tail(Cursor::START);
    let mut first = Vec::new();
    for _ in 0..3 {
        first.push(tail.next().await.unwrap().unwrap());
    }
    drop(tail);
    let resume_at = first[2].cursor;

    let mut resumed = store.tail(resume_at);
    let next = resumed.next().await.unwrap().unwrap();
    assert_eq!(next.data["n"], 3, "resumes right after the cursor");
    assert_eq!(resumed.next().await.unwrap().unwrap().data["n"], 4);

    // Live: an append after the tail caught up wakes it (no polling interval to wait out).
    let writer = Arc::clone(&store);
    let s2 = s.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        writer
            .append(&s2, ExpectedVersion::Exact(5), events(5..6))
            .await
            .unwrap();
    });
    let live = tokio::time::timeout(Duration::from_secs(2), resumed.next())
        .await
        .expect("a live event must arrive well before the idle re-check")
        .unwrap()
        .unwrap();
    assert_eq!(live.data["n"], 5);
    assert_eq!(live.stream_version, 6);
}

async fn appending_a_stored_event_id_is_a_no_op(store: Arc<dyn EventStore>) {
    let s = stream();
    let batch = events(0..3);
    let first = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert!(!first.replayed);
    let replayed = Appended {
        replayed: true,
        ..first
    };
    // A retry after a lost reply: same ids, same expectation.
    let retry = store
        .append(&s, ExpectedVersion::NoStream, batch.clone())
        .await
        .unwrap();
    assert_eq!(retry, replayed, "the first result, marked as a replay");
    // Even with a different expectation the stored result is returned, not a second copy.
    let retry_any = store
        .append(&s, ExpectedVersion::Any, batch.clone())
        .await
        .unwrap();
    assert_eq!(retry_any, replayed);
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 3);

    // The same id in another stream is not a retry: it is refused.
    let elsewhere = store
        .append(&stream(), ExpectedVersion::NoStream, batch[..1].to_vec())
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::DuplicateEvent(_))),
        "{elsewhere:?}"
    );
    let ids: HashSet<Uuid> = store
        .read_all(Cursor::START, 100)
        .await
        .unwrap()
        .iter()
        .map(|r| r.event_id)
        .collect();
    assert_eq!(ids.len(), 3);
}

async fn snapshots_keep_the_newest(store: Arc<dyn EventStore>) {
    let s = stream();
    assert_eq!(store.read_snapshot(&s).await.unwrap(), None);
    let snapshot = |version, n: u32| Snapshot {
        version,
        position: version,
        schema: 1,
        state: serde_json::json!({ "n": n }),
    };
    store.write_snapshot(&s, &snapshot(10, 1)).await.unwrap();
    // An older snapshot (a slower writer) does not replace a newer one.
    store.write_snapshot(&s, &snapshot(5, 2)).await.unwrap();
    assert_eq!(
        store.read_snapshot(&s).await.unwrap(),
        Some(snapshot(10, 1))
    );
    store.write_snapshot(&s, &snapshot(20, 3)).await.unwrap();
    assert_eq!(
        store.read_snapshot(&s).await.unwrap(),
        Some(snapshot(20, 3))
    );
    // A new schema replaces whatever is there.
    let renewed = Snapshot {
        schema: 2,
        ..snapshot(20, 4)
    };
    store.write_snapshot(&s, &renewed).await.unwrap();
    assert_eq!(store.read_snapshot(&s).await.unwrap(), Some(renewed));
}

/// A counter whose loads start from a snapshot every 4 events.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Tally {
    total: i64,
    /// Bumped by `from_snapshot`, so a test can tell a snapshot was used.
    restored: bool,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Added {
    by: i64,
}

impl shared_kernel::DomainEvent for Added {
    fn event_type(&self) -> &'static str {
        "agora.test.added"
    }
    fn schema_version(&self) -> u32 {
        1
    }
    fn to_data(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn decode(
        _event_type: &str,
        _schema_version: u32,
        data: serde_json::Value,
    ) -> Result<Self, shared_kernel::DecodeError> {
        serde_json::from_value(data).map_err(|source| shared_kernel::DecodeError::Malformed {
            event_type: "agora.test.added".into(),
            source,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
struct Never;

impl shared_kernel::Aggregate for Tally {
    const KIND: &'static str = "tally";
    const SNAPSHOTS: Option<SnapshotPolicy> = Some(SnapshotPolicy {
        every: 4,
        schema: 1,
    });
    type Command = i64;
    type Event = Added;
    type Error = Never;
    fn decide(&self, by: i64, _now: shared_kernel::Timestamp) -> Result<Vec<Added>, Never> {
        Ok(vec![Added { by }])
    }
    fn evolve(self, event: &Added) -> Self {
        Self {
            total: self.total + event.by,
            ..self
        }
    }
    fn to_snapshot(&self) -> Option<serde_json::Value> {
        serde_json::to_value(self).ok()
    }
    fn from_snapshot(snapshot: serde_json::Value) -> Option<Self> {
        serde_json::from_value::<Self>(snapshot).ok().map(|t| Self {
            restored: true,
            ..t
        })
    }
}

async fn loads_start_from_snapshots_and_stay_idempotent(store: Arc<dyn EventStore>) {
    use shared_kernel::application::{execute, load};
    let s = StreamId::of("tally", Uuid::now_v7());
    let clock = shared_kernel::SystemClock;
    let mut commands = Vec::new();
    for i in 1..=10_i64 {
        let command = Uuid::now_v7();
        commands.push(command);
        let metadata = EventMetadata {
            command_id: Some(command),
            ..EventMetadata::default()
        };
        execute::<Tally>(store.as_ref(), &clock, &s, i, &metadata)
            .await
            .unwrap();
    }
    let snapshot = store.read_snapshot(&s).await.unwrap().expect("a snapshot");
    assert_eq!(snapshot.version, 8, "taken every 4 events");
    let loaded = load::<Tally>(store.as_ref(), &s).await.unwrap();
    assert_eq!((loaded.state.total, loaded.version), (55, 10));
    assert!(loaded.state.restored, "the load started from the snapshot");

    // A command redelivered after its events went into a snapshot still runs once.
    let metadata = EventMetadata {
        command_id: Some(commands[1]),
        ..EventMetadata::default()
    };
    let again = execute::<Tally>(store.as_ref(), &clock, &s, 2, &metadata)
        .await
        .unwrap();
    assert!(again.events.is_empty(), "deduplicated, not decided again");
    assert_eq!(again.version, 2, "its first result");
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 10);

    // A snapshot of another schema is ignored: the stream is folded from its start.
    store
        .write_snapshot(
            &s,
            &Snapshot {
                version: 10,
                position: 10,
                schema: 99,
                state: serde_json::json!({ "total": -1, "restored": false }),
            },
        )
        .await
        .unwrap();
    let loaded = load::<Tally>(store.as_ref(), &s).await.unwrap();
    assert_eq!((loaded.state.total, loaded.state.restored), (55, false));
}

/// Forwards to a store and counts stream reads: how a test sees a load happen.
#[derive(Debug)]
struct CountingReads {
    inner: Arc<dyn EventStore>,
    reads: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl EventStore for CountingReads {
    async fn append(
        &self,
        stream: &StreamId,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Result<Appended, StoreError> {
        self.inner.append(stream, expected, events).await
    }
    async fn read_stream(
        &self,
        stream: &StreamId,
        from_version: u64,
    ) -> Result<Vec<shared_kernel::Recorded>, StoreError> {
        self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.read_stream(stream, from_version).await
    }
    async fn read_all(
        &self,
        after: Cursor,
        limit: usize,
    ) -> Result<Vec<shared_kernel::Recorded>, StoreError> {
        self.inner.read_all(after, limit).await
    }
    fn tail(
        &self,
        after: Cursor,
    ) -> futures::stream::BoxStream<'_, Result<shared_kernel::Recorded, StoreError>> {
        self.inner.tail(after)
    }
    async fn head(&self) -> Result<Cursor, StoreError> {
        self.inner.head().await
    }
    async fn cursor_of(&self, position: u64) -> Result<Option<Cursor>, StoreError> {
        self.inner.cursor_of(position).await
    }
    async fn command_result(
        &self,
        command_id: Uuid,
    ) -> Result<Option<(StreamId, Appended)>, StoreError> {
        self.inner.command_result(command_id).await
    }
    async fn read_snapshot(&self, stream: &StreamId) -> Result<Option<Snapshot>, StoreError> {
        self.inner.read_snapshot(stream).await
    }
    async fn write_snapshot(
        &self,
        stream: &StreamId,
        snapshot: &Snapshot,
    ) -> Result<(), StoreError> {
        self.inner.write_snapshot(stream, snapshot).await
    }
    fn aggregate_cache(&self) -> Option<&shared_kernel::AggregateCache> {
        self.inner.aggregate_cache()
    }
}

async fn cached_aggregates_decide_without_a_load_until_someone_else_writes(
    store: Arc<dyn EventStore>,
) {
    use shared_kernel::application::execute;
    use std::sync::atomic::Ordering::SeqCst;
    let counting = CountingReads {
        inner: Arc::clone(&store),
        reads: std::sync::atomic::AtomicUsize::new(0),
    };
    let s = StreamId::of("tally", Uuid::now_v7());
    let clock = shared_kernel::SystemClock;
    let with_id = |id| EventMetadata {
        command_id: Some(id),
        ..EventMetadata::default()
    };
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
    execute::<Tally>(&counting, &clock, &s, 1, &with_id(first))
        .await
        .unwrap();
    let done = execute::<Tally>(&counting, &clock, &s, 2, &with_id(second))
        .await
        .unwrap();
    assert_eq!((done.state.total, done.version), (3, 2));
    assert_eq!(
        counting.reads.load(SeqCst),
        1,
        "the second command was decided from the cache"
    );

    // A repeated command is answered from the cache with its first result.
    let again = execute::<Tally>(&counting, &clock, &s, 2, &with_id(first))
        .await
        .unwrap();
    assert!(again.events.is_empty());
    assert_eq!(again.version, 1);
    assert_eq!(counting.reads.load(SeqCst), 1);

    // Another writer moves the stream on: the cached state is stale, the append conflicts,
    // and the command is decided again on a fresh load.
    let foreign = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "agora.test.added".into(),
        schema_version: 1,
        data: serde_json::json!({ "by": 100 }),
        metadata: EventMetadata::default(),
    };
    store
        .append(&s, ExpectedVersion::Any, vec![foreign])
        .await
        .unwrap();
    let done = execute::<Tally>(&counting, &clock, &s, 3, &with_id(Uuid::now_v7()))
        .await
        .unwrap();
    assert_eq!((done.state.total, done.version), (106, 4));
    assert_eq!(
        counting.reads.load(SeqCst),
        2,
        "one reload after the conflict"
    );
    assert_eq!(store.read_stream(&s, 1).await.unwrap().len(), 4);
}

/// A switch: `Use` is refused while it is off, `On` when it is on already changes nothing.
#[derive(Debug, Default, Clone, PartialEq)]
struct Switch {
    on: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum SwitchCommand {
    On,
    Use,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Switched {
    on: bool,
}

impl shared_kernel::DomainEvent for Switched {
    fn event_type(&self) -> &'static str {
        "agora.test.switched"
    }
    fn schema_version(&self) -> u32 {
        1
    }
    fn to_data(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn decode(
        _event_type: &str,
        _schema_version: u32,
        data: serde_json::Value,
    ) -> Result<Self, shared_kernel::DecodeError> {
        serde_json::from_value(data).map_err(|source| shared_kernel::DecodeError::Malformed {
            event_type: "agora.test.switched".into(),
            source,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the switch is off")]
struct Off;

impl shared_kernel::Aggregate for Switch {
    const KIND: &'static str = "switch";
    type Command = SwitchCommand;
    type Event = Switched;
    type Error = Off;
    fn decide(
        &self,
        command: SwitchCommand,
        _now: shared_kernel::Timestamp,
    ) -> Result<Vec<Switched>, Off> {
        match command {
            SwitchCommand::On if self.on => Ok(vec![]),
            SwitchCommand::On => Ok(vec![Switched { on: true }]),
            SwitchCommand::Use if self.on => Ok(vec![Switched { on: true }]),
            SwitchCommand::Use => Err(Off),
        }
    }
    fn evolve(self, event: &Switched) -> Self {
        Self { on: event.on }
    }
}

fn switched(on: bool) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "agora.test.switched".into(),
        schema_version: 1,
        data: serde_json::json!({ "on": on }),
        metadata: EventMetadata::default(),
    }
}

/// Two instances of a context: the other one moved the stream on, so this one's cached state
/// is stale. A refusal, or a "nothing to do", decided on it is never checked by an append: it
/// must be decided again on a fresh load (a saga's `reserve` was refused as `pending` when the
/// payment had been authorised by the other instance, and the order was cancelled).
async fn a_refusal_on_a_cached_state_is_judged_again_on_a_fresh_load(store: Arc<dyn EventStore>) {
    use shared_kernel::application::{ExecuteError, execute};
    let s = StreamId::of("switch", Uuid::now_v7());
    let clock = shared_kernel::SystemClock;
    let meta = || EventMetadata {
        command_id: Some(Uuid::now_v7()),
        ..EventMetadata::default()
    };
    let refused = execute::<Switch>(store.as_ref(), &clock, &s, SwitchCommand::Use, &meta()).await;
    assert!(
        matches!(refused, Err(ExecuteError::Domain(Off))),
        "off at first"
    );
    // The other instance switches it on: this one's cache still says off.
    store
        .append(&s, ExpectedVersion::Any, vec![switched(true)])
        .await
        .unwrap();
    let used = execute::<Switch>(store.as_ref(), &clock, &s, SwitchCommand::Use, &meta())
        .await
        .expect("decided on the stream as it is, not as cached");
    assert_eq!((used.version, used.events.len()), (2, 1));
    // The other instance switches it off: this one's cache says on, where `On` does nothing.
    store
        .append(&s, ExpectedVersion::Any, vec![switched(false)])
        .await
        .unwrap();
    let on = execute::<Switch>(store.as_ref(), &clock, &s, SwitchCommand::On, &meta())
        .await
        .unwrap();
    assert_eq!((on.version, on.events.len()), (4, 1), "switched on again");
    assert!(on.state.on);
}

/// Every event after `after` that `filter` selects, page by page (`limit` each), resuming
/// from the last cursor: what an analyst paging `/events` gets.
async fn page_through(
    store: &dyn EventStore,
    filter: &shared_kernel::EventFilter,
    limit: usize,
) -> Vec<shared_kernel::Recorded> {
    let mut cursor = Cursor::START;
    let mut out = Vec::new();
    loop {
        let page = store.read_filtered(filter, cursor, limit).await.unwrap();
        assert!(page.len() <= limit);
        let Some(last) = page.last() else {
            return out;
        };
        for r in &page {
            assert!(r.cursor > cursor, "cursors must increase");
            cursor = r.cursor;
        }
        let _ = last;
        out.extend(page);
    }
}

async fn filtered_reads_select_and_page_in_global_order(store: Arc<dyn EventStore>) {
    use shared_kernel::{EventFilter, TypeMatch};
    // 10,000 events: 4 contexts, 3 types each, 100 streams of 100 events, appended a batch of
    // 10 at a time in rounds, so every stream and type is spread over the whole log.
    let contexts = ["shop", "forum", "pay", "ship"];
    let streams: Vec<StreamId> = (0..100).map(|_| stream()).collect();
    for round in 0..10_u32 {
        for (i, s) in streams.iter().enumerate() {
            let i = u32::try_from(i).unwrap();
            let batch = (0..10)
                .map(|k| {
                    let n = round * 10 + k;
                    let context = contexts[(i as usize + k as usize) % 4];
                    NewEvent {
                        event_type: format!("agora.{context}.thing_{}", (n + i) % 3),
                        ..event(n)
                    }
                })
                .collect();
            let expected = if round == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(u64::from(round) * 10)
            };
            store.append(s, expected, batch).await.unwrap();
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let everything = loop {
        let all = page_through(store.as_ref(), &EventFilter::all(), 1_000).await;
        if all.len() >= 10_000 || std::time::Instant::now() > deadline {
            break all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(everything.len(), 10_000);
    let mid = &everything[4_000];
    let late = &everything[7_000];
    let filters = [
        EventFilter {
            contexts: vec!["forum".into()],
            ..EventFilter::default()
        },
        EventFilter {
            types: vec![TypeMatch::Exact("agora.pay.thing_1".into())],
            ..EventFilter::default()
        },
        EventFilter {
            types: vec![
                TypeMatch::Exact("agora.pay.thing_1".into()),
                TypeMatch::Prefix("agora.ship.".into()),
                TypeMatch::Prefix("agora.nothing.".into()),
            ],
            ..EventFilter::default()
        },
        EventFilter {
            contexts: vec!["shop".into(), "ship".into()],
            types: vec![TypeMatch::Prefix("agora.sh".into())],
            ..EventFilter::default()
        },
        EventFilter {
            stream: Some(streams[17].clone()),
            ..EventFilter::default()
        },
        EventFilter {
            stream: Some(streams[3].clone()),
            types: vec![TypeMatch::Prefix("agora.forum.".into())],
            ..EventFilter::default()
        },
        EventFilter {
            from: Some(mid.recorded_at),
            to: Some(late.recorded_at),
            ..EventFilter::default()
        },
        EventFilter {
            contexts: vec!["pay".into()],
            from: Some(mid.recorded_at),
            ..EventFilter::default()
        },
        EventFilter {
            contexts: vec!["nothing".into()],
            ..EventFilter::default()
        },
    ];
    for filter in &filters {
        let expected: Vec<Uuid> = everything
            .iter()
            .filter(|e| filter.matches(e))
            .map(|e| e.event_id)
            .collect();
        for limit in [7, 100] {
            let read: Vec<Uuid> = page_through(store.as_ref(), filter, limit)
                .await
                .iter()
                .map(|e| e.event_id)
                .collect();
            assert_eq!(read.len(), expected.len(), "{filter:?} by {limit}");
            assert_eq!(read, expected, "{filter:?} by {limit}");
        }
    }
    // A stream's events come in version order, which is its commit order.
    let one = page_through(
        store.as_ref(),
        &EventFilter {
            stream: Some(streams[17].clone()),
            ..EventFilter::default()
        },
        1_000,
    )
    .await;
    let versions: Vec<u64> = one.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, (1..=100).collect::<Vec<_>>());
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::sqlite().await).await }
            )*
        }
        mod postgres_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() { super::$name(super::postgres().await).await }
            )*
        }
    };
}

contract!(
    conflicts_are_typed,
    one_writer_wins_a_race,
    any_appends_never_lose_events,
    streams_read_in_version_order,
    read_all_is_in_commit_order_and_pages,
    tail_resumes_from_a_cursor,
    appending_a_stored_event_id_is_a_no_op,
    snapshots_keep_the_newest,
    loads_start_from_snapshots_and_stay_idempotent,
    cached_aggregates_decide_without_a_load_until_someone_else_writes,
    a_refusal_on_a_cached_state_is_judged_again_on_a_fresh_load,
    filtered_reads_select_and_page_in_global_order,
);

/// Two processes on one database: a commit in one wakes the other's tail within moments, also
/// once both have settled (a process stops notifying only when it knows nobody listens).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_in_one_process_wakes_another_at_once() {
    let url = fresh_postgres_url().await;
    let connect = || async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        postgres::migrate(&pool).await.unwrap();
        PgEventStore::new(pool)
    };
    let (writer, reader) = (connect().await, connect().await);
    // Past the start-up period in which a process notifies whether or not it has peers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut tail = reader.tail(Cursor::START);
    for n in 0..3 {
        writer
            .append(&stream(), ExpectedVersion::NoStream, vec![event(n)])
            .await
            .unwrap();
        // Without a notification the tail would look again only after 5 s.
        let got = tokio::time::timeout(Duration::from_secs(2), tail.next())
            .await
            .expect("woken by the other process's notification")
            .unwrap()
            .unwrap();
        assert_eq!(got.data["n"], n);
    }
}
