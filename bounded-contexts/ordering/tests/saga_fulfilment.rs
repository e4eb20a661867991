//! The order saga after payment, pure: a delivered fulfilment credits its seller, cancelled
//! lines give their stock and money back, a received return restocks, refunds and debits.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{TimeZone, Utc};
use event_schemas::inventory::SkuQuantity;
use event_schemas::ordering::{
    FulfilmentDelivered, FulfilmentShipped, OrderEvent, OrderLinesCancelled, OrderStatus, ReturnId,
    ReturnReceived,
};
use ordering::application::OrderSaga;
use projections::saga::{Dispatch, ProcessManager, Reaction};
use serde_json::json;
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::{
    Currency, Cursor, DomainEvent, EventMetadata, Money, Recorded, StreamId, Timestamp,
};
use uuid::Uuid;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn at() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn recorded(order: OrderId, event: &OrderEvent) -> Recorded {
    Recorded {
        event_id: Uuid::now_v7(),
        stream_id: StreamId::of("order", order),
        stream_version: 5,
        position: 5,
        cursor: Cursor::new(0, 5),
        event_type: event.event_type().to_owned(),
        schema_version: event.schema_version(),
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: at(),
    }
}

fn dispatch(context: &str, name: &str, payload: serde_json::Value) -> Dispatch {
    Dispatch {
        context: context.into(),
        name: name.into(),
        payload,
    }
}

#[test]
fn a_delivered_fulfilment_credits_its_seller_with_the_lines_gross() {
    let (order, seller) = (OrderId::new(), UserId::new());
    let delivered = OrderEvent::FulfilmentDelivered(FulfilmentDelivered {
        order_id: order,
        seller_id: seller,
        skus: vec!["BOARD".into()],
        gross: eur(2000),
        delivered_at: at(),
        order_status: OrderStatus::PartiallyShipped,
    });
    assert_eq!(
        OrderSaga::default().react(&recorded(order, &delivered)),
        Reaction {
            send: vec![dispatch(
                "payments",
                "credit_seller",
                json!({
                    "seller_id": seller,
                    "order_id": order,
                    "entry": format!("delivered:{order}"),
                    "gross": eur(2000),
                })
            )],
            ..Reaction::default()
        }
    );
    // Shipping alone moves no money.
    let shipped = OrderEvent::FulfilmentShipped(FulfilmentShipped {
        order_id: order,
        seller_id: seller,
        carrier: "DHL".into(),
        tracking_number: "1".into(),
        skus: vec!["BOARD".into()],
        order_status: OrderStatus::Shipped,
    });
    assert_eq!(
        OrderSaga::default().react(&recorded(order, &shipped)),
        Reaction::default()
    );
}

#[test]
fn cancelled_lines_give_back_their_stock_and_exactly_their_amount() {
    let (order, payment) = (OrderId::new(), PaymentId::new());
    let lines = vec![SkuQuantity {
        sku: "CLOCK".into(),
        quantity: 2,
    }];
    let cancelled = OrderEvent::LinesCancelled(OrderLinesCancelled {
        order_id: order,
        skus: vec!["CLOCK".into()],
        lines: lines.clone(),
        amount: eur(7000),
        reason: "buyer_cancelled".into(),
        cancelled_by: UserId::new(),
        payment_id: payment,
        order_status: OrderStatus::PartiallyShipped,
    });
    assert_eq!(
        OrderSaga::default()
            .react(&recorded(order, &cancelled))
            .send,
        vec![
            dispatch(
                "inventory",
                "release_stock_lines",
                json!({ "order_id": order, "lines": lines, "reason": "buyer_cancelled" })
            ),
            dispatch(
                "payments",
                "refund_payment",
                json!({ "payment_id": payment, "amount": eur(7000), "reason": "buyer_cancelled" })
            ),
        ]
    );
}

#[test]
fn a_received_return_restocks_refunds_and_debits_the_seller() {
    let (order, payment, seller) = (OrderId::new(), PaymentId::new(), UserId::new());
    let return_id = ReturnId::new();
    let lines = vec![SkuQuantity {
        sku: "BOARD".into(),
        quantity: 1,
    }];
    let received = OrderEvent::ReturnReceived(ReturnReceived {
        order_id: order,
        return_id,
        seller_id: seller,
        skus: vec!["BOARD".into()],
        lines: lines.clone(),
        amount: eur(2000),
        payment_id: payment,
        order_status: OrderStatus::Delivered,
    });
    assert_eq!(
        OrderSaga::default().react(&recorded(order, &received)).send,
        vec![
            dispatch(
                "inventory",
                "release_stock_lines",
                json!({ "order_id": order, "lines": lines, "reason": "return" })
            ),
            dispatch(
                "payments",
                "refund_payment",
                json!({
                    "payment_id": payment,
                    "amount": eur(2000),
                    "reason": format!("return:{return_id}"),
                })
            ),
            dispatch(
                "payments",
                "debit_seller",
                json!({
                    "seller_id": seller,
                    "order_id": order,
                    "entry": format!("returned:{order}:{return_id}"),
                    "gross": eur(2000),
                })
            ),
        ]
    );
}
