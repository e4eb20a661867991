//! The order saga, pure: given an event (or a timer), the commands it sends and the timers it
//! sets or cancels (commerce-design.md's table, row by row).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::time::Duration;

use chrono::{TimeZone, Utc};
use event_schemas::inventory::{
    ReservationConfirmed, ReservationEvent, ReservationExpired, ReservationFailed,
    ReservationReleased, SkuQuantity,
};
use event_schemas::ordering::{
    OrderCancelled, OrderEvent, OrderLine, OrderPaid, OrderPaymentAuthorized, OrderPlaced,
    OrderRejected, OrderStatus, OrderStockReserved, PaymentInstruction, ShippingAddress,
};
use event_schemas::payments::{
    PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentEvent, PaymentMethod,
};
use ordering::OrderingConfig;
use ordering::application::OrderSaga;
use ordering::application::saga::payment_timeout_key;
use projections::saga::{Dispatch, ProcessManager, Reaction, SetTimer};
use serde_json::json;
use shared_kernel::ids::{OrderId, PaymentId, ProductId, UserId};
use shared_kernel::{
    Currency, Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId, Timestamp,
};
use uuid::Uuid;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap()
}

fn saga() -> OrderSaga {
    OrderSaga::new(OrderingConfig {
        payment_timeout: Duration::from_secs(30),
        reservation_ttl: Duration::from_secs(900),
        ..OrderingConfig::default()
    })
}

fn recorded(stream: StreamId, event: &impl DomainEvent) -> Recorded {
    Recorded {
        event_id: Uuid::now_v7(),
        stream_id: stream,
        stream_version: 1,
        position: 1,
        cursor: Cursor::new(0, 1),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: at(),
    }
}

struct Fixture {
    order: OrderId,
    buyer: UserId,
    payment: PaymentId,
}

impl Fixture {
    fn new() -> Self {
        Self {
            order: OrderId::new(),
            buyer: UserId::new(),
            payment: PaymentId::new(),
        }
    }

    fn order_event(&self, e: &OrderEvent) -> Recorded {
        recorded(StreamId::of("order", self.order), e)
    }

    fn reservation_event(&self, e: &ReservationEvent) -> Recorded {
        recorded(StreamId::of("reservation", self.order), e)
    }

    fn payment_event(&self, e: &PaymentEvent) -> Recorded {
        recorded(StreamId::of("payment", self.payment), e)
    }

    fn cancelled(&self, previous: OrderStatus, reason: &str) -> Recorded {
        self.order_event(&OrderEvent::Cancelled(OrderCancelled {
            order_id: self.order,
            reason: reason.into(),
            cancelled_by: None,
            previous_status: previous,
            payment_id: self.payment,
        }))
    }
}

fn line(sku: &str, quantity: i64) -> OrderLine {
    OrderLine {
        product_id: ProductId::new(),
        sku: sku.into(),
        seller_id: UserId::new(),
        title: "Thing".into(),
        quantity,
        unit_price: eur(100),
        line_total: eur(100 * quantity),
    }
}

fn dispatch(context: &str, name: &str, payload: serde_json::Value) -> Dispatch {
    Dispatch {
        context: context.into(),
        name: name.into(),
        payload,
    }
}

fn sends(send: Vec<Dispatch>) -> Reaction {
    Reaction {
        send,
        ..Reaction::default()
    }
}

fn placed(f: &Fixture, token: &str) -> OrderEvent {
    OrderEvent::Placed(OrderPlaced {
        order_id: f.order,
        buyer_id: f.buyer,
        lines: vec![line("B-1", 2), line("A-1", 1), line("C-1", 3)],
        total: eur(600),
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
            token: Some(token.into()),
        },
        payment_id: f.payment,
    })
}

#[test]
fn a_placed_order_asks_for_its_payment_first_and_starts_the_deadline() {
    let f = Fixture::new();
    // The deadline is set with the authorisation: the runtime records it before it waits on
    // a slow provider (see the saga's docs for why).
    assert_eq!(
        saga().react(&f.order_event(&placed(&f, "tok_slow"))),
        Reaction {
            send: vec![dispatch(
                "payments",
                "authorize_payment",
                json!({
                    "payment_id": f.payment,
                    "order_id": f.order,
                    "payer_id": f.buyer,
                    "amount": eur(600),
                    "method": "card",
                    "token": "tok_slow",
                })
            )],
            set_timers: vec![SetTimer {
                key: format!("payment-timeout:{}", f.order),
                due_at: at() + chrono::Duration::seconds(30),
                from_reaction: true,
                payload: json!({ "order_id": f.order }),
            }],
            cancel_timers: vec![],
        }
    );
}

