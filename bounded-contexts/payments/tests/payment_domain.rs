//! Given events, when a command, then events or an error: the Payment aggregate, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Utc;
use event_schemas::payments::commands::AuthorizePayment;
use event_schemas::payments::{
    PaymentAuthorized, PaymentCaptured, PaymentDeclined, PaymentEvent, PaymentMethod,
    PaymentRefunded, PaymentVoided,
};
use payments::domain::{Payment, PaymentCommand, PaymentError, PaymentStatus};
use shared_kernel::ids::{OrderId, PaymentId, UserId};
use shared_kernel::payments::Authorization;
use shared_kernel::{Aggregate, Currency, Money};

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

fn when(
    given: &[PaymentEvent],
    command: PaymentCommand,
) -> Result<Vec<PaymentEvent>, PaymentError> {
    Payment::replay(given).decide(command, Utc::now())
}

#[test]
fn an_authorization_is_recorded_with_the_providers_reference() {
    let ids = ids();
    let events = when(&[], record(&ids, ok("sim_auth_1"))).unwrap();
    assert_eq!(events, vec![authorized(&ids)]);
    let payment = Payment::replay(&events);
    assert_eq!(payment.status, PaymentStatus::Authorized);
    assert_eq!(payment.provider_reference.as_deref(), Some("sim_auth_1"));
}

#[test]
fn a_decline_is_recorded_with_its_reason() {
    let ids = ids();
    let outcome = Authorization::Declined {
        reason: "card_declined".into(),
    };
    let events = when(&[], record(&ids, outcome)).unwrap();
    assert!(
        matches!(&events[..], [PaymentEvent::Declined(d)] if d.reason == "card_declined" && d.order_id == ids.order)
    );
    assert_eq!(Payment::replay(&events).status, PaymentStatus::Declined);
}

#[test]
fn a_repeated_authorization_with_the_same_answer_changes_nothing() {
    let ids = ids();
    assert_eq!(
        when(&[authorized(&ids)], record(&ids, ok("sim_auth_1"))),
        Ok(vec![])
    );
    assert_eq!(
        when(&[authorized(&ids)], record(&ids, ok("sim_auth_2"))),
        Err(PaymentError::AlreadyDecided("authorized"))
    );
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
    assert!(matches!(when(&[], command), Err(PaymentError::Invalid(_))));
}

#[test]
fn capture_only_after_authorization() {
    let ids = ids();
    assert_eq!(
        when(&[], PaymentCommand::Capture),
        Err(PaymentError::NotFound)
    );
    let declined = when(
        &[],
        record(
            &ids,
            Authorization::Declined {
                reason: "card_declined".into(),
            },
        ),
    )
    .unwrap();
    assert_eq!(
        when(&declined, PaymentCommand::Capture),
        Err(PaymentError::InvalidTransition("declined", "captured"))
    );
    assert_eq!(
        when(&[authorized(&ids)], PaymentCommand::Capture),
        Ok(vec![captured(&ids)])
    );
    // A redelivered capture is a no-op.
    assert_eq!(
        when(&[authorized(&ids), captured(&ids)], PaymentCommand::Capture),
        Ok(vec![])
    );
}

#[test]
fn a_voided_payment_cannot_be_captured() {
    let ids = ids();
    let voided = PaymentEvent::Voided(PaymentVoided {
        payment_id: ids.payment,
        order_id: ids.order,
        reason: "order_cancelled".into(),
    });
    assert_eq!(
        when(&[authorized(&ids)], void(&ids, None)),
        Ok(vec![voided.clone()])
    );
    assert_eq!(
        when(&[authorized(&ids), voided.clone()], PaymentCommand::Capture),
        Err(PaymentError::InvalidTransition("voided", "captured"))
    );
    assert_eq!(
        when(&[authorized(&ids), voided], void(&ids, None)),
        Ok(vec![])
    );
}

#[test]
fn void_after_capture_is_refused() {
    let ids = ids();
    assert_eq!(
        when(&[authorized(&ids), captured(&ids)], void(&ids, None)),
        Err(PaymentError::InvalidTransition("captured", "voided"))
    );
}

#[test]
fn void_before_authorization_declines_and_a_late_authorization_is_refused() {
    let ids = ids();
    let events = when(&[], void(&ids, Some(request(&ids)))).unwrap();
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
    let payment = Payment::replay(&events);
    assert!(payment.was_cancelled());
    assert_eq!(
        when(&events, record(&ids, ok("sim_auth_1"))),
        Err(PaymentError::Cancelled)
    );
}

#[test]
fn void_before_an_unknown_authorization_still_declines_the_payment() {
    let ids = ids();
    let events = when(&[], void(&ids, None)).unwrap();
    assert!(
        matches!(&events[..], [PaymentEvent::Declined(d)] if d.payment_id == ids.payment && d.reason == "cancelled")
    );
}

#[test]
fn partial_refunds_add_up_to_at_most_the_captured_amount() {
    let ids = ids();
    let given = [authorized(&ids), captured(&ids)];
    assert_eq!(
        when(&given, refund(Some(2000))),
        Ok(vec![refunded(&ids, 2000, 2000)])
    );
    let given = [authorized(&ids), captured(&ids), refunded(&ids, 2000, 2000)];
    assert_eq!(
        Payment::replay(&given).status,
        PaymentStatus::PartiallyRefunded
    );
    assert_eq!(
        when(&given, refund(Some(3001))),
        Err(PaymentError::RefundExceedsCaptured {
            requested: eur(3001),
            refundable: eur(3000),
        })
    );
    // No amount: everything left.
    assert_eq!(
        when(&given, refund(None)),
        Ok(vec![refunded(&ids, 3000, 5000)])
    );
    let given = [
        authorized(&ids),
        captured(&ids),
        refunded(&ids, 2000, 2000),
        refunded(&ids, 3000, 5000),
    ];
    assert_eq!(Payment::replay(&given).status, PaymentStatus::Refunded);
    assert_eq!(when(&given, refund(None)), Ok(vec![]));
    assert!(matches!(
        when(&given, refund(Some(1))),
        Err(PaymentError::RefundExceedsCaptured { .. })
    ));
}

#[test]
fn refunds_need_a_capture_a_positive_amount_and_the_same_currency() {
    let ids = ids();
    assert_eq!(when(&[], refund(None)), Err(PaymentError::NotFound));
    assert_eq!(
        when(&[authorized(&ids)], refund(None)),
        Err(PaymentError::InvalidTransition("authorized", "refunded"))
    );
    let given = [authorized(&ids), captured(&ids)];
    assert!(matches!(
        when(&given, refund(Some(0))),
        Err(PaymentError::Invalid(_))
    ));
    let usd = PaymentCommand::Refund {
        amount: Some(Money::new(100, Currency::USD)),
        reason: "test".into(),
    };
    assert!(matches!(when(&given, usd), Err(PaymentError::Invalid(_))));
}
