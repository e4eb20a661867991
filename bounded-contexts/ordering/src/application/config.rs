//! How long the order saga waits for other contexts, how long an idle cart lives, and how long a buyer may return lines.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderingConfig {
    /// From order placed to payment captured (authorisation, reservation, capture): past it,
    /// the order is cancelled, its authorisation voided and any stock released.
    pub payment_timeout: Duration,
    /// How long inventory holds an order's stock before the reservation expires.
    pub reservation_ttl: Duration,
    /// How long a cart nobody touches lives before it is abandoned (`CartAbandoned`).
    pub cart_ttl: Duration,
    /// How long after a seller's delivery the buyer may ask to return its lines.
    pub return_window: Duration,
}

impl Default for OrderingConfig {
    fn default() -> Self {
        Self {
            payment_timeout: Duration::from_secs(30),
            reservation_ttl: Duration::from_secs(15 * 60),
            cart_ttl: Duration::from_secs(7 * 24 * 60 * 60),
            return_window: Duration::from_secs(30 * 24 * 60 * 60),
        }
    }
}
