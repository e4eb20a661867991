//! The podcasts commands as they travel on the command bus, one enum per aggregate they act
//! on. The wire form is each inner enum's `{"name", "payload"}`; the outer enum only says which
//! aggregate's, so the handler dispatches once.

use chrono::{DateTime, Utc};
use event_schemas::podcasts::{EpisodeId, ShowId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::CONTEXT;
use crate::domain::{EpisodeInput, EpisodePatch, ShowInput, ShowPatch};

/// Every command the podcasts context takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PodcastsCommand {
    /// An owner's command on a show.
    Show(ShowRequest),
    /// An owner's command on an episode, or the scheduling timer's.
    Episode(EpisodeRequest),
    /// A listener's subscription.
    Subscription(SubscriptionRequest),
    /// The download route's count (the platform's, never a user's).
    Download(DownloadRequest),
}

/// A command on a show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum ShowRequest {
    CreateShow { show_id: ShowId, show: ShowInput },
    EditShow { show_id: ShowId, patch: ShowPatch },
    DeleteShow { show_id: ShowId },
}

/// A command on an episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum EpisodeRequest {
    DraftEpisode {
        episode_id: EpisodeId,
        show_id: ShowId,
        episode: EpisodeInput,
    },
    EditEpisode {
        episode_id: EpisodeId,
        patch: EpisodePatch,
    },
    /// Now (`at` absent or past), or scheduled for `at`.
    PublishEpisode {
        episode_id: EpisodeId,
        #[serde(default)]
        at: Option<DateTime<Utc>>,
    },
    /// The scheduling timer fired (the platform only).
    PublishScheduled {
        episode_id: EpisodeId,
        schedule_id: Uuid,
    },
    UnpublishEpisode {
        episode_id: EpisodeId,
    },
}

/// A listener's command on their subscription to a show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum SubscriptionRequest {
    Subscribe { show_id: ShowId },
    Unsubscribe { show_id: ShowId },
}

/// Counting a download (the platform only: the audio route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "name", content = "payload", rename_all = "snake_case")]
pub enum DownloadRequest {
    CountDownload {
        episode_id: EpisodeId,
        show_id: ShowId,
        /// `YYYY-MM-DD`, UTC.
        day: String,
        /// The listener's salted hash (hex).
        listener: String,
    },
}

impl shared_kernel::ContextCommand for PodcastsCommand {
    const CONTEXT: &'static str = CONTEXT;
}

impl From<ShowRequest> for PodcastsCommand {
    fn from(request: ShowRequest) -> Self {
        Self::Show(request)
    }
}

impl From<EpisodeRequest> for PodcastsCommand {
    fn from(request: EpisodeRequest) -> Self {
        Self::Episode(request)
    }
}

impl From<SubscriptionRequest> for PodcastsCommand {
    fn from(request: SubscriptionRequest) -> Self {
        Self::Subscription(request)
    }
}

impl From<DownloadRequest> for PodcastsCommand {
    fn from(request: DownloadRequest) -> Self {
        Self::Download(request)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_is_the_inner_command_s() {
        let show_id = ShowId::new();
        let command = PodcastsCommand::from(SubscriptionRequest::Subscribe { show_id });
        let wire = serde_json::to_value(&command).unwrap();
        assert_eq!(wire["name"], "subscribe");
        assert_eq!(
            serde_json::from_value::<PodcastsCommand>(wire).unwrap(),
            command
        );
        let publish = serde_json::json!({
            "name": "publish_episode", "payload": { "episode_id": EpisodeId::new() }
        });
        assert!(matches!(
            serde_json::from_value::<PodcastsCommand>(publish).unwrap(),
            PodcastsCommand::Episode(EpisodeRequest::PublishEpisode { at: None, .. })
        ));
    }
}
