//! Read models of the podcasts context. Every one is written with set-based, idempotent SQL
//! (guarded by the stream version or a key of what was counted), so an event applied twice
//! changes nothing, and none depends on the order of events across streams: they run the same
//! on the store's feed and on Kafka.

mod downloads;
mod episodes;
pub mod search;
mod shows;
mod subscriptions;

use chrono::SecondsFormat;
use shared_kernel::Recorded;

pub use downloads::{
    DOWNLOADS, DayDownloads, DownloadsProjection, EpisodeDownloads, show_downloads,
};
pub use episodes::{
    EPISODES, EpisodeFilter, EpisodeRow, EpisodeView, EpisodesAfter, EpisodesProjection,
    episodes_without_number, feed_episodes, find_episode, list_episodes, stored_time,
};
pub use shows::{
    SHOWS, ShowRow, ShowView, ShowsAfter, ShowsProjection, find_show, list_shows, shows_by_id,
};
pub use subscriptions::{
    SUBSCRIPTIONS, SubscriptionRow, SubscriptionsProjection, is_subscribed, subscriptions_of,
};

/// Every read model of the context, by name.
pub const READ_MODELS: &[&str] = &[SHOWS, EPISODES, SUBSCRIPTIONS, DOWNLOADS];

pub(crate) fn version_of(event: &Recorded) -> i64 {
    i64::try_from(event.stream_version).unwrap_or(i64::MAX)
}

pub(crate) fn recorded_at(event: &Recorded) -> String {
    event
        .recorded_at
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}
