//! The Order aggregate: pending -> payment_authorized -> stock_reserved -> paid -> shipped ->
//! delivered, or cancelled (by the buyer until shipped, by the platform while unpaid) or
//! rejected (payment declined, no stock).
//!
//! The payment is authorised before stock is reserved: an order whose card is declined never
//! holds stock a paying buyer could have had (issue 13, fair reservations).
//!
//! Commands the saga sends may arrive late or twice: a repeat of a step already taken is a
//! no-op (no events), a step the order can no longer take is an error the saga logs and drops.

mod error;
mod fulfilment;
mod placing;
mod returns;

use std::collections::BTreeMap;

use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    OrderCancelled, OrderEvent, OrderPaid, OrderPaymentAuthorized, OrderPlaced, OrderRejected,
    OrderStatus, OrderStockReserved, ReturnId,
};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::{Aggregate, Money, TextRule, Timestamp};

pub use error::OrderError;
pub use fulfilment::{LineStatus, paid_status};
pub use placing::{NewOrder, PricedLine, check_lines};
use placing::{check_text, place};
pub use returns::{OpenReturn, ReturnRequest};

const REASON: TextRule = TextRule::multiline("reason", 1, 200);

/// The reason recorded when the buyer cancels.
#[must_use]
pub const fn buyer_cancelled_reason() -> &'static str {
    "buyer_cancelled"
}

/// Who cancels: the buyer (until shipped) or the platform (a timeout or an expiry, only
/// while the order is unpaid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelledBy {
    Buyer(UserId),
    Platform,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderCommand {
    Place(Box<NewOrder>),
    MarkPaymentAuthorized {
        payment_id: PaymentId,
        amount: Money,
    },
    MarkStockReserved,
    MarkPaid {
        payment_id: PaymentId,
        amount: Money,
    },
    Reject {
        reason: String,
    },
    Cancel {
        reason: String,
        by: CancelledBy,
    },
    /// A seller ships their fulfilment (their lines not shipped nor cancelled).
    Ship {
        actor: UserId,
        carrier: String,
        tracking_number: String,
    },
    /// A seller marks their shipped lines delivered.
    Deliver {
        actor: UserId,
    },
    /// The buyer cancels the lines named by their skus (not yet shipped): a partial refund,
    /// or the whole order when no line would be left.
    CancelLines {
        actor: UserId,
        skus: Vec<String>,
    },
    /// The buyer asks to send back delivered lines of one seller, within the window.
    RequestReturn(Box<ReturnRequest>),
    /// The seller received a return of their lines.
    ReceiveReturn {
        actor: UserId,
        return_id: ReturnId,
    },
}

/// The order as its events left it. `placed` is `None` before the order exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    pub placed: Option<OrderPlaced>,
    pub status: OrderStatus,
    /// Where each of `placed.lines` stands, in the same order.
    pub lines: Vec<LineStatus>,
    /// When each seller's fulfilment was delivered (the return window starts there).
    pub delivered_at: BTreeMap<UserId, Timestamp>,
    pub returns: BTreeMap<ReturnId, OpenReturn>,
}

impl Order {
    /// Whether the order exists.
    #[must_use]
    pub const fn exists(&self) -> bool {
        self.placed.is_some()
    }

    /// Whether `user` placed the order.
    #[must_use]
    pub fn is_buyer(&self, user: UserId) -> bool {
        self.placed.as_ref().is_some_and(|p| p.buyer_id == user)
    }

    /// Whether `user` sells one of the order's lines.
    #[must_use]
    pub fn is_seller(&self, user: UserId) -> bool {
        self.placed
            .as_ref()
            .is_some_and(|p| p.lines.iter().any(|l| l.seller_id == user))
    }

    fn placed(&self) -> Result<&OrderPlaced, OrderError> {
        self.placed.as_ref().ok_or(OrderError::NotFound)
    }

    /// The seller's view: a buyer is told they may not, a stranger that there is no order.
    fn seller_only(&self, actor: UserId) -> Result<&OrderPlaced, OrderError> {
        let placed = self.placed()?;
        if self.is_seller(actor) {
            Ok(placed)
        } else if self.is_buyer(actor) {
            Err(OrderError::Forbidden(
                "only a seller of the order's lines may do this",
            ))
        } else {
            Err(OrderError::NotFound)
        }
    }

    /// The buyer's view: a seller is told they may not, a stranger that there is no order.
    fn buyer_only(&self, actor: UserId) -> Result<&OrderPlaced, OrderError> {
        let placed = self.placed()?;
        if self.is_buyer(actor) {
            Ok(placed)
        } else if self.is_seller(actor) {
            Err(OrderError::Forbidden("only the buyer may do this"))
        } else {
            Err(OrderError::NotFound)
        }
    }

