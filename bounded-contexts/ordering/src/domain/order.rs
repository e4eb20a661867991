//! The Order aggregate: pending -> stock_reserved -> paid -> shipped -> delivered, or
//! cancelled (by the buyer until shipped, by the platform while unpaid) or rejected (no stock,
//! payment declined).
//!
//! Commands the saga sends may arrive late or twice: a repeat of a step already taken is a
//! no-op (no events), a step the order can no longer take is an error the saga logs and drops.

use std::collections::HashSet;

use event_schemas::ordering::{
    OrderCancelled, OrderDelivered, OrderEvent, OrderLine, OrderPaid, OrderPlaced, OrderRejected,
    OrderShipped, OrderStatus, OrderStockReserved, PaymentInstruction, ShippingAddress,
};
use event_schemas::payments::PaymentMethod;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::{Aggregate, Money, TextRule, Timestamp};

const MAX_LINES: usize = 100;
const MAX_QUANTITY: i64 = 10_000;
const REASON: TextRule = TextRule::multiline("reason", 1, 200);

/// The reason recorded when the buyer cancels.
#[must_use]
pub const fn buyer_cancelled_reason() -> &'static str {
    "buyer_cancelled"
}

/// A line as the buyer asked for it, priced from ordering's view of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedLine {
    pub product_id: ProductId,
    pub sku: String,
    pub seller_id: UserId,
    pub title: String,
    pub quantity: i64,
    pub unit_price: Money,
}

/// What placing an order needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub order_id: OrderId,
    pub buyer_id: UserId,
    pub lines: Vec<PricedLine>,
    pub shipping_address: ShippingAddress,
    pub payment: PaymentInstruction,
    /// Chosen by the caller (application code makes ids), so every retry names the same one.
    pub payment_id: PaymentId,
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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("order already exists")]
    AlreadyExists,
    #[error("order not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("order is {0} and cannot be {1}")]
    InvalidTransition(&'static str, &'static str),
    #[error("order has been shipped and can no longer be cancelled")]
    AlreadyShipped,
    #[error("you cannot buy your own product")]
    OwnProduct,
    #[error("all lines of an order must be in one currency")]
    MixedCurrencies,
    #[error("the payment does not match the order")]
    PaymentMismatch,
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::application::Rejection for OrderError {
    fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            Self::AlreadyExists => ("order_exists", 409),
            // Someone else's order looks like no order at all.
            Self::NotFound => ("not_found", 404),
            Self::Forbidden(_) => ("forbidden", 403),
            Self::InvalidTransition(..) => ("invalid_order_state", 409),
            Self::AlreadyShipped => ("order_shipped", 409),
            Self::OwnProduct => ("own_product", 422),
            Self::MixedCurrencies => ("mixed_currencies", 422),
            Self::PaymentMismatch => ("payment_mismatch", 409),
            Self::Invalid(_) => ("validation_failed", 422),
        }
    }
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

    fn invalid(&self, what: &'static str) -> OrderError {
        OrderError::InvalidTransition(self.status.as_str(), what)
    }
}

const NAME: TextRule = TextRule::line("shipping_address.name", 1, 200);
const LINE1: TextRule = TextRule::line("shipping_address.line1", 1, 200);
const LINE2: TextRule = TextRule::line("shipping_address.line2", 0, 200);
const CITY: TextRule = TextRule::line("shipping_address.city", 1, 100);
const POSTAL_CODE: TextRule = TextRule::line("shipping_address.postal_code", 1, 20);
const TOKEN: TextRule = TextRule::line("payment.token", 1, 200);

fn check_text(rule: &TextRule, value: &str) -> Result<(), OrderError> {
    rule.check(value)
        .map_err(|e| OrderError::Invalid(e.to_string()))
}

fn check_address(a: &ShippingAddress) -> Result<(), OrderError> {
    check_text(&NAME, &a.name)?;
    check_text(&LINE1, &a.line1)?;
    if let Some(line2) = &a.line2 {
        check_text(&LINE2, line2)?;
    }
    check_text(&CITY, &a.city)?;
    check_text(&POSTAL_CODE, &a.postal_code)?;
    if a.country.len() != 2 || !a.country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(OrderError::Invalid(
            "shipping_address.country must be an ISO 3166-1 alpha-2 code such as DE".into(),
        ));
    }
    Ok(())
}

/// The payment as recorded: a card needs its token, a wallet takes none.
fn check_payment(p: &PaymentInstruction) -> Result<PaymentInstruction, OrderError> {
    match p.method {
        PaymentMethod::Card => {
            let token = p.token.as_deref().map(str::trim).unwrap_or_default();
            check_text(&TOKEN, token).map_err(|_| {
                OrderError::Invalid(
                    "a card payment needs a token of 1 to 200 characters, one line".into(),
                )
            })?;
            Ok(PaymentInstruction {
                method: PaymentMethod::Card,
                token: Some(token.to_owned()),
            })
        }
        PaymentMethod::Wallet => Ok(PaymentInstruction {
            method: PaymentMethod::Wallet,
            token: None,
        }),
    }
}

