//! `ReservationExpiry`: a confirmed reservation that is neither committed nor released by its
//! `expires_at` is given back by a durable timer.
//!
//! | event | reaction |
//! |---|---|
//! | ReservationConfirmed | set timer `reservation-expiry:<order_id>` at `expires_at` |
//! | ReservationCommitted, ReservationReleased | cancel the timer |
//! | timer | send inventory `expire_reservation {order_id}` (no effect once committed or released) |

use event_schemas::inventory::ReservationEvent;
use projections::Interest;
use projections::saga::{Dispatch, ProcessManager, Reaction, SetTimer};
use shared_kernel::ids::OrderId;
use shared_kernel::{Aggregate, DomainEvent, Recorded};

use crate::CONTEXT;
use crate::domain::Reservation;

/// The process manager's name: its checkpoint and timer namespace.
pub const RESERVATION_EXPIRY: &str = "inventory.reservation_expiry";
/// The command the timer sends.
pub const EXPIRE_RESERVATION: &str = "expire_reservation";
const TIMER_PREFIX: &str = "reservation-expiry:";

#[must_use]
pub fn expiry_timer_key(order_id: OrderId) -> String {
    format!("{TIMER_PREFIX}{order_id}")
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ReservationExpiry;

impl ProcessManager for ReservationExpiry {
    fn name(&self) -> &'static str {
        RESERVATION_EXPIRY
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::inventory::RESERVATION_EVENTS)
    }

    fn react(&self, event: &Recorded) -> Reaction {
        if event.stream_id.kind() != Reservation::KIND {
            return Reaction::default();
        }
        let event = match ReservationEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        ) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(error = %e, "reservation event not understood; ignored");
                return Reaction::default();
            }
        };
        match event {
            ReservationEvent::Confirmed(c) => Reaction {
                set_timers: vec![SetTimer {
                    key: expiry_timer_key(c.order_id),
                    due_at: c.expires_at,
                    from_reaction: false, // the reservation's own expiry
                    payload: serde_json::json!({ "order_id": c.order_id }),
                }],
                ..Reaction::default()
            },
            ReservationEvent::Committed(c) => Reaction {
                cancel_timers: vec![expiry_timer_key(c.order_id)],
                ..Reaction::default()
            },
            ReservationEvent::Released(r) => Reaction {
                cancel_timers: vec![expiry_timer_key(r.order_id)],
                ..Reaction::default()
            },
            // Part given back: the rest may still expire (and expiring nothing is a no-op).
            ReservationEvent::Failed(_)
            | ReservationEvent::Expired(_)
            | ReservationEvent::LinesReleased(_) => Reaction::default(),
        }
    }

    fn on_timer(&self, key: &str, payload: &serde_json::Value) -> Vec<Dispatch> {
        // The key names the order too: a payload that lost its id still expires the right one.
        let order_id = payload["order_id"]
            .as_str()
            .or_else(|| key.strip_prefix(TIMER_PREFIX))
            .and_then(|id| id.parse::<OrderId>().ok());
        let Some(order_id) = order_id else {
            tracing::warn!(%key, "expiry timer without an order id; ignored");
            return vec![];
        };
        vec![Dispatch {
            context: CONTEXT.to_owned(),
            name: EXPIRE_RESERVATION.to_owned(),
            payload: serde_json::json!({ "order_id": order_id }),
        }]
    }
}
