//! The Reservation aggregate and the ReservationExpiry process manager, pure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::{Duration, Utc};
use event_schemas::inventory::{
    RESERVATION_COMMITTED, RESERVATION_CONFIRMED, RESERVATION_FAILED, ReservationCommitted,
    ReservationConfirmed, ReservationEvent, ReservationExpired, ReservationFailed,
    ReservationReleased, SkuQuantity,
};
use inventory::application::{ReservationExpiry, expiry_timer_key};
use inventory::domain::{Reservation, ReservationCommand, ReservationError, ReservationStatus};
use projections::saga::ProcessManager;
use shared_kernel::ids::OrderId;
use shared_kernel::testing::{given, now};
use shared_kernel::{Cursor, EventMetadata, Recorded, StreamId, Timestamp};
use uuid::Uuid;

fn lines() -> Vec<SkuQuantity> {
    vec![
        SkuQuantity {
            sku: "A".into(),
            quantity: 1,
        },
        SkuQuantity {
            sku: "B".into(),
            quantity: 2,
        },
    ]
}

fn confirmed(order_id: OrderId, expires_at: Timestamp) -> ReservationEvent {
    ReservationEvent::Confirmed(ReservationConfirmed {
        order_id,
        lines: lines(),
        expires_at,
    })
}

#[test]
fn a_confirmed_reservation_can_be_committed_then_released_with_its_stock_returned() {
    let order = OrderId::new();
    let mut reservation = given::<Reservation>(&[confirmed(order, now())]);
    assert_eq!(
        reservation.and(ReservationCommand::Commit { order_id: order }),
        vec![ReservationEvent::Committed(ReservationCommitted {
            order_id: order
        })]
    );
    // Committing twice is a no-op.
    reservation
        .when(ReservationCommand::Commit { order_id: order })
        .then_nothing();
    let release = ReservationCommand::Release {
        order_id: order,
        reason: "order_cancelled".into(),
    };
    reservation
        .when(release)
        .then([ReservationEvent::Released(ReservationReleased {
            order_id: order,
            reason: "order_cancelled".into(),
            returned: true,
        })]);
}

#[test]
fn expiry_releases_only_a_reservation_still_waiting() {
    let order = OrderId::new();
    let expire = || ReservationCommand::Expire { order_id: order };
    let state = given::<Reservation>(&[confirmed(order, now())])
        .when(expire())
        .then([ReservationEvent::Expired(ReservationExpired {
            order_id: order,
        })]);
    assert_eq!(state.status, ReservationStatus::Expired);
    assert_eq!(state.release_reason.as_deref(), Some("reservation_expired"));

    // Paid in time: the timer has nothing to do.
    given::<Reservation>(&[
        confirmed(order, now()),
        ReservationEvent::Committed(ReservationCommitted { order_id: order }),
    ])
    .when(expire())
    .then_nothing();
    // Released, or never reserved: nothing either.
    given::<Reservation>(&[
        confirmed(order, now()),
        ReservationEvent::Released(ReservationReleased {
            order_id: order,
            reason: "order_cancelled".into(),
            returned: false,
        }),
    ])
    .when(expire())
    .then_nothing();
    given::<Reservation>(&[]).when(expire()).then_nothing();
}

#[test]
fn an_expired_or_failed_reservation_cannot_be_committed() {
    let order = OrderId::new();
    let commit = || ReservationCommand::Commit { order_id: order };
    given::<Reservation>(&[
        confirmed(order, now()),
        ReservationEvent::Expired(ReservationExpired { order_id: order }),
    ])
    .when(commit())
    .then_rejects(ReservationError::NotActive("expired"));
    given::<Reservation>(&[ReservationEvent::Failed(ReservationFailed {
        order_id: order,
        reason: "out_of_stock".into(),
        sku: "A".into(),
        requested: 3,
        available: 1,
    })])
    .when(commit())
    .then_rejects(ReservationError::NotActive("failed"));
    given::<Reservation>(&[])
        .when(commit())
        .then_rejects(ReservationError::NotFound);
}

#[test]
fn a_reservation_is_decided_once() {
    let order = OrderId::new();
    let at = now();
    let confirm = || ReservationCommand::Confirm {
        order_id: order,
        lines: lines(),
        expires_at: at,
    };
    let confirmed = given::<Reservation>(&[confirmed(order, at)]);
    confirmed.when(confirm()).then_nothing();
    let failed = ReservationFailed {
        order_id: order,
        reason: "out_of_stock".into(),
        sku: "A".into(),
        requested: 3,
        available: 1,
    };
    confirmed
        .when(ReservationCommand::Fail(failed.clone()))
        .then_rejects(ReservationError::NotActive("confirmed"));
    let failed = given::<Reservation>(&[ReservationEvent::Failed(failed)]);
    failed
        .when(confirm())
        .then_rejects(ReservationError::NotActive("failed"));
    // Releasing a failed reservation: nothing is held, nothing happens.
    let release = ReservationCommand::Release {
        order_id: order,
        reason: "order_rejected".into(),
    };
    failed.when(release).then_nothing();
}

fn recorded(event: &ReservationEvent, event_type: &str, order: OrderId) -> Recorded {
    use shared_kernel::DomainEvent;
    Recorded {
        event_id: Uuid::now_v7(),
        stream_id: StreamId::of("reservation", order),
        stream_version: 1,
        position: 1,
        cursor: Cursor::new(0, 1),
        event_type: event_type.into(),
        schema_version: 1,
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: Utc::now(),
    }
}

#[test]
fn the_expiry_saga_sets_a_timer_at_expiry_and_cancels_it_when_paid() {
    let order = OrderId::new();
    let expires_at = Utc::now() + Duration::minutes(15);
    let saga = ReservationExpiry;
    let reaction = saga.react(&recorded(
        &confirmed(order, expires_at),
        RESERVATION_CONFIRMED,
        order,
    ));
    assert_eq!(reaction.set_timers.len(), 1);
    assert_eq!(reaction.set_timers[0].key, expiry_timer_key(order));
    assert_eq!(reaction.set_timers[0].due_at, expires_at);
    assert!(reaction.send.is_empty());

    let committed = ReservationEvent::Committed(ReservationCommitted { order_id: order });
    let reaction = saga.react(&recorded(&committed, RESERVATION_COMMITTED, order));
    assert_eq!(reaction.cancel_timers, vec![expiry_timer_key(order)]);

    let failed = ReservationEvent::Failed(ReservationFailed {
        order_id: order,
        reason: "out_of_stock".into(),
        sku: "A".into(),
        requested: 1,
        available: 0,
    });
    assert_eq!(
        saga.react(&recorded(&failed, RESERVATION_FAILED, order)),
        projections::saga::Reaction::default()
    );

    let sent = saga.on_timer(
        &expiry_timer_key(order),
        &serde_json::json!({ "order_id": order }),
    );
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].context.as_str(), sent[0].name.as_str()),
        ("inventory", "expire_reservation")
    );
    assert_eq!(sent[0].payload, serde_json::json!({ "order_id": order }));
}
