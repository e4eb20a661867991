//! The `recommendations` bounded context: read-only, no aggregates and no commands. It keeps
//! item-to-item co-occurrence (collaborative filtering) from other contexts' published events,
//! read through `event-schemas` only (never another context's crate):
//!
//! - "listeners of this show also subscribe to": podcasts' `show_subscribed` and
//!   `show_unsubscribed` (and a show's title from `show_created`, `show_edited`,
//!   `show_deleted`);
//! - "buyers of this also bought": ordering's `order_placed` (the lines) and `order_paid`
//!   (when they count as bought);
//! - the caller's recommendations: both, less what the caller already has.
//!
//! Update cost per event: a subscription by a listener with `k` subscriptions upserts `2k`
//! pair rows (one set-based statement each way); an unsubscription updates the same `2k`; a
//! paid order of `n` new products by a buyer with `k` products upserts at most `2nk`. A read is
//! one index range scan of a page (`GET /shows/{id}/similar`, `/products/{id}/also-bought`),
//! or a bounded merge of such scans (`/me/recommendations`: the caller's 20 most recent items,
//! 50 neighbours each): its cost depends on the page and those bounds, not on how many users
//! there are (`agora bench-recommendations`, BENCHMARKS.md).
//!
//! - [`projections`]: the co-subscription and co-purchase read models.
//! - [`http`]: the three routes.

pub mod http;
pub mod projections;
pub mod registration;

/// The context's name.
pub const CONTEXT: &str = "recommendations";
