//! The order saga (commerce-design.md): a stateless process manager. Every event it reacts to
//! carries what the next step needs, so it keeps no state of its own; the payment deadline is
//! a durable timer.
//!
//! | event | reaction |
//! |---|---|
//! | OrderPlaced | payments `authorize_payment`; timer `payment-timeout:<order>` |
//! | PaymentAuthorized | `mark_payment_authorized` |
//! | PaymentDeclined | `reject_order` (`payment_declined`); cancel the timer |
//! | OrderPaymentAuthorized | inventory `reserve_stock` until `recorded_at + reservation_ttl` |
//! | ReservationConfirmed | `mark_stock_reserved` |
//! | ReservationFailed | `reject_order` with inventory's reason |
//! | OrderStockReserved | payments `capture_payment` |
//! | PaymentCaptured | `mark_paid`; cancel the timer |
//! | OrderPaid | inventory `commit_stock` |
//! | OrderRejected | inventory `release_stock`; payment authorised: `void_payment`; cancel the timer |
//! | OrderCancelled | inventory `release_stock`; pending or payment authorised: `void_payment`; stock reserved: `void_payment` then `refund_payment`; paid: `refund_payment`; cancel the timer |
//! | OrderLinesCancelled | inventory `release_stock_lines`; `refund_payment` of the lines' amount |
//! | FulfilmentDelivered | payments `credit_seller` (entry `delivered:<order>`, the seller's delivered lines' gross) |
//! | ReturnReceived | inventory `release_stock_lines` (back on hand); `refund_payment` of the lines' amount (reason `return:<return>`); payments `debit_seller` (entry `returned:<order>:<return>`, the same amount) |
//! | timer `payment-timeout` | `cancel_order` (`payment_timeout`) |
//! | ReservationExpired | `cancel_order` (`reservation_expired`) |
//!
//! Why the payment is authorised before stock is reserved (issue 13, fair reservations): stock
//! held by an order whose card is then declined turns paying buyers away as out of stock and
//! comes back when nobody is buying. Authorised first, only orders whose money is held compete
//! for stock; the losers' authorisations are voided. With N units and M racing buyers, exactly
//! min(N, paying buyers) are sold.
//!
//! Why the payment deadline starts at OrderPlaced: it bounds the whole wait for the payment
//! (authorisation, reservation, capture). The runtime records a reaction's timers before it
//! sends its commands, so the timer exists while a slow provider keeps `authorize_payment`
//! waiting, and a slow provider times out; the late authorisation is then voided (a void sent
//! before it arrives prevents it).
//!
//! Why a refund after the void: a cancel and a capture can cross. When the order is cancelled
//! (timeout, expiry) after OrderStockReserved but before its capture's `mark_paid`, the saga
//! may read OrderStockReserved and capture before it reads OrderCancelled (previous status
//! stock_reserved): by then the void is refused and only a refund gives the money back (the
//! capture's `mark_paid` is refused too: the order is cancelled). Payments refuses whichever of
//! the two does not apply.

mod dispatch;

use event_schemas::inventory::ReservationEvent;
use event_schemas::inventory::commands::{COMMIT_STOCK, CommitStock, RESERVE_STOCK, ReserveStock};
use event_schemas::ordering::{OrderEvent, OrderStatus};
use event_schemas::payments::PaymentEvent;
use event_schemas::payments::commands::{
    AUTHORIZE_PAYMENT, AuthorizePayment, CAPTURE_PAYMENT, CapturePayment,
};
use projections::Interest;
use projections::saga::{Dispatch, ProcessManager, Reaction, SetTimer};
use shared_kernel::ids::OrderId;
use shared_kernel::{DomainEvent, Recorded, Timestamp};

use self::dispatch::{
    INVENTORY, PAYMENTS, cancel, credit_seller, debit_seller, later, refund, release,
    release_lines, sending, to_context, to_ordering, void,
};
use super::{OrderRequest, OrderingConfig};

/// The saga's name: its checkpoint (`saga.ordering.order`) and its timers.
pub const SAGA_NAME: &str = "ordering.order";
/// The reason a return's refund and restock record (`return:<return id>` on the refund).
pub const RETURNED_REASON: &str = "return";
/// Prefix of the payment deadline timers' keys.
pub const PAYMENT_TIMEOUT: &str = "payment-timeout:";