/// The rules on an order's lines that need no prices: at least one line, at most
/// `MAX_LINES`, each quantity 1 to `MAX_QUANTITY`. Checked by `decide`, and by whoever prices
/// lines before asking for them (so an order that breaks them costs no catalog lookups).
///
/// # Errors
/// `Invalid`, saying which rule the lines break.
pub fn check_lines(quantities: impl ExactSizeIterator<Item = i64>) -> Result<(), OrderError> {
    if quantities.len() == 0 {
        return Err(OrderError::Invalid(
            "an order needs at least one line".into(),
        ));
    }
    if quantities.len() > MAX_LINES {
        return Err(OrderError::Invalid(format!("at most {MAX_LINES} lines")));
    }
    for quantity in quantities {
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            return Err(OrderError::Invalid(format!(
                "quantity must be 1 to {MAX_QUANTITY}, got {quantity}"
            )));
        }
    }
    Ok(())
}

/// The lines with their totals, and the order total: one currency, no overflow.
fn price(new: &NewOrder) -> Result<(Vec<OrderLine>, Money), OrderError> {
    check_lines(new.lines.iter().map(|l| l.quantity))?;
    let Some(first) = new.lines.first() else {
        return Err(OrderError::Invalid(
            "an order needs at least one line".into(),
        ));
    };
    let mut seen = HashSet::new();
    let mut total = Money::zero(first.unit_price.currency);
    let mut lines = Vec::with_capacity(new.lines.len());
    let too_large = |_| OrderError::Invalid("the order total is too large".into());
    for line in &new.lines {
        if !seen.insert(line.product_id) {
            return Err(OrderError::Invalid(format!(
                "product {} appears on two lines",
                line.product_id
            )));
        }
        if line.unit_price.amount_minor <= 0 {
            return Err(OrderError::Invalid(format!(
                "product {} has no valid price",
                line.product_id
            )));
        }
        if line.unit_price.currency != total.currency {
            return Err(OrderError::MixedCurrencies);
        }
        if line.seller_id == new.buyer_id {
            return Err(OrderError::OwnProduct);
        }
        let line_total = line
            .unit_price
            .checked_mul(line.quantity)
            .map_err(too_large)?;
        total = total.checked_add(line_total).map_err(too_large)?;
        lines.push(OrderLine {
            product_id: line.product_id,
            sku: line.sku.clone(),
            seller_id: line.seller_id,
            title: line.title.clone(),
            quantity: line.quantity,
            unit_price: line.unit_price,
            line_total,
        });
    }
    Ok((lines, total))
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
        use OrderStatus::{Cancelled, Delivered, Paid, Pending, Rejected, Shipped, StockReserved};
        match command {
            OrderCommand::Place(new) => {
                if self.exists() {
                    return Err(OrderError::AlreadyExists);
                }
                let new = *new;
                let (lines, total) = price(&new)?;
                check_address(&new.shipping_address)?;
                let payment = check_payment(&new.payment)?;
                Ok(vec![OrderEvent::Placed(OrderPlaced {
                    order_id: new.order_id,
                    buyer_id: new.buyer_id,
                    lines,
                    total,
                    shipping_address: new.shipping_address,
                    payment,
                    payment_id: new.payment_id,
                })])
            }
            OrderCommand::MarkStockReserved => {
                let placed = self.placed()?;
                match self.status {
                    Pending => Ok(vec![OrderEvent::StockReserved(OrderStockReserved {
                        order_id: placed.order_id,
                        buyer_id: placed.buyer_id,
                        total: placed.total,
                        payment: placed.payment.clone(),
                        payment_id: placed.payment_id,
                    })]),
                    StockReserved | Paid | Shipped | Delivered => Ok(vec![]),
                    Cancelled | Rejected => Err(self.invalid("reserved")),
                }
            }
            OrderCommand::MarkPaid { payment_id, amount } => {
                let placed = self.placed()?;
                if payment_id != placed.payment_id || amount != placed.total {
                    return Err(OrderError::PaymentMismatch);
                }
                match self.status {
                    StockReserved => Ok(vec![OrderEvent::Paid(OrderPaid {
                        order_id: placed.order_id,
                        payment_id,
                        amount,
                    })]),
                    Paid | Shipped | Delivered => Ok(vec![]),
                    Pending | Cancelled | Rejected => Err(self.invalid("paid")),
                }
            }
            OrderCommand::Reject { reason } => {
                let placed = self.placed()?;
                match self.status {
                    Pending | StockReserved => Ok(vec![OrderEvent::Rejected(OrderRejected {
                        order_id: placed.order_id,
                        reason: reason_of(&reason)?,
                        previous_status: self.status,
                        payment_id: placed.payment_id,
                    })]),
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
                    (Pending | StockReserved, _) | (Paid, Some(_)) => true,
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
                    Pending | StockReserved | Cancelled | Rejected => Err(self.invalid("shipped")),
                }
            }
            OrderCommand::Deliver { actor } => {
                let placed = self.seller_only(actor)?;
                match self.status {
                    Shipped => Ok(vec![OrderEvent::Delivered(OrderDelivered {
                        order_id: placed.order_id,
                    })]),
                    Delivered => Ok(vec![]),
                    Pending | StockReserved | Paid | Cancelled | Rejected => {
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
