//! Given events, when a command, then events or an error: the Order aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    FulfilmentShipped, OrderCancelled, OrderEvent, OrderLine, OrderPaid, OrderPaymentAuthorized,
    OrderPlaced, OrderRejected, OrderStatus, OrderStockReserved, PaymentInstruction,
    ShippingAddress,
};
use event_schemas::payments::PaymentMethod;
use ordering::domain::{CancelledBy, NewOrder, Order, OrderCommand, OrderError, PricedLine};
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

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

    fn authorized(&self) -> OrderEvent {
        OrderEvent::PaymentAuthorized(OrderPaymentAuthorized {
            order_id: self.order,
            payment_id: self.payment,
            amount: eur(2500),
            lines: vec![SkuQuantity {
                sku: "CHESS-1".into(),
                quantity: 2,
            }],
        })
    }

    fn mark_authorized(&self) -> OrderCommand {
        OrderCommand::MarkPaymentAuthorized {
            payment_id: self.payment,
            amount: eur(2500),
        }
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
        OrderEvent::FulfilmentShipped(FulfilmentShipped {
            order_id: self.order,
            seller_id: self.seller,
            carrier: "DHL".into(),
            tracking_number: "JD1".into(),
            skus: vec!["CHESS-1".into()],
            order_status: OrderStatus::Shipped,
        })
    }

    fn ship(&self, actor: UserId) -> OrderCommand {
        OrderCommand::Ship {
            actor,
            carrier: "DHL".into(),
            tracking_number: "JD1".into(),
        }
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

#[test]
fn placing_an_order_prices_its_lines_and_records_it_pending() {
    let f = Fixture::new();
    let order = given::<Order>(&[])
        .when(OrderCommand::Place(Box::new(f.new_order(vec![f.line(2)]))))
        .then([f.placed()]);
    assert_eq!(order.status, OrderStatus::Pending);
}

#[test]
fn an_order_cannot_be_placed_twice() {
    let f = Fixture::new();
    given::<Order>(&[f.placed()])
        .when(OrderCommand::Place(Box::new(f.new_order(vec![f.line(1)]))))
        .then_rejects(OrderError::AlreadyExists);
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
    let nothing = given::<Order>(&[]);
    for (new, expected) in cases {
        nothing
            .when(OrderCommand::Place(Box::new(new)))
            .then_rejects(expected);
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
    nothing
        .when(OrderCommand::Place(Box::new(mixed)))
        .then_rejects(OrderError::MixedCurrencies);
}

#[test]
fn addresses_and_payments_are_checked() {
    let f = Fixture::new();
    let nothing = given::<Order>(&[]);
    let mut bad_country = f.new_order(vec![f.line(1)]);
    bad_country.shipping_address.country = "Germany".into();
    assert!(matches!(
        nothing
            .when(OrderCommand::Place(Box::new(bad_country)))
            .error(),
        OrderError::Invalid(_)
    ));
    let mut no_token = f.new_order(vec![f.line(1)]);
    no_token.payment.token = None;
    assert!(matches!(
        nothing
            .when(OrderCommand::Place(Box::new(no_token)))
            .error(),
        OrderError::Invalid(_)
    ));
    // A wallet takes no token: one sent along is not recorded.
    let mut wallet = f.new_order(vec![f.line(1)]);
    wallet.payment = PaymentInstruction {
        method: PaymentMethod::Wallet,
        token: Some("ignored".into()),
    };
    let placed = nothing.when(OrderCommand::Place(Box::new(wallet)));
    let [OrderEvent::Placed(placed)] = placed.events() else {
        panic!("{:?}", placed.events())
    };
    assert_eq!(placed.payment.token, None);
}

/// Issue 20: a shipping country is an ISO 3166-1 alpha-2 code the standard assigns, in upper
/// case; two capital letters are not enough.
#[test]
fn a_shipping_country_is_an_assigned_iso_3166_code() {
    let f = Fixture::new();
    let nothing = given::<Order>(&[]);
    let with_country = |country: &str| {
        let mut new = f.new_order(vec![f.line(1)]);
        new.shipping_address.country = country.into();
        OrderCommand::Place(Box::new(new))
    };
    for refused in ["ZZ", "AB", "QQ", "de", "Germany", "", "D"] {
        let outcome = nothing.when(with_country(refused));
        let OrderError::Invalid(message) = outcome.error() else {
            panic!("{refused:?}: {:?}", outcome.error());
        };
        assert!(
            message.contains("shipping_address.country"),
            "{refused:?}: {message}"
        );
    }
    for accepted in ["DE", "FR", "US", "GB"] {
        let placed = nothing.when(with_country(accepted));
        let [OrderEvent::Placed(placed)] = placed.events() else {
            panic!("{accepted}: {:?}", placed.events())
        };
        assert_eq!(placed.shipping_address.country, accepted);
    }
}

#[test]
fn the_happy_path_goes_from_pending_to_delivered() {
    let f = Fixture::new();
    let mut order = given::<Order>(&[f.placed()]);
    assert_eq!(order.and(f.mark_authorized()), vec![f.authorized()]);
    assert_eq!(
        order.and(OrderCommand::MarkStockReserved),
        vec![f.reserved()]
    );
    assert_eq!(order.and(f.mark_paid()), vec![f.paid()]);
    assert_eq!(order.and(f.ship(f.seller)), vec![f.shipped()]);
    let delivered = order
        .when(OrderCommand::Deliver { actor: f.seller })
        .state();
    assert_eq!(delivered.status, OrderStatus::Delivered);
}

#[test]
fn repeated_saga_steps_are_no_ops() {
    let f = Fixture::new();
    let paid = given::<Order>(&[f.placed(), f.authorized(), f.reserved(), f.paid()]);
    paid.when(f.mark_authorized()).then_nothing();
    paid.when(OrderCommand::MarkStockReserved).then_nothing();
    paid.when(f.mark_paid()).then_nothing();
    let rejected = OrderEvent::Rejected(OrderRejected {
        order_id: f.order,
        reason: "out_of_stock".into(),
        previous_status: OrderStatus::Pending,
        payment_id: f.payment,
    });
    given::<Order>(&[f.placed(), rejected])
        .when(OrderCommand::Reject {
            reason: "out_of_stock".into(),
        })
        .then_nothing();
}

#[test]
fn stock_is_reserved_only_for_an_authorised_payment() {
    let f = Fixture::new();
    given::<Order>(&[f.placed()])
        .when(OrderCommand::MarkStockReserved)
        .then_rejects(OrderError::InvalidTransition("pending", "reserved"));
    // The authorisation carries one reservation line per sku, quantities summed.
    let two_lines = OrderEvent::Placed(OrderPlaced {
        lines: vec![
            OrderLine {
                sku: "B-1".into(),
                quantity: 1,
                line_total: eur(1250),
                ..placed_line(&f)
            },
            OrderLine {
                product_id: ProductId::new(),
                sku: "A-1".into(),
                quantity: 1,
                line_total: eur(1250),
                ..placed_line(&f)
            },
        ],
        ..placed_of(&f)
    });
    let authorised = given::<Order>(&[two_lines]).when(f.mark_authorized());
    let [OrderEvent::PaymentAuthorized(a)] = authorised.events() else {
        panic!("{:?}", authorised.events())
    };
    assert_eq!(
        a.lines,
        vec![
            SkuQuantity {
                sku: "A-1".into(),
                quantity: 1
            },
            SkuQuantity {
                sku: "B-1".into(),
                quantity: 1
            },
        ]
    );
    // Rejected for no stock: a late authorisation changes nothing more.
    let rejected = OrderEvent::Rejected(OrderRejected {
        order_id: f.order,
        reason: "out_of_stock".into(),
        previous_status: OrderStatus::PaymentAuthorized,
        payment_id: f.payment,
    });
    given::<Order>(&[f.placed(), f.authorized(), rejected])
        .when(f.mark_authorized())
        .then_rejects(OrderError::InvalidTransition("rejected", "authorized"));
}

fn placed_of(f: &Fixture) -> OrderPlaced {
    match f.placed() {
        OrderEvent::Placed(p) => p,
        other => panic!("{other:?}"),
    }
}

fn placed_line(f: &Fixture) -> OrderLine {
    placed_of(f).lines[0].clone()
}

#[test]
fn a_payment_that_does_not_match_the_order_is_refused() {
    let f = Fixture::new();
    let wrong_amount = OrderCommand::MarkPaid {
        payment_id: f.payment,
        amount: eur(1),
    };
    given::<Order>(&[f.placed(), f.authorized(), f.reserved()])
        .when(wrong_amount)
        .then_rejects(OrderError::PaymentMismatch);
    given::<Order>(&[f.placed()])
        .when(OrderCommand::MarkPaymentAuthorized {
            payment_id: PaymentId::new(),
            amount: eur(2500),
        })
        .then_rejects(OrderError::PaymentMismatch);
}

#[test]
fn rejection_records_how_far_the_order_got() {
    let f = Fixture::new();
    given::<Order>(&[f.placed(), f.authorized(), f.reserved()])
        .when(OrderCommand::Reject {
            reason: "payment_declined".into(),
        })
        .then([OrderEvent::Rejected(OrderRejected {
            order_id: f.order,
            reason: "payment_declined".into(),
            previous_status: OrderStatus::StockReserved,
            payment_id: f.payment,
        })]);
    // Too late once paid.
    given::<Order>(&[f.placed(), f.authorized(), f.reserved(), f.paid()])
        .when(OrderCommand::Reject {
            reason: "payment_declined".into(),
        })
        .then_rejects(OrderError::InvalidTransition("paid", "rejected"));
}

#[test]
fn the_buyer_may_cancel_until_shipped() {
    let f = Fixture::new();
    let mut order = given::<Order>(&[f.placed(), f.authorized(), f.reserved(), f.paid()]);
    assert_eq!(
        order.and(f.buyer_cancels()),
        vec![OrderEvent::Cancelled(OrderCancelled {
            order_id: f.order,
            reason: "buyer_cancelled".into(),
            cancelled_by: Some(f.buyer),
            previous_status: OrderStatus::Paid,
            payment_id: f.payment,
        })]
    );
    given::<Order>(&[
        f.placed(),
        f.authorized(),
        f.reserved(),
        f.paid(),
        f.shipped(),
    ])
    .when(f.buyer_cancels())
    .then_rejects(OrderError::AlreadyShipped);
    // Cancelling twice is a no-op, so a retried request succeeds.
    order.when(f.buyer_cancels()).then_nothing();
}

#[test]
fn only_the_buyer_cancels_and_strangers_see_no_order() {
    let f = Fixture::new();
    let placed = given::<Order>(&[f.placed()]);
    let by_seller = OrderCommand::Cancel {
        reason: "buyer_cancelled".into(),
        by: CancelledBy::Buyer(f.seller),
    };
    assert!(matches!(
        placed.when(by_seller).error(),
        OrderError::Forbidden(_)
    ));
    let by_stranger = OrderCommand::Cancel {
        reason: "buyer_cancelled".into(),
        by: CancelledBy::Buyer(UserId::new()),
    };
    placed.when(by_stranger).then_rejects(OrderError::NotFound);
    given::<Order>(&[])
        .when(f.buyer_cancels())
        .then_rejects(OrderError::NotFound);
}

#[test]
fn the_platform_cancels_only_unpaid_orders() {
    let f = Fixture::new();
    given::<Order>(&[f.placed(), f.authorized(), f.reserved()])
        .when(Fixture::platform_cancels("payment_timeout"))
        .then([OrderEvent::Cancelled(OrderCancelled {
            order_id: f.order,
            reason: "payment_timeout".into(),
            cancelled_by: None,
            previous_status: OrderStatus::StockReserved,
            payment_id: f.payment,
        })]);
    // An expiry that lost the race to the payment changes nothing.
    given::<Order>(&[f.placed(), f.authorized(), f.reserved(), f.paid()])
        .when(Fixture::platform_cancels("reservation_expired"))
        .then_rejects(OrderError::InvalidTransition("paid", "cancelled"));
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
    given::<Order>(&[f.placed(), f.authorized(), f.reserved(), cancelled])
        .when(f.mark_paid())
        .then_rejects(OrderError::InvalidTransition("cancelled", "paid"));
    given::<Order>(&[f.placed(), f.authorized()])
        .when(f.mark_paid())
        .then_rejects(OrderError::InvalidTransition("payment_authorized", "paid"));
}

#[test]
fn only_a_seller_ships_and_delivers_and_only_in_order() {
    let f = Fixture::new();
    let paid = given::<Order>(&[f.placed(), f.authorized(), f.reserved(), f.paid()]);
    assert!(matches!(
        paid.when(f.ship(f.buyer)).error(),
        OrderError::Forbidden(_)
    ));
    paid.when(f.ship(UserId::new()))
        .then_rejects(OrderError::NotFound);
    given::<Order>(&[f.placed(), f.authorized(), f.reserved()])
        .when(f.ship(f.seller))
        .then_rejects(OrderError::InvalidTransition("stock_reserved", "shipped"));
    paid.when(OrderCommand::Deliver { actor: f.seller })
        .then_rejects(OrderError::InvalidTransition("paid", "delivered"));
    given::<Order>(&[
        f.placed(),
        f.authorized(),
        f.reserved(),
        f.paid(),
        f.shipped(),
    ])
    .when(f.ship(f.seller))
    .then_nothing();
}
