//! Per-seller fulfilment, pure: an order with lines of two sellers, each shipping and
//! delivering only their own; the buyer cancelling lines not yet shipped.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{TimeZone, Utc};
use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    FulfilmentDelivered, FulfilmentShipped, OrderCancelled, OrderEvent, OrderLine,
    OrderLinesCancelled, OrderPaid, OrderPaymentAuthorized, OrderPlaced, OrderStatus,
    OrderStockReserved, PaymentInstruction, ShippingAddress,
};
use event_schemas::payments::PaymentMethod;
use ordering::domain::{LineStatus, Order, OrderCommand, OrderError, paid_status};
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::testing::{Given, given};
use shared_kernel::{Currency, Money, Timestamp};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

struct Two {
    order: OrderId,
    buyer: UserId,
    first: UserId,
    second: UserId,
    payment: PaymentId,
}

impl Two {
    fn new() -> Self {
        Self {
            order: OrderId::new(),
            buyer: UserId::new(),
            first: UserId::new(),
            second: UserId::new(),
            payment: PaymentId::new(),
        }
    }

    fn line(seller: UserId, sku: &str, quantity: i64, unit: i64) -> OrderLine {
        OrderLine {
            product_id: ProductId::new(),
            sku: sku.into(),
            seller_id: seller,
            title: sku.into(),
            quantity,
            unit_price: eur(unit),
            line_total: eur(unit * quantity),
        }
    }

    /// BOARD (first seller, 1 x 2000) and CLOCK (second seller, 2 x 3500), paid.
    fn paid(&self) -> Given<Order> {
        let placed = OrderEvent::Placed(OrderPlaced {
            order_id: self.order,
            buyer_id: self.buyer,
            lines: vec![
                Self::line(self.first, "BOARD", 1, 2000),
                Self::line(self.second, "CLOCK", 2, 3500),
            ],
            total: eur(9000),
            shipping_address: ShippingAddress {
                name: "Ada".into(),
                line1: "1 Road".into(),
                line2: None,
                city: "London".into(),
                postal_code: "N1".into(),
                country: "GB".into(),
            },
            payment: PaymentInstruction {
                method: PaymentMethod::Card,
                token: Some("tok_ok".into()),
            },
            payment_id: self.payment,
        });
        given(&[
            placed,
            OrderEvent::PaymentAuthorized(OrderPaymentAuthorized {
                order_id: self.order,
                payment_id: self.payment,
                amount: eur(9000),
                lines: vec![],
            }),
            OrderEvent::StockReserved(OrderStockReserved {
                order_id: self.order,
                buyer_id: self.buyer,
                total: eur(9000),
                payment: PaymentInstruction {
                    method: PaymentMethod::Card,
                    token: Some("tok_ok".into()),
                },
                payment_id: self.payment,
            }),
            OrderEvent::Paid(OrderPaid {
                order_id: self.order,
                payment_id: self.payment,
                amount: eur(9000),
            }),
        ])
    }

    fn ship(actor: UserId) -> OrderCommand {
        OrderCommand::Ship {
            actor,
            carrier: "DHL".into(),
            tracking_number: "JD1".into(),
        }
    }

