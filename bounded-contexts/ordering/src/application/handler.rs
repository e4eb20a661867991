//! The ordering command handler: load, decide, append, reply.

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{Actor, CommandKit, Handled, accept, decode, finish};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::cart::{CART_COMMANDS, CartHandler};
use super::commands::ActorMismatch;
use super::{OrderingCommand, OrderingConfig};
use crate::domain::Order;

#[derive(Debug)]
pub struct OrderingHandler {
    kit: CommandKit,
    carts: CartHandler,
    config: OrderingConfig,
}

impl OrderingHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            carts: CartHandler::new(Arc::clone(&store), Arc::clone(&clock)),
            kit: CommandKit::new(store, clock),
            config: OrderingConfig::default(),
        }
    }

    /// The settings the commands need (the return window).
    #[must_use]
    pub const fn with_config(mut self, config: OrderingConfig) -> Self {
        self.config = config;
        self
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let command: OrderingCommand = decode(envelope)?;
        let actor = Actor::required(envelope)?;
        let order_id = command.order_id();
        let return_id = command.return_id();
        let domain = match command.into_domain(&actor, self.config.return_window) {
            Ok(c) => c,
            Err(ActorMismatch::NeedsUser) => {
                return Ok(envelope.reject(
                    RejectionKind::Unauthenticated,
                    "unauthenticated",
                    "a user must send this",
                ));
            }
            Err(ActorMismatch::NeedsSystem) => {
                return Ok(envelope.reject(
                    RejectionKind::Forbidden,
                    "forbidden",
                    "only the platform may do this",
                ));
            }
        };
        let stream = StreamId::of(Order::KIND, order_id);
        let result = self
            .kit
            .execute::<Order>(&stream, domain, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| {
            let mut body =
                serde_json::json!({ "id": order_id, "status": done.state.status.as_str() });
            if let Some(return_id) = return_id {
                body["return_id"] = serde_json::json!(return_id);
            }
            body
        })
    }
}

#[async_trait]
impl CommandHandler for OrderingHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        if CART_COMMANDS.contains(&envelope.name.as_str()) {
            return finish(self.carts.run(&envelope).await);
        }
        finish(self.run(&envelope).await)
    }
}
