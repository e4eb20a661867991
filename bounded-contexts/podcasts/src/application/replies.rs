//! What the podcasts handler answers: typed replies the routes return as they are (the API
//! document describes these very types).

use chrono::SecondsFormat;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Episode, EpisodeStatus, Show};

/// A show after a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "0192f3a0-7c1e-7b3a-9c2d-00000000d001",
    "podcast_guid": "5c9a3d7e-0a4b-5f3e-9a1d-2b3c4d5e6f70",
    "feed_url": "http://127.0.0.1:8080/api/v1/shows/0192f3a0-7c1e-7b3a-9c2d-00000000d001/feed.rss",
    "status": "active"
}))]
pub struct ShowWritten {
    #[schema(format = Uuid)]
    pub id: String,
    /// The show's `podcast:guid` (UUIDv5 of the feed URL without its scheme), fixed at
    /// creation.
    #[schema(format = Uuid)]
    pub podcast_guid: String,
    /// The feed podcast apps subscribe to.
    pub feed_url: String,
    /// `active` or `deleted`.
    pub status: String,
}

impl From<&Show> for ShowWritten {
    fn from(s: &Show) -> Self {
        Self {
            id: s.show_id.to_string(),
            podcast_guid: s.podcast_guid.to_string(),
            feed_url: s.feed_url.clone(),
            status: if s.deleted { "deleted" } else { "active" }.to_owned(),
        }
    }
}

/// An episode after a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeWritten {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub show_id: String,
    /// The item's `guid` in the feed: fixed when drafted, kept by every edit.
    pub guid: String,
    /// `draft`, `scheduled` or `published`.
    pub status: String,
    /// When it is (to be) in the feed: the scheduled time, or the `pubDate` (RFC 3339).
    pub publish_at: Option<String>,
}

impl From<&Episode> for EpisodeWritten {
    fn from(e: &Episode) -> Self {
        let at = match e.status {
            EpisodeStatus::Draft => None,
            EpisodeStatus::Scheduled { at, .. } | EpisodeStatus::Published { at } => {
                Some(at.to_rfc3339_opts(SecondsFormat::Secs, true))
            }
        };
        Self {
            id: e.episode_id.to_string(),
            show_id: e.show_id.to_string(),
            guid: e.guid.clone(),
            status: e.status.as_str().to_owned(),
            publish_at: at,
        }
    }
}

/// A listener's subscription to a show, after subscribing or unsubscribing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionState {
    #[schema(format = Uuid)]
    pub show_id: String,
    pub subscribed: bool,
}

/// Whether a download was counted (false: the listener's repeat of the day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DownloadOutcome {
    pub counted: bool,
}
