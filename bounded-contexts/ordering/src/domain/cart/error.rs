//! Why a cart command is refused, and how each refusal shows at the edge.

use event_schemas::cart::RepricedLine;
use shared_kernel::RejectionKind;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    /// A limit of the order (lines, quantities) or a price rule.
    #[error("{0}")]
    Invalid(String),
    #[error("you cannot buy your own product")]
    OwnProduct,
    #[error("all lines of a cart must be in one currency")]
    MixedCurrencies,
    #[error("no line of this sku in the cart")]
    LineNotFound,
    #[error("the cart is empty")]
    Empty,
    /// The lines a checkout priced are no longer the cart's (it changed meanwhile).
    #[error("the cart changed while it was checked out; check out again")]
    Changed,
    /// Prices moved since the buyer saw them: a checkout first records the new ones.
    #[error("prices changed since they were shown: {}", describe_repriced(.0))]
    PricesChanged(Vec<RepricedLine>),
}

/// The moved prices as people read them: `CHESS-1 was 10.00 EUR, now 12.00 EUR`.
#[must_use]
pub fn describe_repriced(lines: &[RepricedLine]) -> String {
    lines
        .iter()
        .map(|l| format!("{} was {}, now {}", l.sku, l.was, l.now))
        .collect::<Vec<_>>()
        .join("; ")
}

impl shared_kernel::application::Rejection for CartError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
            Self::OwnProduct => ("own_product", RejectionKind::Invalid),
            Self::MixedCurrencies => ("mixed_currencies", RejectionKind::Invalid),
            Self::LineNotFound => ("cart_line_not_found", RejectionKind::NotFound),
            Self::Empty => ("cart_empty", RejectionKind::Invalid),
            Self::Changed => ("cart_changed", RejectionKind::Conflict),
            Self::PricesChanged(_) => ("prices_changed", RejectionKind::Conflict),
        }
    }

    /// The moved prices in minor units, as `changed_lines` (`sku`, `seen`, `now`).
    fn details(&self) -> Option<serde_json::Value> {
        let Self::PricesChanged(lines) = self else {
            return None;
        };
        let changed: Vec<serde_json::Value> = lines
            .iter()
            .map(|l| serde_json::json!({ "sku": l.sku, "seen": l.was, "now": l.now }))
            .collect();
        Some(serde_json::json!({ "changed_lines": changed }))
    }
}
