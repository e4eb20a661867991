//! The ordering command handler: one dispatch by aggregate; an order's commands here (load,
//! decide, append, reply), a cart's in [`super::cart`].

use shared_kernel::RejectionKind;
use std::sync::Arc;

use async_trait::async_trait;
use shared_kernel::application::{Actor, CommandKit, Handled, accept, decode, finish};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::cart::CartHandler;
use super::commands::ActorMismatch;
use super::{OrderRequest, OrderState, OrderingCommand, OrderingConfig, ReturnState};
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
        match decode(envelope)? {
            OrderingCommand::Order(request) => self.order(envelope, request).await,
            OrderingCommand::Cart(request) => self.carts.run(envelope, request).await,
        }
    }

    async fn order(&self, envelope: &CommandEnvelope, request: OrderRequest) -> Handled {
        let actor = Actor::required(envelope)?;
        let order_id = request.order_id();
        let return_id = request.return_id();
        let domain = match request.into_domain(&actor, self.config.return_window) {
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
        // A return step answers the return's id beside the order's state.
        match return_id {
            Some(return_id) => accept(envelope, &stream, result, |done| ReturnState {
                id: order_id.to_string(),
                status: done.state.status.as_str().to_owned(),
                return_id: return_id.to_string(),
            }),
            None => accept(envelope, &stream, result, |done| {
                OrderState::of(order_id, &done.state)
            }),
        }
    }
}

#[async_trait]
impl CommandHandler for OrderingHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
