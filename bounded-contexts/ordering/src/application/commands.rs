//! The ordering commands as they travel on the command bus, one enum per aggregate they act
//! on: from the HTTP routes (with the user as actor), from the order saga and the cart expiry
//! timer (with `system:saga:<name>` as actor). The wire form is each inner enum's
//! `{"name", "payload"}`; the outer enum only says which aggregate's, so the handler
//! dispatches once.

use std::time::Duration;

use event_schemas::ordering::{PaymentInstruction, ReturnId, ShippingAddress};
use serde::{Deserialize, Serialize};
use shared_kernel::Money;
use shared_kernel::application::Actor;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};

use super::cart::CartRequest;
use crate::CONTEXT;
use crate::domain::{
    CancelledBy, NewOrder, OrderCommand, PricedLine, ReturnRequest, buyer_cancelled_reason,
};

/// Every command the ordering context takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderingCommand {
    /// A buyer's, a seller's or the order saga's command on an `Order`.
    Order(OrderRequest),
    /// A buyer's or the expiry timer's command on a buyer's `Cart`.
    Cart(CartRequest),
}

impl shared_kernel::ContextCommand for OrderingCommand {
    const CONTEXT: &'static str = CONTEXT;
}

impl OrderingCommand {
    /// The command as `(name, payload)`, for a process manager's dispatch.
    #[must_use]
    pub fn name_and_payload(&self) -> Option<(String, serde_json::Value)> {
        let mut value = serde_json::to_value(self).ok()?;
        let name = value.get("name")?.as_str()?.to_owned();
        let payload = value.get_mut("payload").map(serde_json::Value::take)?;
        Some((name, payload))
    }
}

impl From<OrderRequest> for OrderingCommand {
    fn from(request: OrderRequest) -> Self {
        Self::Order(request)
    }
}

impl From<CartRequest> for OrderingCommand {
    fn from(request: CartRequest) -> Self {
        Self::Cart(request)
    }
}

/// A line priced by the route from ordering's view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricedLineInput {
    pub product_id: ProductId,
    pub sku: String,
    pub seller_id: UserId,
    pub title: String,
    pub quantity: i64,
    pub unit_price: Money,
}

/// A command on an order: placing, fulfilling, cancelling and returning (users), and the
/// order saga's steps (the platform).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum OrderRequest {
    /// The buyer places an order of lines priced by the route.
    PlaceOrder {
        order_id: OrderId,
        lines: Vec<PricedLineInput>,
        shipping_address: ShippingAddress,
        payment: PaymentInstruction,
        payment_id: PaymentId,
    },
    /// The payment is authorised: the order's stock may be reserved.
    MarkPaymentAuthorized {
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Money,
    },
    /// The order's stock is reserved: its payment may be captured.
    MarkStockReserved { order_id: OrderId },
    /// The payment is captured.
    MarkPaid {
        order_id: OrderId,
        payment_id: PaymentId,
        amount: Money,
    },
    /// The payment was declined or the stock is missing.
    RejectOrder { order_id: OrderId, reason: String },
    /// `by` is informative: a user's cancel is always by the sending user, a saga's by none.
    CancelOrder {
        order_id: OrderId,
        reason: String,
        #[serde(default)]
        by: Option<UserId>,
    },
    /// The sending seller ships their fulfilment.
    ShipOrder {
        order_id: OrderId,
        #[serde(default)]
        carrier: String,
        #[serde(default)]
        tracking_number: String,
    },
    /// The buyer cancels some lines (named by sku) not yet shipped.
    CancelOrderLines {
        order_id: OrderId,
        skus: Vec<String>,
    },
    /// The buyer asks to send back delivered lines (named by sku) of one seller.
    RequestReturn {
        order_id: OrderId,
        return_id: ReturnId,
        skus: Vec<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    /// The seller received a return of their lines.
    ReceiveReturn {
        order_id: OrderId,
        return_id: ReturnId,
    },
    /// The sending seller's shipped fulfilment arrived.
    DeliverOrder { order_id: OrderId },
}

/// Why a command cannot be run on behalf of its actor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorMismatch {
    /// A user command without a user.
    NeedsUser,
    /// A saga step sent by a user.
    NeedsSystem,
}

impl OrderRequest {
    /// The order the command is about.
    #[must_use]
    pub const fn order_id(&self) -> OrderId {
        match self {
            Self::PlaceOrder { order_id, .. }
            | Self::MarkPaymentAuthorized { order_id, .. }
            | Self::MarkStockReserved { order_id }
            | Self::MarkPaid { order_id, .. }
            | Self::RejectOrder { order_id, .. }
            | Self::CancelOrder { order_id, .. }
            | Self::ShipOrder { order_id, .. }
            | Self::CancelOrderLines { order_id, .. }
            | Self::RequestReturn { order_id, .. }
            | Self::ReceiveReturn { order_id, .. }
            | Self::DeliverOrder { order_id } => *order_id,
        }
    }

    /// The return this command names, if any.
    #[must_use]
    pub const fn return_id(&self) -> Option<ReturnId> {
        match self {
            Self::RequestReturn { return_id, .. } | Self::ReceiveReturn { return_id, .. } => {
                Some(*return_id)
            }
            _ => None,
        }
    }

