//! The Download aggregate (`download-<episode>_<day>_<listener>`): at most one counted
//! download per listener, episode and UTC day, as the IAB podcast measurement guidelines count
//! them. The stream is appended expecting none, so the store itself refuses a second count; a
//! repeat decides on the counted stream and changes nothing.

use event_schemas::podcasts::{DownloadCounted, DownloadEvent, EpisodeId, ShowId};
use shared_kernel::{Aggregate, RejectionKind, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountDownload {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    /// The listener's hash under the day's salt (hex).
    pub listener: String,
    pub at: Timestamp,
}

/// Counting refuses nothing: a repeat is simply not counted again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("downloads refuse nothing")]
pub struct DownloadError;

impl shared_kernel::Rejection for DownloadError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        ("conflict", RejectionKind::Conflict)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Download {
    pub counted: bool,
}

/// The stream id part of one listener's downloads of one episode on one day.
#[must_use]
pub fn download_key(episode_id: EpisodeId, day: &str, listener: &str) -> String {
    format!("{episode_id}_{day}_{listener}")
}

impl Aggregate for Download {
    const KIND: &'static str = "download";
    type Command = CountDownload;
    type Event = DownloadEvent;
    type Error = DownloadError;

    /// Nearly every download stream is new: append expecting no stream without reading first.
    fn creates(_command: &CountDownload) -> bool {
        true
    }

    fn decide(
        &self,
        command: CountDownload,
        _now: Timestamp,
    ) -> Result<Vec<DownloadEvent>, DownloadError> {
        if self.counted {
            return Ok(vec![]);
        }
        Ok(vec![DownloadEvent::Counted(DownloadCounted {
            episode_id: command.episode_id,
            show_id: command.show_id,
            day: command.day,
            listener: command.listener,
            at: command.at,
        })])
    }

    fn evolve(self, _event: &DownloadEvent) -> Self {
        Self { counted: true }
    }
}
