//! The ordering command handler: load, decide, append, reply.

use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{execute, reply_for};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::OrderingCommand;
use super::commands::{Actor, ActorMismatch};
use crate::domain::Order;

#[derive(Debug)]
pub struct OrderingHandler {
    store: Arc<dyn EventStore>,
    clock: Arc<dyn Clock>,
}

impl OrderingHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait]
impl CommandHandler for OrderingHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        let command = match OrderingCommand::from_envelope(&envelope) {
            Ok(c) => c,
            Err(e) => return Ok(envelope.reject(422, "invalid_command", e.to_string())),
        };
        let Some(actor) = Actor::of(&envelope) else {
            return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
        };
        let order_id = command.order_id();
        let domain = match command.into_domain(actor) {
            Ok(c) => c,
            Err(ActorMismatch::NeedsUser) => {
                return Ok(envelope.reject(401, "unauthenticated", "a user must send this"));
            }
            Err(ActorMismatch::NeedsSystem) => {
                return Ok(envelope.reject(403, "forbidden", "only the platform may do this"));
            }
        };
        let stream = StreamId::of(Order::KIND, order_id);
        let metadata = envelope.event_metadata();
        let result = execute::<Order>(
            self.store.as_ref(),
            self.clock.as_ref(),
            &stream,
            domain,
            &metadata,
        )
        .await;
        reply_for(
            &envelope,
            &stream,
            result,
            |done| serde_json::json!({ "id": order_id, "status": done.state.status.as_str() }),
        )
    }
}
