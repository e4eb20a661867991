//! Returns, pure: delivered lines of one seller, within the window from that seller's
//! delivery, received once by that seller.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::Duration;

use chrono::{TimeZone, Utc};
use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    FulfilmentDelivered, FulfilmentShipped, OrderEvent, OrderLine, OrderPaid,
    OrderPaymentAuthorized, OrderPlaced, OrderStatus, OrderStockReserved, PaymentInstruction,
    ReturnId, ReturnReceived, ReturnRequested, ShippingAddress,
};
use event_schemas::payments::PaymentMethod;
use ordering::domain::{LineStatus, Order, OrderCommand, OrderError, ReturnRequest};
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::testing::{Given, given};
use shared_kernel::{Currency, Money, Timestamp};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn delivered_at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap()
}

struct F {
    order: OrderId,
    buyer: UserId,
    first: UserId,
    second: UserId,
    payment: PaymentId,
}

fn line(seller: UserId, sku: &str, unit: i64) -> OrderLine {
    OrderLine {
        product_id: ProductId::new(),
        sku: sku.into(),
        seller_id: seller,
        title: sku.into(),
        quantity: 1,
        unit_price: eur(unit),
        line_total: eur(unit),
    }
}

impl F {
    fn new() -> Self {
        Self {
            order: OrderId::new(),
            buyer: UserId::new(),
            first: UserId::new(),
            second: UserId::new(),
            payment: PaymentId::new(),
        }
    }

    fn card() -> PaymentInstruction {
        PaymentInstruction {
            method: PaymentMethod::Card,
            token: Some("tok_ok".into()),
        }
    }

    /// BOARD and PAWN of the first seller, delivered; CLOCK of the second, shipped.
    fn order(&self) -> Given<Order> {
        given(&[
            OrderEvent::Placed(OrderPlaced {
                order_id: self.order,
                buyer_id: self.buyer,
                lines: vec![
                    line(self.first, "BOARD", 2000),
                    line(self.first, "PAWN", 300),
                    line(self.second, "CLOCK", 3500),
                ],
                total: eur(5800),
                shipping_address: ShippingAddress {
                    name: "Ada".into(),
                    line1: "1 Road".into(),
                    line2: None,
                    city: "London".into(),
                    postal_code: "N1".into(),
                    country: "GB".into(),
                },
                payment: Self::card(),
                payment_id: self.payment,
            }),
            OrderEvent::PaymentAuthorized(OrderPaymentAuthorized {
                order_id: self.order,
                payment_id: self.payment,
                amount: eur(5800),
                lines: vec![],
            }),
            OrderEvent::StockReserved(OrderStockReserved {
                order_id: self.order,
                buyer_id: self.buyer,
                total: eur(5800),
                payment: Self::card(),
                payment_id: self.payment,
            }),
            OrderEvent::Paid(OrderPaid {
                order_id: self.order,
                payment_id: self.payment,
                amount: eur(5800),
            }),
            OrderEvent::FulfilmentShipped(FulfilmentShipped {
                order_id: self.order,
                seller_id: self.first,
                carrier: "DHL".into(),
                tracking_number: "1".into(),
                skus: vec!["BOARD".into(), "PAWN".into()],
                order_status: OrderStatus::PartiallyShipped,
            }),
            OrderEvent::FulfilmentShipped(FulfilmentShipped {
                order_id: self.order,
                seller_id: self.second,
                carrier: "UPS".into(),
                tracking_number: "2".into(),
                skus: vec!["CLOCK".into()],
                order_status: OrderStatus::Shipped,
            }),
            OrderEvent::FulfilmentDelivered(FulfilmentDelivered {
                order_id: self.order,
                seller_id: self.first,
                skus: vec!["BOARD".into(), "PAWN".into()],
                gross: eur(2300),
                delivered_at: delivered_at(),
                order_status: OrderStatus::Shipped,
            }),
        ])
    }

