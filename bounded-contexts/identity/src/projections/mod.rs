//! Read models of the identity context: the access tokens refused before they expire.

mod token_revocations;

pub use token_revocations::{TOKEN_REVOCATIONS, TokenRevocations, TokenRevocationsProjection};
