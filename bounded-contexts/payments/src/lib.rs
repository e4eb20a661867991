//! The `payments` bounded context: a payment per order (authorize, capture, void, refund) made
//! with a card at a payment provider or with store credit from the payer's wallet; and what the
//! platform owes each seller (a ledger of delivered lines less commission) and its payouts.
//!
//! - [`domain`]: the `Payment`, `Wallet` and `SellerLedger` aggregates (pure decide/evolve).
//! - [`application`]: the command handler; it calls the provider (I/O) and records outcomes.
//! - [`http`]: `/api/v1/payments/...`, `/api/v1/wallet`, `/api/v1/wallets/...` and
//!   `/api/v1/sellers/me/{balance,payouts}`.
//! - [`projections`]: the payments, wallets and seller ledgers read models.
//!
//! It depends on `shared-kernel` and `event-schemas`, never on another context.

pub mod application;
pub mod domain;
pub mod http;
pub mod projections;
pub mod registration;

/// The context's name: its stream prefix owner, queue suffix and topic segment.
pub const CONTEXT: &str = "payments";
