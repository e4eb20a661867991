//! Given events, when a command, then events or an error: the Order aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Utc;
use event_schemas::ordering::{
    OrderCancelled, OrderEvent, OrderLine, OrderPaid, OrderPlaced, OrderRejected, OrderShipped,
    OrderStatus, OrderStockReserved, PaymentInstruction, ShippingAddress,
};
use event_schemas::payments::PaymentMethod;
use ordering::domain::{CancelledBy, NewOrder, Order, OrderCommand, OrderError, PricedLine};
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::{Aggregate, Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

struct Fixture {
    order: OrderId,
    buyer: UserId,
    seller: UserId,
    product: ProductId,
    payment: PaymentId,
}

impl Fixture {
    fn new() -> Self {
        Self {
            order: OrderId::new(),
            buyer: UserId::new(),
            seller: UserId::new(),
            product: ProductId::new(),
            payment: PaymentId::new(),
        }
    }

    fn address() -> ShippingAddress {
        ShippingAddress {
            name: "Ada Lovelace".into(),
            line1: "12 St James's Square".into(),
            line2: None,
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "GB".into(),
        }
    }

    fn card() -> PaymentInstruction {
        PaymentInstruction {
            method: PaymentMethod::Card,
            token: Some("tok_ok".into()),
        }
    }

    fn line(&self, quantity: i64) -> PricedLine {
        PricedLine {
            product_id: self.product,
            sku: "CHESS-1".into(),
            seller_id: self.seller,
            title: "Chess set".into(),
            quantity,
            unit_price: eur(1250),
        }
    }

    fn new_order(&self, lines: Vec<PricedLine>) -> NewOrder {
        NewOrder {
            order_id: self.order,
            buyer_id: self.buyer,
            lines,
            shipping_address: Self::address(),
            payment: Self::card(),
            payment_id: self.payment,
        }
    }

    fn placed(&self) -> OrderEvent {
        OrderEvent::Placed(OrderPlaced {
            order_id: self.order,
            buyer_id: self.buyer,
            lines: vec![OrderLine {
                product_id: self.product,
                sku: "CHESS-1".into(),
                seller_id: self.seller,
                title: "Chess set".into(),
                quantity: 2,
                unit_price: eur(1250),
                line_total: eur(2500),
            }],
            total: eur(2500),
            shipping_address: Self::address(),
            payment: Self::card(),
            payment_id: self.payment,
        })
    }

    fn reserved(&self) -> OrderEvent {
        OrderEvent::StockReserved(OrderStockReserved {
            order_id: self.order,
            buyer_id: self.buyer,
            total: eur(2500),
            payment: Self::card(),
            payment_id: self.payment,
        })
    }

    fn paid(&self) -> OrderEvent {
        OrderEvent::Paid(OrderPaid {
            order_id: self.order,
            payment_id: self.payment,
            amount: eur(2500),
        })
    }

    fn shipped(&self) -> OrderEvent {
        OrderEvent::Shipped(OrderShipped {
            order_id: self.order,
            shipped_by: self.seller,
        })
    }

    fn mark_paid(&self) -> OrderCommand {
        OrderCommand::MarkPaid {
            payment_id: self.payment,
            amount: eur(2500),
        }
    }

    fn buyer_cancels(&self) -> OrderCommand {
        OrderCommand::Cancel {
            reason: "buyer_cancelled".into(),
            by: CancelledBy::Buyer(self.buyer),
        }
    }

    fn platform_cancels(reason: &str) -> OrderCommand {
        OrderCommand::Cancel {
            reason: reason.into(),
            by: CancelledBy::Platform,
        }
    }
}

fn when(given: &[OrderEvent], command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
    Order::replay(given).decide(command, Utc::now())
}

#[test]
fn placing_an_order_prices_its_lines_and_records_it_pending() {
    let f = Fixture::new();
    let events = when(
        &[],
        OrderCommand::Place(Box::new(f.new_order(vec![f.line(2)]))),
    )
    .unwrap();
    assert_eq!(events, vec![f.placed()]);
    assert_eq!(Order::replay(&events).status, OrderStatus::Pending);
}

#[test]
fn an_order_cannot_be_placed_twice() {
    let f = Fixture::new();
    let err = when(
        &[f.placed()],
        OrderCommand::Place(Box::new(f.new_order(vec![f.line(1)]))),
    );
    assert_eq!(err, Err(OrderError::AlreadyExists));
}

#[test]
fn invalid_orders_are_refused() {
    let f = Fixture::new();
    let other = ProductId::new();
    let cases: Vec<(NewOrder, OrderError)> = vec![
        (
            f.new_order(vec![]),
            OrderError::Invalid("an order needs at least one line".into()),
        ),
        (
            f.new_order(vec![f.line(0)]),
            OrderError::Invalid("quantity must be 1 to 10000, got 0".into()),
        ),
        (
            f.new_order(vec![
                PricedLine {
                    product_id: other,
                    unit_price: Money::new(100, Currency::USD),
                    ..f.line(1)
                },
                f.line(1),
            ]),
            OrderError::MixedCurrencies,
        ),
        (
            f.new_order(vec![PricedLine {
                seller_id: f.buyer,
                ..f.line(1)
            }]),
            OrderError::OwnProduct,
        ),
        (
            f.new_order(vec![PricedLine {
                unit_price: eur(i64::MAX),
                ..f.line(2)
            }]),
            OrderError::Invalid("the order total is too large".into()),
        ),
    ];
    for (new, expected) in cases {
        assert_eq!(when(&[], OrderCommand::Place(Box::new(new))), Err(expected));
    }
    // Mixed currencies are refused whichever line comes first.
    let mixed = f.new_order(vec![
        f.line(1),
        PricedLine {
            product_id: other,
            unit_price: Money::new(100, Currency::USD),
            ..f.line(1)
        },
    ]);
    assert_eq!(
        when(&[], OrderCommand::Place(Box::new(mixed))),
        Err(OrderError::MixedCurrencies)
    );
}

#[test]
fn addresses_and_payments_are_checked() {
    let f = Fixture::new();
    let mut bad_country = f.new_order(vec![f.line(1)]);
    bad_country.shipping_address.country = "Germany".into();
    assert!(matches!(
        when(&[], OrderCommand::Place(Box::new(bad_country))),
        Err(OrderError::Invalid(_))
    ));
    let mut no_token = f.new_order(vec![f.line(1)]);
    no_token.payment.token = None;
    assert!(matches!(
        when(&[], OrderCommand::Place(Box::new(no_token))),
        Err(OrderError::Invalid(_))
    ));
    // A wallet takes no token: one sent along is not recorded.
    let mut wallet = f.new_order(vec![f.line(1)]);
    wallet.payment = PaymentInstruction {
        method: PaymentMethod::Wallet,
        token: Some("ignored".into()),
    };
    let events = when(&[], OrderCommand::Place(Box::new(wallet))).unwrap();
    let OrderEvent::Placed(placed) = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(placed.payment.token, None);
}

#[test]
fn the_happy_path_goes_from_pending_to_delivered() {
    let f = Fixture::new();
    let reserved = when(&[f.placed()], OrderCommand::MarkStockReserved).unwrap();
    assert_eq!(reserved, vec![f.reserved()]);
    let paid = when(&[f.placed(), f.reserved()], f.mark_paid()).unwrap();
    assert_eq!(paid, vec![f.paid()]);
    let given = [f.placed(), f.reserved(), f.paid()];
    let shipped = when(&given, OrderCommand::Ship { actor: f.seller }).unwrap();
    assert_eq!(shipped, vec![f.shipped()]);
    let given = [f.placed(), f.reserved(), f.paid(), f.shipped()];
    let delivered = when(&given, OrderCommand::Deliver { actor: f.seller }).unwrap();
    let all: Vec<_> = given.iter().chain(&delivered).cloned().collect();
    assert_eq!(Order::replay(&all).status, OrderStatus::Delivered);
}

#[test]
fn repeated_saga_steps_are_no_ops() {
    let f = Fixture::new();
    let given = [f.placed(), f.reserved(), f.paid()];
    assert_eq!(when(&given, OrderCommand::MarkStockReserved), Ok(vec![]));
    assert_eq!(when(&given, f.mark_paid()), Ok(vec![]));
    let rejected = OrderEvent::Rejected(OrderRejected {
        order_id: f.order,
        reason: "out_of_stock".into(),
        previous_status: OrderStatus::Pending,
        payment_id: f.payment,
    });
    assert_eq!(
        when(
            &[f.placed(), rejected],
            OrderCommand::Reject {
                reason: "out_of_stock".into()
            }
        ),
        Ok(vec![])
    );
}

#[test]
fn a_payment_that_does_not_match_the_order_is_refused() {
    let f = Fixture::new();
    let wrong_amount = OrderCommand::MarkPaid {
        payment_id: f.payment,
        amount: eur(1),
    };
    assert_eq!(
        when(&[f.placed(), f.reserved()], wrong_amount),
        Err(OrderError::PaymentMismatch)
    );
}

#[test]
fn rejection_records_how_far_the_order_got() {
    let f = Fixture::new();
    let events = when(
        &[f.placed(), f.reserved()],
        OrderCommand::Reject {
            reason: "payment_declined".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![OrderEvent::Rejected(OrderRejected {
            order_id: f.order,
            reason: "payment_declined".into(),
            previous_status: OrderStatus::StockReserved,
            payment_id: f.payment,
        })]
    );
    // Too late once paid.
    assert!(matches!(
        when(
            &[f.placed(), f.reserved(), f.paid()],
            OrderCommand::Reject {
                reason: "payment_declined".into()
            }
        ),
        Err(OrderError::InvalidTransition("paid", "rejected"))
    ));
}

#[test]
fn the_buyer_may_cancel_until_shipped() {
    let f = Fixture::new();
    let paid = [f.placed(), f.reserved(), f.paid()];
    let events = when(&paid, f.buyer_cancels()).unwrap();
    assert_eq!(
        events,
        vec![OrderEvent::Cancelled(OrderCancelled {
            order_id: f.order,
            reason: "buyer_cancelled".into(),
            cancelled_by: Some(f.buyer),
            previous_status: OrderStatus::Paid,
            payment_id: f.payment,
        })]
    );
    let shipped = [f.placed(), f.reserved(), f.paid(), f.shipped()];
    assert_eq!(
        when(&shipped, f.buyer_cancels()),
        Err(OrderError::AlreadyShipped)
    );
    // Cancelling twice is a no-op, so a retried request succeeds.
    let cancelled: Vec<_> = paid.iter().chain(&events).cloned().collect();
    assert_eq!(when(&cancelled, f.buyer_cancels()), Ok(vec![]));
}

#[test]
fn only_the_buyer_cancels_and_strangers_see_no_order() {
    let f = Fixture::new();
    let by_seller = OrderCommand::Cancel {
        reason: "buyer_cancelled".into(),
        by: CancelledBy::Buyer(f.seller),
    };
    assert!(matches!(
        when(&[f.placed()], by_seller),
        Err(OrderError::Forbidden(_))
    ));
    let by_stranger = OrderCommand::Cancel {
        reason: "buyer_cancelled".into(),
        by: CancelledBy::Buyer(UserId::new()),
    };
    assert_eq!(when(&[f.placed()], by_stranger), Err(OrderError::NotFound));
    assert_eq!(when(&[], f.buyer_cancels()), Err(OrderError::NotFound));
}

#[test]
fn the_platform_cancels_only_unpaid_orders() {
    let f = Fixture::new();
    let events = when(
        &[f.placed(), f.reserved()],
        Fixture::platform_cancels("payment_timeout"),
    )
    .unwrap();
    assert_eq!(
        events,
        vec![OrderEvent::Cancelled(OrderCancelled {
            order_id: f.order,
            reason: "payment_timeout".into(),
            cancelled_by: None,
            previous_status: OrderStatus::StockReserved,
            payment_id: f.payment,
        })]
    );
    // An expiry that lost the race to the payment changes nothing.
    assert!(matches!(
        when(
            &[f.placed(), f.reserved(), f.paid()],
            Fixture::platform_cancels("reservation_expired")
        ),
        Err(OrderError::InvalidTransition("paid", "cancelled"))
    ));
}

#[test]
fn late_saga_steps_after_a_cancel_are_refused() {
    let f = Fixture::new();
    let cancelled = OrderEvent::Cancelled(OrderCancelled {
        order_id: f.order,
        reason: "payment_timeout".into(),
        cancelled_by: None,
        previous_status: OrderStatus::StockReserved,
        payment_id: f.payment,
    });
    let given = [f.placed(), f.reserved(), cancelled];
    assert!(matches!(
        when(&given, f.mark_paid()),
        Err(OrderError::InvalidTransition("cancelled", "paid"))
    ));
    assert!(matches!(
        when(&given[..1], f.mark_paid()),
        Err(OrderError::InvalidTransition("pending", "paid"))
    ));
}

#[test]
fn only_a_seller_ships_and_delivers_and_only_in_order() {
    let f = Fixture::new();
    let paid = [f.placed(), f.reserved(), f.paid()];
    assert!(matches!(
        when(&paid, OrderCommand::Ship { actor: f.buyer }),
        Err(OrderError::Forbidden(_))
    ));
    assert_eq!(
        when(
            &paid,
            OrderCommand::Ship {
                actor: UserId::new()
            }
        ),
        Err(OrderError::NotFound)
    );
    assert!(matches!(
        when(&paid[..2], OrderCommand::Ship { actor: f.seller }),
        Err(OrderError::InvalidTransition("stock_reserved", "shipped"))
    ));
    assert!(matches!(
        when(&paid, OrderCommand::Deliver { actor: f.seller }),
        Err(OrderError::InvalidTransition("paid", "delivered"))
    ));
    let shipped = [f.placed(), f.reserved(), f.paid(), f.shipped()];
    assert_eq!(
        when(&shipped, OrderCommand::Ship { actor: f.seller }),
        Ok(vec![])
    );
}
