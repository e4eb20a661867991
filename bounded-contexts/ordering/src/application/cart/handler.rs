//! The cart command handler: load, decide, append, reply; a checkout goes on to place the
//! order ([`super::checkout`]).

use shared_kernel::RejectionKind;
use std::sync::Arc;

use shared_kernel::application::{Actor, CommandKit, Handled, accept, untracked};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, Clock, CommandEnvelope, EventStore, StreamId};

use super::{CartRequest, cart_line};
use crate::application::CartState;
use crate::domain::{Cart, CartCommand};

/// Runs the cart commands on the buyer's cart stream (`cart-<buyer id>`), and a checkout's
/// order on the order's stream.
#[derive(Debug)]
pub struct CartHandler {
    pub(super) kit: CommandKit,
}

impl CartHandler {
    /// A handler deciding with `store` and `clock`.
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
        }
    }

    /// Runs a cart command: a buyer's on their own cart, or the expiry timer's `abandon_cart`
    /// (the platform's only).
    ///
    /// # Errors
    /// A rejection as the reply (`Stop::Reply`), or a store failure the bus retries.
    pub async fn run(&self, envelope: &CommandEnvelope, request: CartRequest) -> Handled {
        let actor = Actor::required(envelope)?;
        match (request, actor.user_id()) {
            (CartRequest::AbandonCart { buyer_id, version }, None) => {
                let stream = StreamId::of(Cart::KIND, buyer_id);
                let command = CartCommand::Abandon { version };
                self.execute(envelope, &stream, command, false).await
            }
            (_, None) => Ok(envelope.reject(
                RejectionKind::Unauthenticated,
                "unauthenticated",
                "a user must send this",
            )),
            (request, Some(buyer_id)) => self.buyer_command(envelope, buyer_id, request).await,
        }
    }

    async fn buyer_command(
        &self,
        envelope: &CommandEnvelope,
        buyer_id: UserId,
        request: CartRequest,
    ) -> Handled {
        let stream = StreamId::of(Cart::KIND, buyer_id);
        let command = match request {
            CartRequest::AddCartLine { line } => CartCommand::AddLine {
                buyer_id,
                line: cart_line(line),
            },
            CartRequest::ChangeCartLine { line } => CartCommand::ChangeLine {
                buyer_id,
                line: cart_line(line),
            },
            CartRequest::RemoveCartLine { sku } => CartCommand::RemoveLine { buyer_id, sku },
            CartRequest::RepriceCart { lines } => {
                let command = CartCommand::Reprice {
                    buyer_id,
                    lines: lines.into_iter().map(cart_line).collect(),
                };
                // Untracked: a checkout retried under the same key may have to reprice again
                // (prices moved twice), which a remembered first result would skip.
                return self.execute(envelope, &stream, command, true).await;
            }
            CartRequest::CheckOutCart {
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
            CartRequest::AbandonCart { .. } => {
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
        accept(envelope, stream, result, |done| {
            CartState::from(&*done.state)
        })
    }
}