#[test]
fn an_authorised_payment_reserves_the_stock_until_the_ttl() {
    let f = Fixture::new();
    let lines = vec![
        SkuQuantity {
            sku: "A-1".into(),
            quantity: 1,
        },
        SkuQuantity {
            sku: "B-1".into(),
            quantity: 5,
        },
    ];
    let authorized = OrderEvent::PaymentAuthorized(OrderPaymentAuthorized {
        order_id: f.order,
        payment_id: f.payment,
        amount: eur(600),
        lines: lines.clone(),
    });
    assert_eq!(
        saga().react(&f.order_event(&authorized)),
        sends(vec![dispatch(
            "inventory",
            "reserve_stock",
            json!({
                "order_id": f.order,
                "lines": lines,
                "expires_at": at() + chrono::Duration::seconds(900),
            })
        )])
    );
}

#[test]
fn reservation_outcomes_move_the_order() {
    let f = Fixture::new();
    let confirmed = ReservationEvent::Confirmed(ReservationConfirmed {
        order_id: f.order,
        lines: vec![],
        expires_at: at(),
    });
    assert_eq!(
        saga().react(&f.reservation_event(&confirmed)),
        sends(vec![dispatch(
            "ordering",
            "mark_stock_reserved",
            json!({ "order_id": f.order })
        )])
    );
    let failed = ReservationEvent::Failed(ReservationFailed {
        order_id: f.order,
        reason: "out_of_stock".into(),
        sku: "A-1".into(),
        requested: 3,
        available: 1,
    });
    assert_eq!(
        saga().react(&f.reservation_event(&failed)),
        sends(vec![dispatch(
            "ordering",
            "reject_order",
            json!({ "order_id": f.order, "reason": "out_of_stock" })
        )])
    );
    let expired = ReservationEvent::Expired(ReservationExpired { order_id: f.order });
    assert_eq!(
        saga().react(&f.reservation_event(&expired)),
        sends(vec![dispatch(
            "ordering",
            "cancel_order",
            json!({ "order_id": f.order, "reason": "reservation_expired", "by": null })
        )])
    );
    let released = ReservationEvent::Released(ReservationReleased {
        order_id: f.order,
        reason: "x".into(),
        returned: false,
    });
    assert_eq!(
        saga().react(&f.reservation_event(&released)),
        Reaction::default()
    );
}

#[test]
fn reserved_stock_captures_the_payment() {
    let f = Fixture::new();
    let reserved = OrderEvent::StockReserved(OrderStockReserved {
        order_id: f.order,
        buyer_id: f.buyer,
        total: eur(600),
        payment: PaymentInstruction {
            method: PaymentMethod::Card,
            token: Some("tok_ok".into()),
        },
        payment_id: f.payment,
    });
    assert_eq!(
        saga().react(&f.order_event(&reserved)),
        sends(vec![dispatch(
            "payments",
            "capture_payment",
            json!({ "payment_id": f.payment })
        )])
    );
}

#[test]
fn payment_outcomes_move_the_order_and_stop_the_deadline() {
    let f = Fixture::new();
    let authorized = PaymentEvent::Authorized(PaymentAuthorized {
        payment_id: f.payment,
        order_id: f.order,
        payer_id: f.buyer,
        amount: eur(600),
        method: PaymentMethod::Card,
        provider_reference: "auth_1".into(),
    });
    assert_eq!(
        saga().react(&f.payment_event(&authorized)),
        sends(vec![dispatch(
            "ordering",
            "mark_payment_authorized",
            json!({ "order_id": f.order, "payment_id": f.payment, "amount": eur(600) })
        )])
    );
    let captured = PaymentEvent::Captured(PaymentCaptured {
        payment_id: f.payment,
        order_id: f.order,
        amount: eur(600),
    });
    assert_eq!(
        saga().react(&f.payment_event(&captured)),
        Reaction {
            send: vec![dispatch(
                "ordering",
                "mark_paid",
                json!({ "order_id": f.order, "payment_id": f.payment, "amount": eur(600) })
            )],
            set_timers: vec![],
            cancel_timers: vec![payment_timeout_key(f.order)],
        }
    );
    let declined = PaymentEvent::Declined(PaymentDeclined {
        payment_id: f.payment,
        order_id: f.order,
        payer_id: f.buyer,
        amount: eur(600),
        method: PaymentMethod::Card,
        reason: "card_declined".into(),
    });
    assert_eq!(
        saga().react(&f.payment_event(&declined)),
        Reaction {
            send: vec![dispatch(
                "ordering",
                "reject_order",
                json!({ "order_id": f.order, "reason": "payment_declined" })
            )],
            set_timers: vec![],
            cancel_timers: vec![payment_timeout_key(f.order)],
        }
    );
}

