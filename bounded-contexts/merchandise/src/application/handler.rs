//! The merchandise command handler: load, decide, append, reply.

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{execute, reply_for};
use shared_kernel::ids::UserId;
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
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
        reply_for(
            &envelope,
            &stream,
            result,
            |done| serde_json::json!({ "id": product_id, "status": done.state.status.as_str() }),
        )
    }
}
