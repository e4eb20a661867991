//! Pure domain code: no clock, no I/O, no async. Four aggregates: [`Show`], [`Episode`],
//! [`Subscription`] and [`Download`]; the field rules they share in [`rules`] and Apple's
//! categories in [`categories`].

pub mod categories;
mod download;
mod episode;
pub mod rules;
mod show;
mod subscription;

pub use download::{CountDownload, Download, DownloadError, download_key};
pub use episode::{
    AUDIO_TYPES, Episode, EpisodeCommand, EpisodeError, EpisodeInput, EpisodePatch, EpisodeStatus,
    MAX_SCHEDULE_AHEAD_DAYS, SoundbiteInput, TRANSCRIPT_TYPES,
};
pub use show::{
    FundingInput, PODCAST_GUID_NAMESPACE, PersonInput, Show, ShowCommand, ShowError, ShowInput,
    ShowPatch, podcast_guid,
};
pub use subscription::{Subscription, SubscriptionCommand, SubscriptionError};
