//! The `payments` bounded context: a payment per order (authorize, capture, void, refund) made
//! with a card at a payment provider or with store credit from the payer's wallet.
//!
//! - [`domain`]: the `Payment` and `Wallet` aggregates (pure decide/evolve).
//! - [`application`]: the command handler; it calls the provider (I/O) and records outcomes.
//! - [`http`]: `/api/v1/payments/...`, `/api/v1/wallet` and `/api/v1/wallets/...`.
//! - [`projections`]: the payments and wallets read models.
//!
//! It depends on `shared-kernel` and `event-schemas`, never on another context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "payments";
