//! Checking a cart out: the cart records `CartCheckedOut` (naming the order), then the order is
//! placed from exactly the lines and prices the cart recorded, through the same command and
//! aggregate `POST /orders` uses; the order saga takes it from there.
//!
//! Safe under retries and crashes: the order id is derived from the command id (a retry names
//! the same order), the cart step runs under a command id derived from the command's (a retry
//! finds its first result instead of deciding again), and the order step under the command's
//! own (the store answers a repeat with the first order). A crash between the two steps leaves
//! an emptied cart whose `last_checkout` names the order; the retry (same `Idempotency-Key`, or
//! the bus redelivering) places it from there. Before either step, the order is decided on no
//! order at all (pure): a checkout the order would refuse (address, payment, own product)
//! leaves the cart as it was.

use event_schemas::ordering::{PaymentInstruction, ShippingAddress};
use shared_kernel::RejectionKind;
use shared_kernel::application::{Actor, Handled, accept, follow_up, rejected, stop};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{Aggregate, CommandEnvelope, StoreError, StreamId};

use super::handler::CartHandler;
use super::{cart_line, priced_line};
use crate::application::{ActorMismatch, OrderRequest, OrderState, PricedLineInput};
use crate::domain::{Cart, CartCommand, Order, OrderCommand};

/// A checkout as the handler runs it.
#[derive(Debug, Clone)]
pub(super) struct Checkout {
    pub buyer_id: UserId,
    pub order_id: OrderId,
    pub payment_id: PaymentId,
    pub lines: Vec<PricedLineInput>,
    pub shipping_address: ShippingAddress,
    pub payment: PaymentInstruction,
}

impl Checkout {
    /// The order command `POST /orders` would send for `lines`.
    fn place(&self, lines: Vec<PricedLineInput>) -> Result<OrderCommand, ActorMismatch> {
        OrderRequest::PlaceOrder {
            order_id: self.order_id,
            lines,
            shipping_address: self.shipping_address.clone(),
            payment: self.payment.clone(),
            payment_id: self.payment_id,
        }
        // Placing reads no return window (only a return request does).
        .into_domain(&Actor::User(self.buyer_id), std::time::Duration::ZERO)
    }
}

impl CartHandler {
    pub(super) async fn check_out(
        &self,
        envelope: &CommandEnvelope,
        checkout: Checkout,
    ) -> Handled {
        let unexpected = |_| StoreError::Corrupt("a user's order command needs no platform".into());
        if !checkout.lines.is_empty() {
            let place = checkout.place(checkout.lines.clone()).map_err(unexpected)?;
            if let Err(e) = Order::default().decide(place, self.kit.clock.now()) {
                return Ok(rejected(envelope, &e));
            }
        }
        let metadata = envelope.event_metadata();
        let cart_stream = StreamId::of(Cart::KIND, checkout.buyer_id);
        let command = CartCommand::CheckOut {
            buyer_id: checkout.buyer_id,
            order_id: checkout.order_id,
            lines: checkout.lines.iter().cloned().map(cart_line).collect(),
        };
        let cart = self
            .kit
            .execute::<Cart>(&cart_stream, command, &follow_up(&metadata, "cart"))
            .await
            .map_err(|e| stop(envelope, e))?;
        let Some(checked_out) = cart
            .state
            .last_checkout
            .as_ref()
            .filter(|c| c.order_id == checkout.order_id)
        else {
            // Only a checkout of another order came after this one: the cart has moved on.
            return Ok(envelope.reject(
                RejectionKind::Conflict,
                "cart_changed",
                "the cart changed while it was checked out; check out again",
            ));
        };
        let lines = checked_out.lines.iter().cloned().map(priced_line).collect();
        let place = checkout.place(lines).map_err(unexpected)?;
        let order_stream = StreamId::of(Order::KIND, checkout.order_id);
        let result = self
            .kit
            .execute::<Order>(&order_stream, place, &metadata)
            .await;
        let order_id = checkout.order_id;
        accept(envelope, &order_stream, result, |done| {
            OrderState::of(order_id, &done.state)
        })
    }
}
