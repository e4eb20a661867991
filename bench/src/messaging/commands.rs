//! Command round trips of `agora bench-messaging`: a handler that appends one event per
//! command, sent on the in-process bus or through RabbitMQ.

use std::sync::Arc;

use async_trait::async_trait;
use infrastructure::rabbitmq::RabbitCommandBus;
use shared_kernel::application::event_id_for;
use shared_kernel::{
    CommandBus, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventStore,
    ExpectedVersion, StoreError, StreamId,
};
use uuid::Uuid;

use super::sample::{Sample, event, measure};

/// Appends one event per command, idempotently by command id (as real handlers do).
#[derive(Debug)]
pub(super) struct AppendHandler {
    pub(super) store: Arc<dyn EventStore>,
}

#[async_trait]
impl CommandHandler for AppendHandler {
    async fn handle(&self, command: CommandEnvelope) -> Result<CommandReply, StoreError> {
        if let Some((stream, appended)) = self.store.command_result(command.command_id).await? {
            return Ok(accepted(
                command.command_id,
                &stream,
                appended.stream_version,
                appended.position,
            ));
        }
        let stream = StreamId::of("benchcmd", command.command_id);
        let mut e = event(0);
        e.event_id = event_id_for(command.command_id, 0);
        e.metadata.command_id = Some(command.command_id);
        let appended = self
            .store
            .append(&stream, ExpectedVersion::NoStream, vec![e])
            .await?;
        Ok(accepted(
            command.command_id,
            &stream,
            appended.stream_version,
            appended.position,
        ))
    }
}

fn accepted(id: Uuid, stream: &StreamId, version: u64, position: u64) -> CommandReply {
    CommandReply {
        command_id: id,
        outcome: CommandOutcome::Accepted {
            stream_id: stream.to_string(),
            stream_version: version,
            position,
            body: serde_json::Value::Null,
        },
    }
}

/// Sends every command to one context (the bench's own queue).
#[derive(Debug)]
pub(super) struct RoutedBus {
    pub(super) inner: Arc<RabbitCommandBus>,
    pub(super) context: String,
}

#[async_trait]
impl CommandBus for RoutedBus {
    async fn send(
        &self,
        mut command: CommandEnvelope,
    ) -> Result<CommandReply, shared_kernel::BusError> {
        command.context.clone_from(&self.context);
        self.inner.send(command).await
    }
}

pub(super) async fn commands(
    bus: Arc<dyn CommandBus>,
    c: usize,
    secs: u64,
) -> anyhow::Result<Sample> {
    measure(c, secs, move |_| {
        let bus = Arc::clone(&bus);
        async move {
            let reply = bus
                .send(CommandEnvelope {
                    command_id: Uuid::now_v7(),
                    context: "bench".into(),
                    name: "append".into(),
                    payload: serde_json::Value::Null,
                    actor: None,
                    correlation_id: None,
                    causation_id: None,
                })
                .await?;
            anyhow::ensure!(
                matches!(reply.outcome, CommandOutcome::Accepted { .. }),
                "rejected"
            );
            Ok(())
        }
    })
    .await
}