    /// Cancels the whole order, by the buyer (`Some`) or the platform (`None`).
    fn cancel_whole(
        &self,
        reason: String,
        cancelled_by: Option<UserId>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderStatus::{
            Cancelled, Delivered, Paid, PartiallyShipped, PaymentAuthorized, Pending, Rejected,
            Shipped, StockReserved,
        };
        let placed = self.placed()?;
        let cancellable = match (self.status, cancelled_by) {
            (Pending | PaymentAuthorized | StockReserved, _) | (Paid, Some(_)) => true,
            (Cancelled, _) => return Ok(vec![]),
            (PartiallyShipped | Shipped | Delivered, Some(_)) => {
                return Err(OrderError::AlreadyShipped);
            }
            // A timeout or expiry that lost the race to the payment changes nothing.
            (Paid | PartiallyShipped | Shipped | Delivered | Rejected, None)
            | (Rejected, Some(_)) => false,
        };
        if !cancellable {
            return Err(self.invalid("cancelled"));
        }
        Ok(vec![OrderEvent::Cancelled(OrderCancelled {
            order_id: placed.order_id,
            reason: reason_of(&reason)?,
            cancelled_by,
            previous_status: self.status,
            payment_id: placed.payment_id,
        })])
    }

    /// Checks that a payment event names this order's payment, for its total.
    fn check_payment(
        &self,
        payment_id: PaymentId,
        amount: Money,
    ) -> Result<&OrderPlaced, OrderError> {
        let placed = self.placed()?;
        if payment_id != placed.payment_id || amount != placed.total {
            return Err(OrderError::PaymentMismatch);
        }
        Ok(placed)
    }

    fn invalid(&self, what: &'static str) -> OrderError {
        OrderError::InvalidTransition(self.status.as_str(), what)
    }
}

/// One reservation line per sku, whatever the order's lines look like.
fn per_sku(placed: &OrderPlaced) -> Vec<SkuQuantity> {
    let mut per_sku: BTreeMap<&str, i64> = BTreeMap::new();
    for line in &placed.lines {
        *per_sku.entry(line.sku.as_str()).or_default() += line.quantity;
    }
    per_sku
        .into_iter()
        .map(|(sku, quantity)| SkuQuantity {
            sku: sku.to_owned(),
            quantity,
        })
        .collect()
}

fn reason_of(reason: &str) -> Result<String, OrderError> {
    let reason = reason.trim();
    check_text(&REASON, reason)?;
    Ok(reason.to_owned())
}

impl Aggregate for Order {
    const KIND: &'static str = "order";
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn creates(command: &OrderCommand) -> bool {
        matches!(command, OrderCommand::Place(_))
    }

