//! The payment-provider port: what the payments context needs from a card processor.
//!
//! Every call carries an idempotency key. A provider that sees a key again answers with its
//! first answer instead of acting twice, so a redelivered command can never charge twice. The
//! payments context uses the payment id as the key of `authorize`, and keys derived from it for
//! the later calls; a payout's key is the payout id.

use async_trait::async_trait;

use crate::money::Money;

/// The provider's answer to an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    /// The amount is held on the card; `reference` names the hold in later calls.
    Authorized { reference: String },
    /// Nothing is held. `reason` is a stable code: `card_declined`, `invalid_token`, ...
    Declined { reason: String },
}

/// The provider's answer to a payout (a transfer of a seller's balance to the seller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutOutcome {
    /// The money was sent; `reference` names the transfer at the provider.
    Paid { reference: String },
    /// Nothing was sent. `reason` is a stable code: `payout_refused`, ...
    Failed { reason: String },
}

/// A provider call that did not produce an answer about the payment itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be reached or failed; the call may be retried with the same key.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// No authorization with this reference exists at the provider.
    #[error("unknown authorization {0}")]
    UnknownAuthorization(String),
    /// The provider refused the operation on this authorization (captured twice, voided after
    /// capture, refunding more than was captured, ...).
    #[error("payment provider refused: {0}")]
    Refused(String),
}

/// A card processor. Implementations are adapters (`infrastructure::payments`).
#[async_trait]
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    /// Holds `amount` on the card behind `token`.
    ///
    /// # Errors
    /// The provider is unavailable. A declined card is an answer, not an error.
    async fn authorize(
        &self,
        idempotency_key: &str,
        token: &str,
        amount: Money,
    ) -> Result<Authorization, ProviderError>;

    /// Takes `amount` (at most the held amount) of the authorization `reference`.
    ///
    /// # Errors
    /// Unknown reference, an authorization that was voided, or the provider is unavailable.
    async fn capture(
        &self,
        idempotency_key: &str,
        reference: &str,
        amount: Money,
    ) -> Result<(), ProviderError>;

    /// Releases the hold of an authorization that was not captured.
    ///
    /// # Errors
    /// Unknown reference, an authorization already captured, or the provider is unavailable.
    async fn void(&self, idempotency_key: &str, reference: &str) -> Result<(), ProviderError>;

    /// Gives back `amount` of a captured authorization.
    ///
    /// # Errors
    /// Unknown reference, nothing captured, more than the captured amount in total, or the
    /// provider is unavailable.
    async fn refund(
        &self,
        idempotency_key: &str,
        reference: &str,
        amount: Money,
    ) -> Result<(), ProviderError>;

    /// Sends `amount` to the seller `payee` (a user id; the provider knows the seller's
    /// account). A repeat with the same key answers with the first answer and pays once.
    ///
    /// # Errors
    /// The provider is unavailable (retry with the same key). A refused payout is an answer
    /// ([`PayoutOutcome::Failed`]), not an error.
    async fn payout(
        &self,
        idempotency_key: &str,
        payee: &str,
        amount: Money,
    ) -> Result<PayoutOutcome, ProviderError>;
}
