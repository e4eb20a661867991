//! Given events, when a command, then events or an error: the Payment aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use event_schemas::payments::commands::AuthorizePayment;
use event_schemas::payments::{
    PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentEvent, PaymentMethod,
    PaymentRefunded, PaymentVoided,
};
use payments::domain::{Payment, PaymentCommand, PaymentError, PaymentStatus};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::payments::Authorization;
use shared_kernel::testing::given;
use shared_kernel::{Currency, Money};

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

struct Ids {
    payment: PaymentId,
    order: OrderId,
    payer: UserId,
}

fn ids() -> Ids {
    Ids {
        payment: PaymentId::new(),
        order: OrderId::new(),
        payer: UserId::new(),
    }
}

fn request(ids: &Ids) -> AuthorizePayment {
    AuthorizePayment {
        payment_id: ids.payment,
        order_id: ids.order,
        payer_id: ids.payer,
        amount: eur(5000),
        method: PaymentMethod::Card,
        token: Some("tok_ok".into()),
    }
}

fn authorized(ids: &Ids) -> PaymentEvent {
    PaymentEvent::Authorized(PaymentAuthorized {
        payment_id: ids.payment,
        order_id: ids.order,
        payer_id: ids.payer,
        amount: eur(5000),
        method: PaymentMethod::Card,
        provider_reference: "sim_auth_1".into(),
    })
}

fn captured(ids: &Ids) -> PaymentEvent {
    PaymentEvent::Captured(PaymentCaptured {
        payment_id: ids.payment,
        order_id: ids.order,
        amount: eur(5000),
    })
}

fn refunded(ids: &Ids, amount: i64, total: i64) -> PaymentEvent {
    PaymentEvent::Refunded(PaymentRefunded {
        payment_id: ids.payment,
        order_id: ids.order,
        amount: eur(amount),
        refunded_total: eur(total),
        reason: "test".into(),
    })
}

fn record(ids: &Ids, outcome: Authorization) -> PaymentCommand {
    PaymentCommand::RecordAuthorization {
        request: request(ids),
        outcome,
    }
}

fn ok(reference: &str) -> Authorization {
    Authorization::Authorized {
        reference: reference.into(),
    }
}

fn void(ids: &Ids, under_way: Option<AuthorizePayment>) -> PaymentCommand {
    PaymentCommand::Void {
        payment_id: ids.payment,
        reason: "order_cancelled".into(),
        request: under_way,
    }
}

fn refund(amount: Option<i64>) -> PaymentCommand {
    PaymentCommand::Refund {
        amount: amount.map(eur),
        reason: "test".into(),
    }
}

#[test]
fn an_authorization_is_recorded_with_the_providers_reference() {
    let ids = ids();
    let payment = given::<Payment>(&[])
        .when(record(&ids, ok("sim_auth_1")))
        .then([authorized(&ids)]);
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.provider_reference.as_deref(), Some("sim_auth_1"));
}

#[test]
fn a_decline_is_recorded_with_its_reason() {
    let ids = ids();
    let outcome = Authorization::Declined {
        reason: "card_declined".into(),
    };
    let declined = given::<Payment>(&[]).when(record(&ids, outcome));
    assert!(
        matches!(declined.events(), [PaymentEvent::Declined(d)] if d.reason == "card_declined" && d.order_id == ids.order)
    );
    assert_eq!(declined.state().status, PaymentStatus::Declined);
}

#[test]
fn a_repeated_authorization_with_the_same_answer_changes_nothing() {
    let ids = ids();
    let authorized = given::<Payment>(&[authorized(&ids)]);
    authorized
        .when(record(&ids, ok("sim_auth_1")))
        .then_nothing();
    authorized
        .when(record(&ids, ok("sim_auth_2")))
        .then_rejects(PaymentError::AlreadyDecided("authorized"));
}

#[test]
fn a_zero_amount_is_refused_before_anything_is_held() {
    let ids = ids();
    let mut req = request(&ids);
    req.amount = eur(0);
    let command = PaymentCommand::RecordAuthorization {
        request: req,
        outcome: ok("x"),
    };
    assert!(matches!(
        given::<Payment>(&[]).when(command).error(),
        PaymentError::Invalid(_)
    ));
}

#[test]
fn capture_only_after_authorization() {
    let ids = ids();
    given::<Payment>(&[])
        .when(PaymentCommand::Capture)
        .then_rejects(PaymentError::NotFound);
    let mut declined = given::<Payment>(&[]);
    declined.and(record(
        &ids,
        Authorization::Declined {
            reason: "card_declined".into(),
        },
    ));
    declined
        .when(PaymentCommand::Capture)
        .then_rejects(PaymentError::InvalidTransition("declined", "captured"));
    given::<Payment>(&[authorized(&ids)])
        .when(PaymentCommand::Capture)
        .then([captured(&ids)]);
    // A redelivered capture is a no-op.
    given::<Payment>(&[authorized(&ids), captured(&ids)])
        .when(PaymentCommand::Capture)
        .then_nothing();
}

