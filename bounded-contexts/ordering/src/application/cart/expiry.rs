//! Abandoning idle carts: a stateless process manager over the cart events and the saga
//! runtime's durable timers (`saga_timers`; nothing is kept in memory).
//!
//! | event (the cart's number `v`) | reaction |
//! |---|---|
//! | line added, changed, removed; repriced | cancel `cart-expiry:<buyer>:<v-1>`; set `cart-expiry:<buyer>:<v>` due `recorded_at + cart_ttl` |
//! | checked out, abandoned | cancel `cart-expiry:<buyer>:<v-1>` |
//! | timer `cart-expiry:<buyer>:<v>` | ordering `abandon_cart {buyer_id, version: v}` |
//!
//! Why the event's number is in the key: the runtime sets a key once (setting it again is a
//! no-op), a cancelled key stays cancelled, and a fired key's command id is derived from the
//! key. Resetting the deadline on every event is therefore a new key per event, cancelling the
//! previous one. The cart itself abandons only if it is still at that version with lines in
//! it, so a timer that fires just as the buyer adds a line changes nothing.

use std::time::Duration;

use chrono::TimeDelta;
use event_schemas::cart::{CART_EVENTS, CartEvent};
use projections::Interest;
use projections::saga::{Dispatch, ProcessManager, Reaction, SetTimer};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, DomainEvent, Recorded, Timestamp};

use super::CartRequest;
use crate::CONTEXT;
use crate::application::OrderingCommand;
use crate::domain::Cart;

/// The process manager's name: its checkpoint (`saga.ordering.cart_expiry`) and its timers.
pub const CART_EXPIRY_SAGA: &str = "ordering.cart_expiry";
/// Prefix of the expiry timers' keys.
pub const CART_EXPIRY: &str = "cart-expiry:";

/// The key of the expiry timer set after the cart event number `version` of `buyer`'s cart.
#[must_use]
pub fn cart_expiry_key(buyer: UserId, version: u64) -> String {
    format!("{CART_EXPIRY}{buyer}:{version}")
}

/// Abandons a cart nobody touched for `ttl`.
#[derive(Debug, Clone)]
pub struct CartExpiry {
    ttl: Duration,
}

impl CartExpiry {
    /// Abandons carts idle for `ttl` (`--cart-ttl-secs`).
    #[must_use]
    pub const fn new(ttl: Duration) -> Self {
        Self { ttl }
    }

    fn due(&self, at: Timestamp) -> Timestamp {
        TimeDelta::from_std(self.ttl)
            .ok()
            .and_then(|d| at.checked_add_signed(d))
            .unwrap_or(Timestamp::MAX_UTC)
    }
}

impl ProcessManager for CartExpiry {
    fn name(&self) -> &'static str {
        CART_EXPIRY_SAGA
    }

    fn handles(&self) -> Interest {
        Interest::Types(CART_EVENTS)
    }

    fn react(&self, event: &Recorded) -> Reaction {
        if event.stream_id.kind() != Cart::KIND {
            return Reaction::default();
        }
        let cart = match CartEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        ) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(saga = CART_EXPIRY_SAGA, event_id = %event.event_id, error = %e, "cannot decode event; skipped");
                return Reaction::default();
            }
        };
        let buyer = cart.buyer_id();
        let version = event.stream_version;
        let cancel_timers = (version > 1)
            .then(|| cart_expiry_key(buyer, version - 1))
            .into_iter()
            .collect();
        let set_timers = match cart {
            CartEvent::CheckedOut(_) | CartEvent::Abandoned(_) => vec![],
            _ => vec![SetTimer {
                key: cart_expiry_key(buyer, version),
                due_at: self.due(event.recorded_at),
                // Inactivity of the buyer: counted from their last action, fixed.
                from_reaction: false,
                payload: serde_json::json!({ "buyer_id": buyer, "version": version }),
            }],
        };
        Reaction {
            send: vec![],
            set_timers,
            cancel_timers,
        }
    }

    fn on_timer(&self, key: &str, payload: &serde_json::Value) -> Vec<Dispatch> {
        if !key.starts_with(CART_EXPIRY) {
            return Vec::new();
        }
        let buyer = payload
            .get("buyer_id")
            .and_then(|v| serde_json::from_value::<UserId>(v.clone()).ok());
        let version = payload.get("version").and_then(serde_json::Value::as_u64);
        let (Some(buyer_id), Some(version)) = (buyer, version) else {
            tracing::error!(
                saga = CART_EXPIRY_SAGA,
                key,
                "cart expiry timer without a cart"
            );
            return Vec::new();
        };
        OrderingCommand::from(CartRequest::AbandonCart { buyer_id, version })
            .name_and_payload()
            .map(|(name, payload)| Dispatch {
                context: CONTEXT.to_owned(),
                name,
                payload,
            })
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use event_schemas::cart::{CartCheckedOut, CartLineRemoved};
    use shared_kernel::ids::OrderId;
    use shared_kernel::{Currency, Cursor, EventMetadata, Money, StreamId};

    fn recorded(buyer: UserId, version: u64, event: &CartEvent) -> Recorded {
        Recorded {
            event_id: uuid::Uuid::now_v7(),
            stream_id: StreamId::of("cart", buyer),
            stream_version: version,
            position: version,
            cursor: Cursor::new(0, version),
            event_type: event.event_type().to_owned(),
            schema_version: 1,
            data: event.to_data().unwrap(),
            metadata: EventMetadata::default(),
            recorded_at: shared_kernel::testing::now(),
        }
    }

    #[test]
    fn each_cart_event_moves_the_deadline_and_a_checkout_ends_it() {
        let pm = CartExpiry::new(Duration::from_secs(60));
        let buyer = UserId::new();
        let removed = CartEvent::LineRemoved(CartLineRemoved {
            buyer_id: buyer,
            sku: "A".into(),
        });
        let r = pm.react(&recorded(buyer, 3, &removed));
        assert_eq!(r.cancel_timers, [cart_expiry_key(buyer, 2)]);
        assert_eq!(r.set_timers.len(), 1);
        assert_eq!(r.set_timers[0].key, cart_expiry_key(buyer, 3));
        assert_eq!(
            r.set_timers[0].due_at,
            shared_kernel::testing::now() + TimeDelta::seconds(60)
        );

        let done = CartEvent::CheckedOut(CartCheckedOut {
            buyer_id: buyer,
            order_id: OrderId::new(),
            lines: vec![],
            total: Money::new(100, Currency::EUR),
        });
        let r = pm.react(&recorded(buyer, 4, &done));
        assert_eq!(r.cancel_timers, [cart_expiry_key(buyer, 3)]);
        assert!(r.set_timers.is_empty());

        let sent = pm.on_timer(
            &cart_expiry_key(buyer, 3),
            &serde_json::json!({ "buyer_id": buyer, "version": 3 }),
        );
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].name, "abandon_cart");
        assert_eq!(sent[0].payload["version"], 3);
        assert!(
            pm.on_timer("payment-timeout:x", &serde_json::json!({}))
                .is_empty()
        );
    }
}