    /// The aggregate command on behalf of `actor`: users place, cancel, ship, deliver and
    /// return; only the platform moves an order through reservation, payment and rejection.
    /// `return_window`: how long after delivery a return may be asked for.
    ///
    /// # Errors
    /// The actor may not send this command.
    pub fn into_domain(
        self,
        actor: &Actor,
        return_window: Duration,
    ) -> Result<OrderCommand, ActorMismatch> {
        let user = actor.user_id();
        match (self, user) {
            (
                Self::PlaceOrder {
                    order_id,
                    lines,
                    shipping_address,
                    payment,
                    payment_id,
                },
                Some(buyer_id),
            ) => Ok(OrderCommand::Place(Box::new(NewOrder {
                order_id,
                buyer_id,
                lines: lines
                    .into_iter()
                    .map(|l| PricedLine {
                        product_id: l.product_id,
                        sku: l.sku,
                        seller_id: l.seller_id,
                        title: l.title,
                        quantity: l.quantity,
                        unit_price: l.unit_price,
                    })
                    .collect(),
                shipping_address,
                payment,
                payment_id,
            }))),
            (
                Self::ShipOrder {
                    carrier,
                    tracking_number,
                    ..
                },
                Some(actor),
            ) => Ok(OrderCommand::Ship {
                actor,
                carrier,
                tracking_number,
            }),
            (Self::CancelOrderLines { skus, .. }, Some(actor)) => {
                Ok(OrderCommand::CancelLines { actor, skus })
            }
            (
                Self::RequestReturn {
                    return_id,
                    skus,
                    reason,
                    ..
                },
                Some(actor),
            ) => Ok(OrderCommand::RequestReturn(Box::new(ReturnRequest {
                actor,
                return_id,
                skus,
                reason,
                window: return_window,
            }))),
            (Self::ReceiveReturn { return_id, .. }, Some(actor)) => {
                Ok(OrderCommand::ReceiveReturn { actor, return_id })
            }
            (Self::DeliverOrder { .. }, Some(actor)) => Ok(OrderCommand::Deliver { actor }),
            (Self::CancelOrder { .. }, Some(buyer)) => Ok(OrderCommand::Cancel {
                reason: buyer_cancelled_reason().to_owned(),
                by: CancelledBy::Buyer(buyer),
            }),
            (Self::CancelOrder { reason, .. }, None) => Ok(OrderCommand::Cancel {
                reason,
                by: CancelledBy::Platform,
            }),
            (
                Self::PlaceOrder { .. }
                | Self::ShipOrder { .. }
                | Self::DeliverOrder { .. }
                | Self::CancelOrderLines { .. }
                | Self::RequestReturn { .. }
                | Self::ReceiveReturn { .. },
                None,
            ) => Err(ActorMismatch::NeedsUser),
            (
                Self::MarkPaymentAuthorized {
                    payment_id, amount, ..
                },
                None,
            ) => Ok(OrderCommand::MarkPaymentAuthorized { payment_id, amount }),
            (Self::MarkStockReserved { .. }, None) => Ok(OrderCommand::MarkStockReserved),
            (
                Self::MarkPaid {
                    payment_id, amount, ..
                },
                None,
            ) => Ok(OrderCommand::MarkPaid { payment_id, amount }),
            (Self::RejectOrder { reason, .. }, None) => Ok(OrderCommand::Reject { reason }),
            (
                Self::MarkPaymentAuthorized { .. }
                | Self::MarkStockReserved { .. }
                | Self::MarkPaid { .. }
                | Self::RejectOrder { .. },
                Some(_),
            ) => Err(ActorMismatch::NeedsSystem),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_inner_command_s() {
        let order_id = OrderId::new();
        let command = OrderingCommand::from(OrderRequest::MarkStockReserved { order_id });
        let (name, payload) = command.name_and_payload().unwrap();
        assert_eq!(name, "mark_stock_reserved");
        assert_eq!(payload["order_id"], order_id.to_string());
        let wire = serde_json::to_value(&command).unwrap();
        assert_eq!(
            serde_json::from_value::<OrderingCommand>(wire).unwrap(),
            command
        );
        let abandon = OrderingCommand::from(CartRequest::AbandonCart {
            buyer_id: UserId::new(),
            version: 3,
        });
        let (name, payload) = abandon.name_and_payload().unwrap();
        assert_eq!(
            (name.as_str(), &payload["version"]),
            ("abandon_cart", &3.into())
        );
        let remove = serde_json::json!({ "name": "remove_cart_line", "payload": { "sku": "A-1" } });
        assert!(matches!(
            serde_json::from_value::<OrderingCommand>(remove).unwrap(),
            OrderingCommand::Cart(CartRequest::RemoveCartLine { sku }) if sku == "A-1"
        ));
        let deliver =
            serde_json::json!({ "name": "deliver_order", "payload": { "order_id": order_id } });
        assert!(matches!(
            serde_json::from_value::<OrderingCommand>(deliver).unwrap(),
            OrderingCommand::Order(OrderRequest::DeliverOrder { .. })
        ));
    }
}
