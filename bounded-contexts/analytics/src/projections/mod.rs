//! The live figures: read models of the analytics context over other contexts' published
//! events (decoded through `event-schemas` only), by UTC day (`YYYY-MM-DD` of the event's
//! recorded time).
//!
//! - [`SalesProjection`] (`analytics.sales`): orders placed, paid, rejected and cancelled per
//!   day (the funnel), and what paid orders sold per day: per product and per seller, count
//!   and revenue per currency. An order's lines are kept from `order_placed` until it is paid.
//! - [`ActivityProjection`] (`analytics.activity`): new users per day, active users per day
//!   (anybody on whose behalf an event was recorded), posts and comments per community per
//!   day.
//!
//! - [`DownloadsProjection`] (`analytics.podcast_downloads`): downloads per show per day.

mod activity;
mod downloads;
mod queries;
mod sales;

pub use activity::{ACTIVITY, ActivityProjection};
pub use downloads::{DownloadsProjection, PODCAST_DOWNLOADS};
pub use queries::{
    CommunityDay, FunnelDay, Range, SalesDay, SalesKey, ShowDownloadsDay, TopProduct, UsersDay,
    community_days, download_days, funnel_days, sales_days, top_products, users_days,
};
pub use sales::{SALES, SalesProjection};

use std::sync::Arc;

use projections::Projection;
use shared_kernel::Recorded;

/// Every read model of the context.
#[must_use]
pub fn all() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(SalesProjection),
        Arc::new(ActivityProjection),
        Arc::new(DownloadsProjection),
    ]
}

/// The UTC day an event was recorded on, `YYYY-MM-DD`.
#[must_use]
pub fn day_of(event: &Recorded) -> String {
    event.recorded_at.format("%Y-%m-%d").to_string()
}