/// What the saga reacts to: the table above.
const SAGA_EVENTS: &[&str] = &[
    event_schemas::ordering::ORDER_PLACED,
    event_schemas::ordering::ORDER_PAYMENT_AUTHORIZED,
    event_schemas::ordering::ORDER_STOCK_RESERVED,
    event_schemas::ordering::ORDER_PAID,
    event_schemas::ordering::ORDER_REJECTED,
    event_schemas::ordering::ORDER_CANCELLED,
    event_schemas::ordering::FULFILMENT_DELIVERED,
    event_schemas::ordering::ORDER_LINES_CANCELLED,
    event_schemas::ordering::RETURN_RECEIVED,
    event_schemas::inventory::RESERVATION_CONFIRMED,
    event_schemas::inventory::RESERVATION_FAILED,
    event_schemas::inventory::RESERVATION_EXPIRED,
    event_schemas::payments::PAYMENT_AUTHORIZED,
    event_schemas::payments::PAYMENT_CAPTURED,
    event_schemas::payments::PAYMENT_DECLINED,
];

#[derive(Debug, Clone, Default)]
pub struct OrderSaga {
    config: OrderingConfig,
}

impl OrderSaga {
    #[must_use]
    pub const fn new(config: OrderingConfig) -> Self {
        Self { config }
    }
}

/// The key of an order's payment deadline.
#[must_use]
pub fn payment_timeout_key(order_id: OrderId) -> String {
    format!("{PAYMENT_TIMEOUT}{order_id}")
}

fn payment_timer(config: &OrderingConfig, order_id: OrderId, at: Timestamp) -> SetTimer {
    SetTimer {
        key: payment_timeout_key(order_id),
        due_at: later(at, config.payment_timeout),
        // The deadline bounds the payment the reaction asks for: counted from the reaction.
        from_reaction: true,
        payload: serde_json::json!({ "order_id": order_id }),
    }
}

impl OrderSaga {
    fn on_order(&self, event: &Recorded, e: OrderEvent) -> Reaction {
        match e {
            OrderEvent::Placed(p) => {
                let authorize = AuthorizePayment {
                    payment_id: p.payment_id,
                    order_id: p.order_id,
                    payer_id: p.buyer_id,
                    amount: p.total,
                    method: p.payment.method,
                    token: p.payment.token,
                };
                Reaction {
                    send: to_context(PAYMENTS, AUTHORIZE_PAYMENT, &authorize)
                        .into_iter()
                        .collect(),
                    set_timers: vec![payment_timer(&self.config, p.order_id, event.recorded_at)],
                    cancel_timers: vec![],
                }
            }
            OrderEvent::PaymentAuthorized(a) => {
                let reserve = ReserveStock {
                    order_id: a.order_id,
                    lines: a.lines,
                    expires_at: later(event.recorded_at, self.config.reservation_ttl),
                };
                sending([to_context(INVENTORY, RESERVE_STOCK, &reserve)])
            }
            OrderEvent::StockReserved(s) => sending([to_context(
                PAYMENTS,
                CAPTURE_PAYMENT,
                &CapturePayment {
                    payment_id: s.payment_id,
                },
            )]),
            OrderEvent::Paid(p) => sending([to_context(
                INVENTORY,
                COMMIT_STOCK,
                &CommitStock {
                    order_id: p.order_id,
                },
            )]),
            OrderEvent::Rejected(r) => {
                let mut send = vec![release(r.order_id, &r.reason)];
                if matches!(
                    r.previous_status,
                    OrderStatus::PaymentAuthorized | OrderStatus::StockReserved
                ) {
                    send.push(void(r.payment_id, &r.reason));
                }
                Reaction {
                    send: send.into_iter().flatten().collect(),
                    set_timers: vec![],
                    cancel_timers: vec![payment_timeout_key(r.order_id)],
                }
            }
            OrderEvent::Cancelled(c) => {
                let mut send = vec![release(c.order_id, &c.reason)];
                match c.previous_status {
                    OrderStatus::Paid => send.push(refund(c.payment_id, None, &c.reason)),
                    // The authorisation may still be at the provider: the void prevents it.
                    OrderStatus::Pending | OrderStatus::PaymentAuthorized => {
                        send.push(void(c.payment_id, &c.reason));
                    }
                    OrderStatus::StockReserved => {
                        send.push(void(c.payment_id, &c.reason));
                        send.push(refund(c.payment_id, None, &c.reason));
                    }
                    _ => {}
                }
                Reaction {
                    send: send.into_iter().flatten().collect(),
                    set_timers: vec![],
                    cancel_timers: vec![payment_timeout_key(c.order_id)],
                }
            }
            OrderEvent::FulfilmentDelivered(d) => {
                sending([credit_seller(d.seller_id, d.order_id, d.gross)])
            }
            OrderEvent::LinesCancelled(c) => sending([
                release_lines(c.order_id, c.lines, &c.reason),
                refund(c.payment_id, Some(c.amount), &c.reason),
            ]),
            OrderEvent::ReturnReceived(r) => sending([
                release_lines(r.order_id, r.lines, RETURNED_REASON),
                refund(
                    r.payment_id,
                    Some(r.amount),
                    &format!("{RETURNED_REASON}:{}", r.return_id),
                ),
                debit_seller(r.seller_id, r.order_id, r.return_id, r.amount),
            ]),
            OrderEvent::FulfilmentShipped(_)
            | OrderEvent::ReturnRequested(_)
            | OrderEvent::Shipped(_)
            | OrderEvent::Delivered(_) => Reaction::default(),
        }
    }