#[test]
fn a_paid_order_commits_and_a_rejected_one_releases_its_stock() {
    let f = Fixture::new();
    let paid = OrderEvent::Paid(OrderPaid {
        order_id: f.order,
        payment_id: f.payment,
        amount: eur(600),
    });
    assert_eq!(
        saga().react(&f.order_event(&paid)),
        sends(vec![dispatch(
            "inventory",
            "commit_stock",
            json!({ "order_id": f.order })
        )])
    );
    // Declined: no stock was ever held, nothing was authorised.
    let declined = OrderEvent::Rejected(OrderRejected {
        order_id: f.order,
        reason: "payment_declined".into(),
        previous_status: OrderStatus::Pending,
        payment_id: f.payment,
    });
    assert_eq!(
        saga().react(&f.order_event(&declined)),
        Reaction {
            send: vec![dispatch(
                "inventory",
                "release_stock",
                json!({ "order_id": f.order, "reason": "payment_declined" })
            )],
            set_timers: vec![],
            cancel_timers: vec![payment_timeout_key(f.order)],
        }
    );
    // Out of stock after the authorisation: the held money is let go.
    let no_stock = OrderEvent::Rejected(OrderRejected {
        order_id: f.order,
        reason: "out_of_stock".into(),
        previous_status: OrderStatus::PaymentAuthorized,
        payment_id: f.payment,
    });
    assert_eq!(
        saga().react(&f.order_event(&no_stock)),
        Reaction {
            send: vec![
                dispatch(
                    "inventory",
                    "release_stock",
                    json!({ "order_id": f.order, "reason": "out_of_stock" })
                ),
                dispatch(
                    "payments",
                    "void_payment",
                    json!({ "payment_id": f.payment, "reason": "out_of_stock" })
                ),
            ],
            set_timers: vec![],
            cancel_timers: vec![payment_timeout_key(f.order)],
        }
    );
}

#[test]
fn a_cancelled_order_is_compensated_by_how_far_it_got() {
    let f = Fixture::new();
    let release = |reason: &str| {
        dispatch(
            "inventory",
            "release_stock",
            json!({ "order_id": f.order, "reason": reason }),
        )
    };
    let refund = |reason: &str| {
        dispatch(
            "payments",
            "refund_payment",
            json!({ "payment_id": f.payment, "amount": null, "reason": reason }),
        )
    };
    let stop = vec![payment_timeout_key(f.order)];

    let void = |reason: &str| {
        dispatch(
            "payments",
            "void_payment",
            json!({ "payment_id": f.payment, "reason": reason }),
        )
    };
    // The authorisation may still be at the provider: the void prevents it.
    let pending = saga().react(&f.cancelled(OrderStatus::Pending, "payment_timeout"));
    assert_eq!(
        pending.send,
        vec![release("payment_timeout"), void("payment_timeout")]
    );
    assert_eq!(pending.cancel_timers, stop);
    let authorised = saga().react(&f.cancelled(OrderStatus::PaymentAuthorized, "buyer_cancelled"));
    assert_eq!(
        authorised.send,
        vec![release("buyer_cancelled"), void("buyer_cancelled")]
    );

    let paid = saga().react(&f.cancelled(OrderStatus::Paid, "buyer_cancelled"));
    assert_eq!(
        paid.send,
        vec![release("buyer_cancelled"), refund("buyer_cancelled")]
    );

    let unpaid = saga().react(&f.cancelled(OrderStatus::StockReserved, "payment_timeout"));
    assert_eq!(
        unpaid.send,
        vec![
            release("payment_timeout"),
            void("payment_timeout"),
            refund("payment_timeout"),
        ]
    );
    assert_eq!(unpaid.cancel_timers, stop);
}

#[test]
fn the_payment_deadline_cancels_the_order() {
    let f = Fixture::new();
    let key = payment_timeout_key(f.order);
    assert_eq!(
        saga().on_timer(&key, &json!({ "order_id": f.order })),
        vec![dispatch(
            "ordering",
            "cancel_order",
            json!({ "order_id": f.order, "reason": "payment_timeout", "by": null })
        )]
    );
    assert!(saga().on_timer("something-else:1", &json!({})).is_empty());
}

#[test]
fn events_of_other_streams_and_undecodable_ones_are_ignored() {
    let f = Fixture::new();
    let mut garbage = f.order_event(&OrderEvent::Paid(OrderPaid {
        order_id: f.order,
        payment_id: f.payment,
        amount: eur(1),
    }));
    garbage.data = json!({ "nonsense": true });
    assert_eq!(saga().react(&garbage), Reaction::default());
    let mut foreign = garbage.clone();
    foreign.stream_id = StreamId::of("product", Uuid::now_v7());
    assert_eq!(saga().react(&foreign), Reaction::default());
}
