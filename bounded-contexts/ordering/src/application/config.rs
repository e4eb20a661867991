//! How long the order saga waits for other contexts, and how long an idle cart lives.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderingConfig {
    /// From stock reserved to payment captured: past it, the order is cancelled and its stock
    /// released.
    pub payment_timeout: Duration,
    /// How long inventory holds an order's stock before the reservation expires.
    pub reservation_ttl: Duration,
    /// How long a cart nobody touches lives before it is abandoned (`CartAbandoned`).
    pub cart_ttl: Duration,
}

impl Default for OrderingConfig {
    fn default() -> Self {
        Self {
            payment_timeout: Duration::from_secs(30),
            reservation_ttl: Duration::from_secs(15 * 60),
            cart_ttl: Duration::from_secs(7 * 24 * 60 * 60),
        }
    }
}