    fn on_reservation(e: ReservationEvent) -> Reaction {
        match e {
            ReservationEvent::Confirmed(c) => {
                sending([to_ordering(OrderRequest::MarkStockReserved {
                    order_id: c.order_id,
                })])
            }
            ReservationEvent::Failed(f) => sending([to_ordering(OrderRequest::RejectOrder {
                order_id: f.order_id,
                reason: f.reason,
            })]),
            ReservationEvent::Expired(x) => sending([cancel(x.order_id, "reservation_expired")]),
            ReservationEvent::Committed(_)
            | ReservationEvent::Released(_)
            | ReservationEvent::LinesReleased(_) => Reaction::default(),
        }
    }

    fn on_payment(e: PaymentEvent) -> Reaction {
        match e {
            PaymentEvent::Authorized(a) => {
                sending([to_ordering(OrderRequest::MarkPaymentAuthorized {
                    order_id: a.order_id,
                    payment_id: a.payment_id,
                    amount: a.amount,
                })])
            }
            PaymentEvent::Captured(c) => Reaction {
                send: to_ordering(OrderRequest::MarkPaid {
                    order_id: c.order_id,
                    payment_id: c.payment_id,
                    amount: c.amount,
                })
                .into_iter()
                .collect(),
                set_timers: vec![],
                cancel_timers: vec![payment_timeout_key(c.order_id)],
            },
            PaymentEvent::Declined(d) => Reaction {
                send: to_ordering(OrderRequest::RejectOrder {
                    order_id: d.order_id,
                    reason: "payment_declined".into(),
                })
                .into_iter()
                .collect(),
                set_timers: vec![],
                cancel_timers: vec![payment_timeout_key(d.order_id)],
            },
            PaymentEvent::Voided(_) | PaymentEvent::Refunded(_) => Reaction::default(),
        }
    }
}

/// Decodes an event of a stream kind the saga follows, logging what it cannot read.
fn decoded<E: DomainEvent>(event: &Recorded) -> Option<E> {
    match E::decode(&event.event_type, event.schema_version, event.data.clone()) {
        Ok(e) => Some(e),
        Err(e) => {
            tracing::warn!(saga = SAGA_NAME, event_id = %event.event_id, error = %e, "cannot decode event; skipped");
            None
        }
    }
}

impl ProcessManager for OrderSaga {
    fn name(&self) -> &'static str {
        SAGA_NAME
    }

    fn handles(&self) -> Interest {
        Interest::Types(SAGA_EVENTS)
    }

    fn react(&self, event: &Recorded) -> Reaction {
        match event.stream_id.kind() {
            "order" => decoded::<OrderEvent>(event)
                .map(|e| self.on_order(event, e))
                .unwrap_or_default(),
            "reservation" => decoded::<ReservationEvent>(event)
                .map(Self::on_reservation)
                .unwrap_or_default(),
            "payment" => decoded::<PaymentEvent>(event)
                .map(Self::on_payment)
                .unwrap_or_default(),
            _ => Reaction::default(),
        }
    }

    fn on_timer(&self, key: &str, payload: &serde_json::Value) -> Vec<Dispatch> {
        if !key.starts_with(PAYMENT_TIMEOUT) {
            return Vec::new();
        }
        let order_id = payload
            .get("order_id")
            .and_then(|v| serde_json::from_value::<OrderId>(v.clone()).ok());
        match order_id {
            Some(order_id) => cancel(order_id, "payment_timeout").into_iter().collect(),
            None => {
                tracing::error!(saga = SAGA_NAME, key, "payment timer without an order id");
                Vec::new()
            }
        }
    }
}