    fn cancel(&self, skus: &[&str]) -> OrderCommand {
        OrderCommand::CancelLines {
            actor: self.buyer,
            skus: skus.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

#[test]
fn each_seller_ships_only_their_own_lines() {
    let t = Two::new();
    let mut order = t.paid();
    assert_eq!(
        order.and(Two::ship(t.first)),
        vec![OrderEvent::FulfilmentShipped(FulfilmentShipped {
            order_id: t.order,
            seller_id: t.first,
            carrier: "DHL".into(),
            tracking_number: "JD1".into(),
            skus: vec!["BOARD".into()],
            order_status: OrderStatus::PartiallyShipped,
        })]
    );
    let state = order.state();
    assert_eq!(state.status, OrderStatus::PartiallyShipped);
    assert_eq!(state.lines, vec![LineStatus::Shipped, LineStatus::Open]);
    // Shipping again is a no-op; the buyer may not ship; a carrier is needed.
    order.when(Two::ship(t.first)).then_nothing();
    assert!(matches!(
        order.when(Two::ship(t.buyer)).error(),
        OrderError::Forbidden(_)
    ));
    assert!(matches!(
        order
            .when(OrderCommand::Ship {
                actor: t.second,
                carrier: " ".into(),
                tracking_number: "X".into(),
            })
            .error(),
        OrderError::Invalid(_)
    ));
    // The first seller's deliver touches only the first seller's lines.
    let delivered = order
        .at(at())
        .when(OrderCommand::Deliver { actor: t.first });
    assert_eq!(
        delivered.events(),
        [OrderEvent::FulfilmentDelivered(FulfilmentDelivered {
            order_id: t.order,
            seller_id: t.first,
            skus: vec!["BOARD".into()],
            gross: eur(2000),
            delivered_at: at(),
            order_status: OrderStatus::PartiallyShipped,
        })]
    );
    let state = delivered.state();
    assert_eq!(state.lines, vec![LineStatus::Delivered, LineStatus::Open]);
    assert_eq!(state.delivered_at.get(&t.first), Some(&at()));
    // The second seller cannot mark delivered what they have not shipped.
    t.paid()
        .when(OrderCommand::Deliver { actor: t.second })
        .then_rejects(OrderError::InvalidTransition("paid", "delivered"));
}

#[test]
fn the_order_is_shipped_then_delivered_when_every_fulfilment_is() {
    let t = Two::new();
    let mut order = t.paid();
    order.and(Two::ship(t.first));
    let events = order.and(Two::ship(t.second));
    let [OrderEvent::FulfilmentShipped(s)] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(s.order_status, OrderStatus::Shipped);
    order.and(OrderCommand::Deliver { actor: t.second });
    assert_eq!(order.state().status, OrderStatus::Shipped);
    order.and(OrderCommand::Deliver { actor: t.first });
    assert_eq!(order.state().status, OrderStatus::Delivered);
    order
        .when(OrderCommand::Deliver { actor: t.first })
        .then_nothing();
}

#[test]
fn the_buyer_cancels_an_unshipped_line_for_its_amount_and_stock() {
    let t = Two::new();
    let mut order = t.paid();
    order.and(Two::ship(t.first));
    assert_eq!(
        order.and(t.cancel(&["CLOCK"])),
        vec![OrderEvent::LinesCancelled(OrderLinesCancelled {
            order_id: t.order,
            skus: vec!["CLOCK".into()],
            lines: vec![SkuQuantity {
                sku: "CLOCK".into(),
                quantity: 2,
            }],
            amount: eur(7000),
            reason: "buyer_cancelled".into(),
            cancelled_by: t.buyer,
            payment_id: t.payment,
            // Every line left is shipped.
            order_status: OrderStatus::Shipped,
        })]
    );
    // Again: nothing more; a shipped line cannot be cancelled; nor an unknown one.
    order.when(t.cancel(&["CLOCK"])).then_nothing();
    order
        .when(t.cancel(&["BOARD"]))
        .then_rejects(OrderError::AlreadyShipped);
    order
        .when(t.cancel(&["NOPE"]))
        .then_rejects(OrderError::UnknownLine("NOPE".into()));
    // Nor by a seller.
    assert!(matches!(
        order
            .when(OrderCommand::CancelLines {
                actor: t.second,
                skus: vec!["CLOCK".into()],
            })
            .error(),
        OrderError::Forbidden(_)
    ));
    // With nothing of theirs left, the second seller has nothing to ship.
    order
        .when(Two::ship(t.second))
        .then_rejects(OrderError::NothingToShip);
}

#[test]
fn cancelling_every_line_left_cancels_the_order() {
    let t = Two::new();
    let mut order = t.paid();
    order.and(t.cancel(&["BOARD"]));
    assert_eq!(
        order.and(t.cancel(&["CLOCK"])),
        vec![OrderEvent::Cancelled(OrderCancelled {
            order_id: t.order,
            reason: "buyer_cancelled".into(),
            cancelled_by: Some(t.buyer),
            previous_status: OrderStatus::Paid,
            payment_id: t.payment,
        })]
    );
    // Before payment, only the whole order goes.
    let unpaid = given::<Order>(&t.paid().history()[..1]);
    unpaid
        .when(t.cancel(&["BOARD"]))
        .then_rejects(OrderError::InvalidTransition("pending", "partly cancelled"));
    assert!(matches!(
        unpaid.when(t.cancel(&["BOARD", "CLOCK"])).events(),
        [OrderEvent::Cancelled(_)]
    ));
}

#[test]
fn the_paid_status_follows_the_lines_not_cancelled() {
    use LineStatus::{Cancelled, Delivered, Open, Returned, Shipped};
    assert_eq!(paid_status(&[Open, Open]), OrderStatus::Paid);
    assert_eq!(paid_status(&[Shipped, Open]), OrderStatus::PartiallyShipped);
    assert_eq!(paid_status(&[Shipped, Cancelled]), OrderStatus::Shipped);
    assert_eq!(paid_status(&[Delivered, Shipped]), OrderStatus::Shipped);
    assert_eq!(paid_status(&[Delivered, Returned]), OrderStatus::Delivered);
    assert_eq!(
        paid_status(&[Delivered, Open]),
        OrderStatus::PartiallyShipped
    );
}
