//! What kind of refusal a broken rule is. The domain says the kind; only the HTTP edge
//! (`http_kernel`) turns a kind into a status, so no domain file names one.

use serde::{Deserialize, Serialize};

/// The kind of a command's or a query's refusal, as the domain sees it. The HTTP edge maps
/// each to one status (in brackets); other edges (the CLI, a saga) read the kind itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The request breaks a rule about its own content: a field out of range, a mix the
    /// domain does not allow (422).
    Invalid,
    /// Nothing the caller may see is there: unknown, or someone else's hidden (404).
    NotFound,
    /// The caller is known and may not do this (403).
    Forbidden,
    /// The resource's current state does not allow it: taken, already done, changed
    /// meanwhile (409).
    Conflict,
    /// No verified caller, or credentials that do not match (401).
    Unauthenticated,
    /// It was there and is gone for good (410).
    Gone,
    /// Too many attempts; try again later (429).
    TooManyRequests,
    /// Something the decision needs cannot be reached now; try again (503).
    Unavailable,
}

/// A domain error a command reply can carry: its stable machine `code` (snake_case) and the
/// [`RejectionKind`] of the refusal.
pub trait Rejection {
    /// `(code, kind)`, e.g. `("sku_taken", RejectionKind::Conflict)`.
    fn code_and_kind(&self) -> (&'static str, RejectionKind);

    /// Facts of the refusal a program may act on, as a JSON object whose members the HTTP
    /// edge adds to the problem (e.g. `{"refundable": {"amount_minor": 13800, "currency":
    /// "EUR"}}` beside a message that says `138.00 EUR`). None by default.
    fn details(&self) -> Option<serde_json::Value> {
        None
    }
}
