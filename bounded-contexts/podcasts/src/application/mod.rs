//! Application layer: commands as messages, the handler that runs them, the settings, the
//! listener hashing of downloads and the process manager that publishes scheduled episodes.

mod commands;
mod config;
mod handler;
mod listeners;
mod replies;
mod scheduling;

pub use commands::{
    DownloadRequest, EpisodeRequest, PodcastsCommand, ShowRequest, SubscriptionRequest,
};
pub use config::{DEFAULT_PUBLIC_BASE_URL, PodcastsConfig};
pub use handler::{
    PodcastsHandler, download_stream, episode_stream, show_stream, subscription_stream,
};
pub use listeners::{ListenerHasher, is_probe, load_or_generate_secret};
pub use replies::{DownloadOutcome, EpisodeWritten, ShowWritten, SubscriptionState};
pub use scheduling::{
    PUBLISH_SCHEDULED, SCHEDULED_PUBLISHING, ScheduledPublishing, publish_timer_key,
};
