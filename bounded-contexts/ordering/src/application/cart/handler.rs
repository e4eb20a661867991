//! The cart command handler: load, decide, append, reply; a checkout goes on to place the
//! order ([`super::checkout`]).

use shared_kernel::RejectionKind;
use std::sync::Arc;

use shared_kernel::application::{Actor, CommandKit, Handled, accept, decode, untracked};
use shared_kernel::{Aggregate, Clock, CommandEnvelope, EventStore, StreamId};

use super::{CartMessage, cart_line};
use crate::domain::{Cart, CartCommand};

/// Runs the cart commands on the buyer's cart stream (`cart-<buyer id>`), and a checkout's
/// order on the order's stream.
#[derive(Debug)]
pub struct CartHandler {
    pub(super) kit: CommandKit,
}

/// What a cart write answers: the cart as the command left it (recorded prices).
pub(super) fn cart_body(cart: &Cart) -> serde_json::Value {
    let total = cart.total().ok().flatten();
    serde_json::json!({
        "lines": cart.lines,
        "line_count": cart.lines.len(),
        "total": total,
        "version": cart.version,
    })
}

impl CartHandler {
    /// A handler deciding with `store` and `clock`.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    /// Runs one of the cart commands ([`super::CART_COMMANDS`]).
    ///
    /// # Errors
    /// A rejection as the reply (`Stop::Reply`), or a store failure the bus retries.
    pub async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        let message: CartMessage = decode(envelope)?;
        let actor = Actor::required(envelope)?;
        if let (None, CartMessage::AbandonCart { buyer_id, version }) = (actor.user_id(), &message)
        {
            let stream = StreamId::of(Cart::KIND, buyer_id);
            let command = CartCommand::Abandon { version: *version };
            return self.execute(envelope, &stream, command, false).await;
        }
        let Some(buyer_id) = actor.user_id() else {
            return Ok(envelope.reject(
                RejectionKind::Unauthenticated,
                "unauthenticated",
                "a user must send this",
            ));
        };
        let stream = StreamId::of(Cart::KIND, buyer_id);
        let command = match message {
            CartMessage::AddCartLine { line } => CartCommand::AddLine {
                buyer_id,
                line: cart_line(line),
            },
            CartMessage::ChangeCartLine { line } => CartCommand::ChangeLine {
                buyer_id,
                line: cart_line(line),
            },
            CartMessage::RemoveCartLine { sku } => CartCommand::RemoveLine { buyer_id, sku },
            CartMessage::RepriceCart { lines } => {
                let command = CartCommand::Reprice {
                    buyer_id,
                    lines: lines.into_iter().map(cart_line).collect(),
                };
                // Untracked: a checkout retried under the same key may have to reprice again
                // (prices moved twice), which a remembered first result would skip.
                return self.execute(envelope, &stream, command, true).await;
            }
            CartMessage::CheckOutCart {
                order_id,
                payment_id,
                lines,
                shipping_address,
                payment,
            } => {
                let checkout = super::checkout::Checkout {
                    buyer_id,
                    order_id,
                    payment_id,
                    lines,
                    shipping_address,
                    payment,
                };
                return self.check_out(envelope, checkout).await;
            }
            CartMessage::AbandonCart { .. } => {
                return Ok(envelope.reject(
                    RejectionKind::Forbidden,
                    "forbidden",
                    "only the platform may do this",
                ));
            }
        };
        self.execute(envelope, &stream, command, false).await
    }

    async fn execute(
        &self,
        envelope: &CommandEnvelope,
        stream: &StreamId,
        command: CartCommand,
        untracked_step: bool,
    ) -> Handled {
        let metadata = envelope.event_metadata();
        let metadata = if untracked_step {
            untracked(&metadata)
        } else {
            metadata
        };
        let result = self.kit.execute::<Cart>(stream, command, &metadata).await;
        accept(envelope, stream, result, |done| cart_body(&done.state))
    }
}