#[test]
fn a_voided_payment_cannot_be_captured() {
    let ids = ids();
    let voided = PaymentEvent::Voided(PaymentVoided {
        payment_id: ids.payment,
        order_id: ids.order,
        reason: "order_cancelled".into(),
    });
    given::<Payment>(&[authorized(&ids)])
        .when(void(&ids, None))
        .then([voided.clone()]);
    let voided = given::<Payment>(&[authorized(&ids), voided]);
    voided
        .when(PaymentCommand::Capture)
        .then_rejects(PaymentError::InvalidTransition("voided", "captured"));
    voided.when(void(&ids, None)).then_nothing();
}

#[test]
fn void_after_capture_is_refused() {
    let ids = ids();
    given::<Payment>(&[authorized(&ids), captured(&ids)])
        .when(void(&ids, None))
        .then_rejects(PaymentError::InvalidTransition("captured", "voided"));
}

#[test]
fn void_before_authorization_declines_and_a_late_authorization_is_refused() {
    let ids = ids();
    let mut payment = given::<Payment>(&[]);
    let events = payment.and(void(&ids, Some(request(&ids))));
    let [
        PaymentEvent::Declined(PaymentDeclined {
            reason,
            order_id,
            payer_id,
            ..
        }),
    ] = &events[..]
    else {
        panic!("expected a decline, got {events:?}");
    };
    assert_eq!(
        (reason.as_str(), *order_id, *payer_id),
        ("cancelled", ids.order, ids.payer)
    );
    assert!(payment.state().was_cancelled());
    payment
        .when(record(&ids, ok("sim_auth_1")))
        .then_rejects(PaymentError::Cancelled);
}

#[test]
fn void_before_an_unknown_authorization_still_declines_the_payment() {
    let ids = ids();
    let voided = given::<Payment>(&[]).when(void(&ids, None));
    assert!(
        matches!(voided.events(), [PaymentEvent::Declined(d)] if d.payment_id == ids.payment && d.reason == "cancelled")
    );
}

#[test]
fn partial_refunds_add_up_to_at_most_the_captured_amount() {
    let ids = ids();
    let mut payment = given::<Payment>(&[authorized(&ids), captured(&ids)]);
    assert_eq!(
        payment.and(refund(Some(2000))),
        vec![refunded(&ids, 2000, 2000)]
    );
    assert_eq!(payment.state().status, PaymentStatus::PartiallyRefunded);
    payment
        .when(refund(Some(3001)))
        .then_rejects(PaymentError::RefundExceedsCaptured {
            requested: eur(3001),
            refundable: eur(3000),
        });
    // No amount: everything left.
    assert_eq!(payment.and(refund(None)), vec![refunded(&ids, 3000, 5000)]);
    assert_eq!(payment.state().status, PaymentStatus::Refunded);
    payment.when(refund(None)).then_nothing();
    assert!(matches!(
        payment.when(refund(Some(1))).error(),
        PaymentError::RefundExceedsCaptured { .. }
    ));
}

#[test]
fn refunds_need_a_capture_a_positive_amount_and_the_same_currency() {
    let ids = ids();
    given::<Payment>(&[])
        .when(refund(None))
        .then_rejects(PaymentError::NotFound);
    given::<Payment>(&[authorized(&ids)])
        .when(refund(None))
        .then_rejects(PaymentError::InvalidTransition("authorized", "refunded"));
    let captured = given::<Payment>(&[authorized(&ids), captured(&ids)]);
    assert!(matches!(
        captured.when(refund(Some(0))).error(),
        PaymentError::Invalid(_)
    ));
    let usd = PaymentCommand::Refund {
        amount: Some(Money::new(100, Currency::USD)),
        reason: "test".into(),
    };
    assert!(matches!(
        captured.when(usd).error(),
        PaymentError::Invalid(_)
    ));
}

#[test]
fn an_over_refund_names_its_amounts_as_money_and_in_minor_units() {
    use shared_kernel::Rejection as _;
    let error = PaymentError::RefundExceedsCaptured {
        requested: eur(99_999_999),
        refundable: eur(13_800),
    };
    assert_eq!(
        error.to_string(),
        "refund of 999999.99 EUR exceeds the 138.00 EUR still refundable"
    );
    assert_eq!(
        error.details(),
        Some(serde_json::json!({
            "requested": { "amount_minor": 99_999_999, "currency": "EUR" },
            "refundable": { "amount_minor": 13_800, "currency": "EUR" },
        }))
    );
    assert_eq!(PaymentError::Cancelled.details(), None);
}
