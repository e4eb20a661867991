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
mod placing;

use std::collections::BTreeMap;

use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    OrderCancelled, OrderDelivered, OrderEvent, OrderPaid, OrderPaymentAuthorized, OrderPlaced,
    OrderRejected, OrderShipped, OrderStatus, OrderStockReserved,
};
use shared_kernel::ids::{PaymentId, UserId};
use shared_kernel::{Aggregate, Money, TextRule, Timestamp};

pub use error::OrderError;
pub use placing::{NewOrder, PricedLine, check_lines};
use placing::{check_text, place};

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
    Ship {
        actor: UserId,
    },
    Deliver {
        actor: UserId,
    },
}

/// The order as its events left it. `placed` is `None` before the order exists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    pub placed: Option<OrderPlaced>,
    pub status: OrderStatus,
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

    fn decide(
        &self,
        command: OrderCommand,
        _now: Timestamp,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        use OrderStatus::{
            Cancelled, Delivered, Paid, PaymentAuthorized, Pending, Rejected, Shipped,
            StockReserved,
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
                    PaymentAuthorized | StockReserved | Paid | Shipped | Delivered => Ok(vec![]),
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
                    StockReserved | Paid | Shipped | Delivered => Ok(vec![]),
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
                    Paid | Shipped | Delivered => Ok(vec![]),
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
                    Paid | Shipped | Delivered | Cancelled => Err(self.invalid("rejected")),
                }
            }
            OrderCommand::Cancel { reason, by } => {
                let placed = self.placed()?;
                let cancelled_by = match by {
                    CancelledBy::Buyer(actor) if self.is_buyer(actor) => Some(actor),
                    CancelledBy::Buyer(actor) if self.is_seller(actor) => {
                        return Err(OrderError::Forbidden("only the buyer may cancel an order"));
                    }
                    CancelledBy::Buyer(_) => return Err(OrderError::NotFound),
                    CancelledBy::Platform => None,
                };
                let cancellable = match (self.status, cancelled_by) {
                    (Pending | PaymentAuthorized | StockReserved, _) | (Paid, Some(_)) => true,
                    (Cancelled, _) => return Ok(vec![]),
                    (Shipped | Delivered, Some(_)) => return Err(OrderError::AlreadyShipped),
                    // A timeout or expiry that lost the race to the payment changes nothing.
                    (Paid | Shipped | Delivered | Rejected, None) | (Rejected, Some(_)) => false,
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
            OrderCommand::Ship { actor } => {
                let placed = self.seller_only(actor)?;
                match self.status {
                    Paid => Ok(vec![OrderEvent::Shipped(OrderShipped {
                        order_id: placed.order_id,
                        shipped_by: actor,
                    })]),
                    Shipped | Delivered => Ok(vec![]),
                    Pending | PaymentAuthorized | StockReserved | Cancelled | Rejected => {
                        Err(self.invalid("shipped"))
                    }
                }
            }
            OrderCommand::Deliver { actor } => {
                let placed = self.seller_only(actor)?;
                match self.status {
                    Shipped => Ok(vec![OrderEvent::Delivered(OrderDelivered {
                        order_id: placed.order_id,
                    })]),
                    Delivered => Ok(vec![]),
                    Pending | PaymentAuthorized | StockReserved | Paid | Cancelled | Rejected => {
                        Err(self.invalid("delivered"))
                    }
                }
            }
        }
    }

    fn evolve(self, event: &OrderEvent) -> Self {
        let status = match event {
            OrderEvent::Placed(p) => {
                return Self {
                    placed: Some(p.clone()),
                    status: OrderStatus::Pending,
                };
            }
            OrderEvent::PaymentAuthorized(_) => OrderStatus::PaymentAuthorized,
            OrderEvent::StockReserved(_) => OrderStatus::StockReserved,
            OrderEvent::Paid(_) => OrderStatus::Paid,
            OrderEvent::Shipped(_) => OrderStatus::Shipped,
            OrderEvent::Delivered(_) => OrderStatus::Delivered,
            OrderEvent::Cancelled(_) => OrderStatus::Cancelled,
            OrderEvent::Rejected(_) => OrderStatus::Rejected,
        };
        Self { status, ..self }
    }
}