    fn request(&self, id: ReturnId, skus: &[&str]) -> OrderCommand {
        OrderCommand::RequestReturn(Box::new(ReturnRequest {
            actor: self.buyer,
            return_id: id,
            skus: skus.iter().map(|s| (*s).to_owned()).collect(),
            reason: Some("  arrived damaged ".into()),
            window: 30 * DAY,
        }))
    }
}

#[test]
fn a_delivered_line_is_returned_within_the_window_and_received_once() {
    let f = F::new();
    let id = ReturnId::new();
    let mut order = f.order().at(delivered_at() + chrono::Duration::days(29));
    assert_eq!(
        order.and(f.request(id, &["BOARD"])),
        vec![OrderEvent::ReturnRequested(ReturnRequested {
            order_id: f.order,
            return_id: id,
            buyer_id: f.buyer,
            seller_id: f.first,
            skus: vec!["BOARD".into()],
            reason: Some("arrived damaged".into()),
            order_status: OrderStatus::Shipped,
        })]
    );
    // The same request again (same id) is a no-op; another for the same line is refused.
    order.when(f.request(id, &["BOARD"])).then_nothing();
    order
        .when(f.request(ReturnId::new(), &["BOARD"]))
        .then_rejects(OrderError::AlreadyReturned("BOARD".into()));
    // Only its seller receives it.
    order
        .when(OrderCommand::ReceiveReturn {
            actor: f.second,
            return_id: id,
        })
        .then_rejects(OrderError::ReturnNotFound);
    let receive = || OrderCommand::ReceiveReturn {
        actor: f.first,
        return_id: id,
    };
    assert_eq!(
        order.and(receive()),
        vec![OrderEvent::ReturnReceived(ReturnReceived {
            order_id: f.order,
            return_id: id,
            seller_id: f.first,
            skus: vec!["BOARD".into()],
            lines: vec![SkuQuantity {
                sku: "BOARD".into(),
                quantity: 1,
            }],
            amount: eur(2000),
            payment_id: f.payment,
            order_status: OrderStatus::Shipped,
        })]
    );
    // Received twice: nothing more (no second refund follows).
    order.when(receive()).then_nothing();
    assert_eq!(
        order.state().lines,
        vec![
            LineStatus::Returned,
            LineStatus::Delivered,
            LineStatus::Shipped
        ]
    );
}

#[test]
fn returns_outside_the_window_or_of_lines_not_delivered_are_refused() {
    let f = F::new();
    let late = f.order().at(delivered_at() + chrono::Duration::days(31));
    late.when(f.request(ReturnId::new(), &["PAWN"]))
        .then_rejects(OrderError::ReturnWindowClosed);
    let order = f.order().at(delivered_at() + chrono::Duration::days(1));
    order
        .when(f.request(ReturnId::new(), &["CLOCK"]))
        .then_rejects(OrderError::NotDelivered("CLOCK".into()));
    order
        .when(f.request(ReturnId::new(), &["GHOST"]))
        .then_rejects(OrderError::UnknownLine("GHOST".into()));
    // A seller does not return; a stranger sees no order.
    assert!(matches!(
        order
            .when(OrderCommand::RequestReturn(Box::new(ReturnRequest {
                actor: f.first,
                return_id: ReturnId::new(),
                skus: vec!["BOARD".into()],
                reason: None,
                window: 30 * DAY,
            })))
            .error(),
        OrderError::Forbidden(_)
    ));
    order
        .when(OrderCommand::ReceiveReturn {
            actor: f.first,
            return_id: ReturnId::new(),
        })
        .then_rejects(OrderError::ReturnNotFound);
}

#[test]
fn one_return_is_of_one_sellers_lines() {
    let f = F::new();
    let mut order = f.order().at(delivered_at());
    order.and(OrderCommand::Deliver { actor: f.second });
    order
        .when(f.request(ReturnId::new(), &["BOARD", "CLOCK"]))
        .then_rejects(OrderError::ReturnSpansSellers);
    let both = order.when(f.request(ReturnId::new(), &["BOARD", "PAWN"]));
    let [OrderEvent::ReturnRequested(r)] = both.events() else {
        panic!("{:?}", both.events())
    };
    assert_eq!(r.skus, ["BOARD", "PAWN"]);
}