    fn decide(&self, command: OrderCommand, now: Timestamp) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderStatus::{
            Cancelled, Delivered, Paid, PartiallyShipped, PaymentAuthorized, Pending, Rejected,
            Shipped, StockReserved,
        };
        match command {
            OrderCommand::Place(new) => {
                if self.exists() {
                    return Err(OrderError::AlreadyExists);
                }
                Ok(vec![OrderEvent::Placed(place(*new)?)])
            }
            OrderCommand::MarkPaymentAuthorized { payment_id, amount } => {
                let placed = self.check_payment(payment_id, amount)?;
                match self.status {
                    Pending => Ok(vec![OrderEvent::PaymentAuthorized(
                        OrderPaymentAuthorized {
                            order_id: placed.order_id,
                            payment_id,
                            amount,
                            lines: per_sku(placed),
                        },
                    )]),
                    PaymentAuthorized | StockReserved | Paid | PartiallyShipped | Shipped
                    | Delivered => Ok(vec![]),
                    Cancelled | Rejected => Err(self.invalid("authorized")),
                }
            }
            OrderCommand::MarkStockReserved => {
                let placed = self.placed()?;
                match self.status {
                    PaymentAuthorized => Ok(vec![OrderEvent::StockReserved(OrderStockReserved {
                        order_id: placed.order_id,
                        buyer_id: placed.buyer_id,
                        total: placed.total,
                        payment: placed.payment.clone(),
                        payment_id: placed.payment_id,
                    })]),
                    StockReserved | Paid | PartiallyShipped | Shipped | Delivered => Ok(vec![]),
                    // Stock is reserved only for an authorised payment.
                    Pending | Cancelled | Rejected => Err(self.invalid("reserved")),
                }
            }
            OrderCommand::MarkPaid { payment_id, amount } => {
                let placed = self.check_payment(payment_id, amount)?;
                match self.status {
                    StockReserved => Ok(vec![OrderEvent::Paid(OrderPaid {
                        order_id: placed.order_id,
                        payment_id,
                        amount,
                    })]),
                    Paid | PartiallyShipped | Shipped | Delivered => Ok(vec![]),
                    Pending | PaymentAuthorized | Cancelled | Rejected => Err(self.invalid("paid")),
                }
            }
            OrderCommand::Reject { reason } => {
                let placed = self.placed()?;
                match self.status {
                    Pending | PaymentAuthorized | StockReserved => {
                        Ok(vec![OrderEvent::Rejected(OrderRejected {
                            order_id: placed.order_id,
                            reason: reason_of(&reason)?,
                            previous_status: self.status,
                            payment_id: placed.payment_id,
                        })])
                    }
                    Rejected => Ok(vec![]),
                    Paid | PartiallyShipped | Shipped | Delivered | Cancelled => {
                        Err(self.invalid("rejected"))
                    }
                }
            }
            OrderCommand::Cancel { reason, by } => {
                self.placed()?;
                let cancelled_by = match by {
                    CancelledBy::Buyer(actor) if self.is_buyer(actor) => Some(actor),
                    CancelledBy::Buyer(actor) if self.is_seller(actor) => {
                        return Err(OrderError::Forbidden("only the buyer may cancel an order"));
                    }
                    CancelledBy::Buyer(_) => return Err(OrderError::NotFound),
                    CancelledBy::Platform => None,
                };
                self.cancel_whole(reason, cancelled_by)
            }
            OrderCommand::CancelLines { actor, skus } => {
                self.cancel_lines(actor, &skus, buyer_cancelled_reason().to_owned())
            }
            OrderCommand::Ship {
                actor,
                carrier,
                tracking_number,
            } => self.ship(actor, &carrier, &tracking_number),
            OrderCommand::Deliver { actor } => self.deliver(actor, now),
            OrderCommand::RequestReturn(request) => self.request_return(*request, now),
            OrderCommand::ReceiveReturn { actor, return_id } => {
                self.receive_return(actor, return_id)
            }
        }
    }

    fn evolve(mut self, event: &OrderEvent) -> Self {
        self.status = match event {
            OrderEvent::Placed(p) => {
                return Self {
                    placed: Some(p.clone()),
                    status: OrderStatus::Pending,
                    lines: vec![LineStatus::Open; p.lines.len()],
                    delivered_at: BTreeMap::new(),
                    returns: BTreeMap::new(),
                };
            }
            OrderEvent::PaymentAuthorized(_) => OrderStatus::PaymentAuthorized,
            OrderEvent::StockReserved(_) => OrderStatus::StockReserved,
            OrderEvent::Paid(_) => OrderStatus::Paid,
            // The whole order at once (recorded before per-seller fulfilment).
            OrderEvent::Shipped(_) => {
                for line in &mut self.lines {
                    if *line == LineStatus::Open {
                        *line = LineStatus::Shipped;
                    }
                }
                OrderStatus::Shipped
            }
            OrderEvent::Delivered(_) => {
                for line in &mut self.lines {
                    if *line == LineStatus::Shipped {
                        *line = LineStatus::Delivered;
                    }
                }
                OrderStatus::Delivered
            }
            OrderEvent::FulfilmentShipped(e) => {
                let open = [LineStatus::Open];
                self.move_lines(Some(e.seller_id), &e.skus, &open, LineStatus::Shipped);
                e.order_status
            }
            OrderEvent::FulfilmentDelivered(e) => {
                let shipped = [LineStatus::Shipped];
                self.move_lines(Some(e.seller_id), &e.skus, &shipped, LineStatus::Delivered);
                self.delivered_at.insert(e.seller_id, e.delivered_at);
                e.order_status
            }
            OrderEvent::LinesCancelled(e) => {
                self.move_lines(None, &e.skus, &[LineStatus::Open], LineStatus::Cancelled);
                e.order_status
            }
            OrderEvent::ReturnRequested(e) => {
                self.evolve_return(event);
                e.order_status
            }
            OrderEvent::ReturnReceived(e) => {
                self.evolve_return(event);
                e.order_status
            }
            OrderEvent::Cancelled(_) => OrderStatus::Cancelled,
            OrderEvent::Rejected(_) => OrderStatus::Rejected,
        };
        self
    }
}
