//! The merchandise command handler: load, decide, append, reply.

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{ExecuteError, execute};
use shared_kernel::ids::UserId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandOutcome, CommandReply, EventStore,
    StoreError, StreamId,
};

use super::MerchandiseCommand;
use crate::domain::Product;

#[derive(Debug)]
pub struct MerchandiseHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
}

impl MerchandiseHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl CommandHandler for MerchandiseHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match MerchandiseCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        let Some(actor) = envelope
            .actor
            .as_deref()
            .and_then(|a| a.parse::<UserId>().ok())
        else {
            return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
        };
        let product_id = command.product_id();
        let stream = StreamId::of(Product::KIND, product_id);
        let metadata = envelope.event_metadata();
        let result = execute::<Product>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &stream,
            command.into_domain(actor),
            &metadata,
        )
        .await;
        match result {
            Ok(done) => Ok(CommandReply {
                command_id: envelope.command_id,
                outcome: CommandOutcome::Accepted {
                    stream_id: stream.to_string(),
                    stream_version: done.version,
                    position: done.appended.map_or(0, |a| a.position),
                    body: serde_json::json!({
                        "id": product_id,
                        "status": done.state.status.as_str(),
                    }),
                },
            }),
            Err(ExecuteError::Domain(e)) => {
                let (code, status) = e.code_and_status();
                Ok(envelope.reject(status, code, e.to_string()))
            }
            Err(ExecuteError::Conflict) => Ok(envelope.reject(
                409,
                "concurrency_conflict",
                "the product changed concurrently; try again",
            )),
            Err(ExecuteError::Store(e)) => Err(e),
            Err(e @ (ExecuteError::Decode(_) | ExecuteError::Encode(_))) => {
                Err(StoreError::Corrupt(e.to_string()))
            }
        }
    }
}
