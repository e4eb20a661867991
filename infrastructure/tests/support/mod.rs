//! A tiny aggregate and command handler for bus tests: `Increment { by }` appends one event.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use shared_kernel::application::execute;
use shared_kernel::{
    Aggregate, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, DecodeError,
    DomainEvent, EventMetadata, EventStore, StoreError, StreamId, SystemClock, Timestamp,
};
use uuid::Uuid;

#[derive(Debug, Default, Clone)]
pub struct Counter(pub i64);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Incremented {
    pub by: i64,
}

impl DomainEvent for Incremented {
    fn event_type(&self) -> &'static str {
        "agora.test.incremented"
    }
    fn schema_version(&self) -> u32 {
        1
    }
    fn to_data(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
    fn decode(event_type: &str, _v: u32, data: serde_json::Value) -> Result<Self, DecodeError> {
        serde_json::from_value(data).map_err(|source| DecodeError::Malformed {
            event_type: event_type.into(),
            source,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("never")]
pub struct Never;

impl Aggregate for Counter {
    const KIND: &'static str = "counter";
    type Command = i64;
    type Event = Incremented;
    type Error = Never;
    fn decide(&self, by: i64, _now: Timestamp) -> Result<Vec<Incremented>, Never> {
        Ok(vec![Incremented { by }])
    }
    fn evolve(self, e: &Incremented) -> Self {
        Self(self.0 + e.by)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IncrementPayload {
    pub counter: Uuid,
    pub by: i64,
}

pub fn increment(context: &str, counter: Uuid, by: i64) -> CommandEnvelope {
    CommandEnvelope {
        command_id: Uuid::now_v7(),
        context: context.into(),
        name: "increment".into(),
        payload: serde_json::to_value(IncrementPayload { counter, by }).unwrap(),
        actor: Some("tester".into()),
        correlation_id: None,
        causation_id: None,
    }
}

/// Appends through the shared `execute` loop, so idempotency by command id is the real one.
#[derive(Debug)]
pub struct CounterHandler {
    pub store: Arc<dyn EventStore>,
}

#[async_trait]
impl CommandHandler for CounterHandler {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let p: IncrementPayload = serde_json::from_value(command.payload.clone())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let stream = StreamId::of(Counter::KIND, p.counter);
        let metadata = EventMetadata {
            command_id: Some(command.command_id),
            ..EventMetadata::default()
        };
        let done = execute::<Counter>(self.store.as_ref(), &SystemClock, &stream, p.by, &metadata)
            .await
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let appended = done.appended.unwrap();
        Ok(CommandReply {
            command_id: command.command_id,
            outcome: CommandOutcome::Accepted {
                stream_id: stream.to_string(),
                stream_version: appended.stream_version,
                position: appended.position,
                body: serde_json::json!({ "value": done.state.0 }),
            },
        })
    }
}

pub fn amqp_url() -> String {
    std::env::var("AGORA_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// A context name of its own per test, so queues do not mix.
pub fn unique_context() -> String {
    format!("test_{}", Uuid::now_v7().simple())
}

pub async fn pg_store() -> Arc<dyn EventStore> {
    let url = infrastructure::testing::fresh_postgres_url().await;
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    infrastructure::postgres::migrate(&pool).await.unwrap();
    Arc::new(infrastructure::postgres::PgEventStore::new(pool))
}

/// Deletes a test context's queues.
pub async fn delete_queues(context: &str) {
    use lapin::options::QueueDeleteOptions;
    let conn = lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    for q in [
        infrastructure::rabbitmq::queue(context),
        infrastructure::rabbitmq::dead_letter_queue(context),
    ] {
        let _ = ch
            .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
            .await;
    }
    let _ = conn.close(200, "bye".into()).await;
}

/// Messages waiting in a queue.
pub async fn queue_depth(queue: &str) -> u32 {
    use lapin::options::QueueDeclareOptions;
    let conn = lapin::Connection::connect(&amqp_url(), lapin::ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let q = ch
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            lapin::types::FieldTable::default(),
        )
        .await
        .unwrap();
    let _ = conn.close(200, "bye".into()).await;
    q.message_count()
}
