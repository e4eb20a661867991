//! A ledger projection that records every application (no upsert), so a double shows as an
//! extra row and a gap as a missing one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use infrastructure::database::Database;
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::{EventMetadata, EventStore, ExpectedVersion, NewEvent, Recorded, StreamId};
use sqlx::AnyConnection;
use tokio::sync::Notify;
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct Ledger {
    /// When set, the apply of this many-th event (counting from 1) blocks forever once.
    pub hang_at: Option<usize>,
    pub applied: AtomicUsize,
    pub hanging: Arc<Notify>,
}

#[async_trait]
impl Projection for Ledger {
    fn name(&self) -> &'static str {
        "test.ledger"
    }

    fn handles(&self) -> Interest {
        // Tests write events of contexts of their own (`test<uuid>`) too.
        Interest::Everything
    }
    fn schema(&self) -> &'static [&'static str] {
        &[
            "CREATE TABLE IF NOT EXISTS test_ledger (event_id TEXT NOT NULL, position BIGINT NOT NULL)",
        ]
    }
    fn tables(&self) -> &'static [&'static str] {
        &["test_ledger"]
    }
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        sqlx::query("INSERT INTO test_ledger (event_id, position) VALUES ($1, $2)")
            .bind(event.event_id.to_string())
            .bind(i64::try_from(event.position).unwrap())
            .execute(&mut *conn)
            .await?;
        let n = self.applied.fetch_add(1, Ordering::SeqCst) + 1;
        if self.hang_at == Some(n) {
            self.hanging.notify_one();
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

pub async fn append(store: &dyn EventStore, count: usize) {
    append_typed(store, count, "agora.test.happened").await;
}

/// Appends `count` one-event streams of `event_type`.
pub async fn append_typed(store: &dyn EventStore, count: usize, event_type: &str) {
    for i in 0..count {
        let stream = StreamId::of("ledger", Uuid::now_v7());
        let event = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            data: serde_json::json!({ "i": i }),
            metadata: EventMetadata::default(),
        };
        store
            .append(&stream, ExpectedVersion::NoStream, vec![event])
            .await
            .unwrap();
    }
}

/// Waits until the ledger holds `expected` rows; returns (rows, distinct events).
pub async fn ledger_when_complete(db: &Database, expected: i64) -> (i64, i64) {
    let mut last = (0, 0);
    for _ in 0..300 {
        last = sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM test_ledger")
            .fetch_one(&db.read)
            .await
            .unwrap();
        if last.0 >= expected {
            // Give a double the chance to show up before judging.
            tokio::time::sleep(Duration::from_millis(300)).await;
            return sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM test_ledger")
                .fetch_one(&db.read)
                .await
                .unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last
}
