//! Events of the `podcasts` context: shows, their episodes, listeners' subscriptions and counted
//! downloads.
//!
//! Four stream kinds:
//! - `show-<show id>`: a show's details, and its deletion;
//! - `episode-<episode id>`: an episode's draft, edits, schedule and publication;
//! - `subscription-<show id>_<user id>`: one listener's subscription to one show (so racing
//!   subscribers never contend, and a repeat is decided on that one stream);
//! - `download-<episode id>_<day>_<listener>`: one counted download, appended expecting no
//!   stream, so a second download by the same listener of the same episode on the same UTC day
//!   is refused by the store itself (the IAB rule: at most one per listener, episode and day).
//!
//! | type | version | stream |
//! |---|---|---|
//! | `agora.podcasts.show_created` | 1 | show |
//! | `agora.podcasts.show_edited` | 1 | show |
//! | `agora.podcasts.show_deleted` | 1 | show |
//! | `agora.podcasts.episode_drafted` | 1 | episode |
//! | `agora.podcasts.episode_edited` | 1 | episode |
//! | `agora.podcasts.episode_scheduled` | 1 | episode |
//! | `agora.podcasts.episode_unscheduled` | 1 | episode |
//! | `agora.podcasts.episode_published` | 1 | episode |
//! | `agora.podcasts.episode_unpublished` | 1 | episode |
//! | `agora.podcasts.show_subscribed` | 1 | subscription |
//! | `agora.podcasts.show_unsubscribed` | 1 | subscription |
//! | `agora.podcasts.download_counted` | 1 | download |
//!
//! Other contexts (recommendations) read the subscription events and a show's title from here,
//! never from the podcasts crate.

use serde::{Deserialize, Serialize};
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;
use uuid::Uuid;

use crate::upcast::{Catalogue, Upcaster};

pub const CONTEXT: &str = "podcasts";

pub const SHOW_CREATED: &str = "agora.podcasts.show_created";
pub const SHOW_EDITED: &str = "agora.podcasts.show_edited";
pub const SHOW_DELETED: &str = "agora.podcasts.show_deleted";
pub const EPISODE_DRAFTED: &str = "agora.podcasts.episode_drafted";
pub const EPISODE_EDITED: &str = "agora.podcasts.episode_edited";
pub const EPISODE_SCHEDULED: &str = "agora.podcasts.episode_scheduled";
pub const EPISODE_UNSCHEDULED: &str = "agora.podcasts.episode_unscheduled";
pub const EPISODE_PUBLISHED: &str = "agora.podcasts.episode_published";
pub const EPISODE_UNPUBLISHED: &str = "agora.podcasts.episode_unpublished";
pub const SHOW_SUBSCRIBED: &str = "agora.podcasts.show_subscribed";
pub const SHOW_UNSUBSCRIBED: &str = "agora.podcasts.show_unsubscribed";
pub const DOWNLOAD_COUNTED: &str = "agora.podcasts.download_counted";

/// The events of a `show-<id>` stream.
pub const SHOW_EVENTS: &[&str] = &[SHOW_CREATED, SHOW_EDITED, SHOW_DELETED];
/// The events of an `episode-<id>` stream.
pub const EPISODE_EVENTS: &[&str] = &[
    EPISODE_DRAFTED,
    EPISODE_EDITED,
    EPISODE_SCHEDULED,
    EPISODE_UNSCHEDULED,
    EPISODE_PUBLISHED,
    EPISODE_UNPUBLISHED,
];
/// The events of a `subscription-<show>_<user>` stream.
pub const SUBSCRIPTION_EVENTS: &[&str] = &[SHOW_SUBSCRIBED, SHOW_UNSUBSCRIBED];
/// The events of a `download-...` stream.
pub const DOWNLOAD_EVENTS: &[&str] = &[DOWNLOAD_COUNTED];

pub const CATALOGUE: Catalogue = &[
    (SHOW_CREATED, 1),
    (SHOW_EDITED, 1),
    (SHOW_DELETED, 1),
    (EPISODE_DRAFTED, 1),
    (EPISODE_EDITED, 1),
    (EPISODE_SCHEDULED, 1),
    (EPISODE_UNSCHEDULED, 1),
    (EPISODE_PUBLISHED, 1),
    (EPISODE_UNPUBLISHED, 1),
    (SHOW_SUBSCRIBED, 1),
    (SHOW_UNSUBSCRIBED, 1),
    (DOWNLOAD_COUNTED, 1),
];

pub const UPCASTERS: &[Upcaster] = &[];

shared_kernel::define_id!(
    /// A podcast show.
    ShowId
);
shared_kernel::define_id!(
    /// An episode of a show.
    EpisodeId
);

/// `itunes:type`: how apps present the episodes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ShowType {
    /// Newest first; the default.
    #[default]
    Episodic,
    /// Oldest first, in order; every episode needs its number.
    Serial,
}

impl ShowType {
    /// The `itunes:type` value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Episodic => "episodic",
            Self::Serial => "serial",
        }
    }
}

/// A `podcast:funding` link.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Funding {
    /// `http(s)://` URL of the donation or membership page.
    pub url: String,
    /// What a listener reads on the button (1 to 128 characters).
    pub title: String,
}

/// A `podcast:person`: a host, a guest...
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Person {
    pub name: String,
    /// The Podcasting 2.0 role (`host`, `guest`, `producer`...), lower case.
    pub role: String,
    /// A page about the person (`http(s)://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

/// Everything a podcaster sets on a show, as it is after a creation or an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowDetails {
    pub title: String,
    /// Plain text or HTML (cleaned), at most 4,000 bytes.
    pub description: String,
    pub author: String,
    /// BCP 47, normalised (`en-US`).
    pub language: String,
    /// An Apple Podcasts category, as Apple spells it.
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subcategory: Option<String>,
    pub explicit: bool,
    /// The artwork (`http(s)://`).
    pub image_url: String,
    /// The show's website (`http(s)://`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copyright: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    pub show_type: ShowType,
    /// `podcast:locked`: other platforms must not import the feed.
    pub locked: bool,
    #[serde(default)]
    pub funding: Vec<Funding>,
    #[serde(default)]
    pub persons: Vec<Person>,
}

/// A show was created by its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowCreated {
    pub show_id: ShowId,
    pub owner_id: UserId,
    /// `podcast:guid`: UUIDv5 of the feed URL without scheme and trailing slashes, fixed here.
    pub podcast_guid: Uuid,
    /// The feed's URL when the show was created (what the guid was derived from).
    pub feed_url: String,
    pub details: ShowDetails,
}

/// The owner changed a show: its details as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowEdited {
    pub show_id: ShowId,
    pub details: ShowDetails,
}

/// The owner deleted the show: its feed answers 410 Gone from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowDeleted {
    pub show_id: ShowId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum ShowEvent {
    #[serde(rename = "agora.podcasts.show_created")]
    Created(ShowCreated),
    #[serde(rename = "agora.podcasts.show_edited")]
    Edited(ShowEdited),
    #[serde(rename = "agora.podcasts.show_deleted")]
    Deleted(ShowDeleted),
}

crate::domain_event!(ShowEvent, CATALOGUE, UPCASTERS, {
    Created => SHOW_CREATED,
    Edited => SHOW_EDITED,
    Deleted => SHOW_DELETED,
});

impl ShowEvent {
    /// The show the event is about.
    #[must_use]
    pub const fn show_id(&self) -> ShowId {
        match self {
            Self::Created(e) => e.show_id,
            Self::Edited(e) => e.show_id,
            Self::Deleted(e) => e.show_id,
        }
    }
}

/// `itunes:episodeType`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EpisodeType {
    #[default]
    Full,
    Trailer,
    Bonus,
}

impl EpisodeType {
    /// The `itunes:episodeType` value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Trailer => "trailer",
            Self::Bonus => "bonus",
        }
    }
}

/// A `podcast:transcript`.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// `http(s)://`.
    pub url: String,
    /// `text/vtt`, `application/x-subrip`, `application/json`, `text/html` or `text/plain`.
    pub mime_type: String,
}

/// A `podcast:soundbite`: a short part worth sharing.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Soundbite {
    /// Where it starts, in milliseconds from the start of the audio.
    pub start_ms: i64,
    /// How long it lasts, in milliseconds.
    pub duration_ms: i64,
    pub title: String,
}

/// Everything a podcaster sets on an episode, as it is after a draft or an edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeDetails {
    pub title: String,
    /// HTML, cleaned of anything but formatting and links (`ammonia`).
    pub description: String,
    /// The enclosure: the audio's URL, its length in bytes and its MIME type.
    pub audio_url: String,
    pub audio_bytes: i64,
    pub audio_type: String,
    pub duration_seconds: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub season: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub episode_number: Option<i64>,
    pub episode_type: EpisodeType,
    pub explicit: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Transcript>,
    /// `podcast:chapters` (JSON chapters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chapters_url: Option<String>,
    #[serde(default)]
    pub soundbites: Vec<Soundbite>,
}

/// A new episode, a draft nobody but its owner sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeDrafted {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    pub owner_id: UserId,
    /// The item's `guid` in the feed, fixed here: edits never change it.
    pub guid: String,
    pub details: EpisodeDetails,
}

/// The owner changed an episode (draft or published): its details as they are now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeEdited {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    pub details: EpisodeDetails,
}

/// The episode will be published at `at` (a durable timer, keyed by `schedule_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeScheduled {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    /// Names this schedule: its timer, and the publication it allows.
    pub schedule_id: Uuid,
    pub at: Timestamp,
}

/// The schedule `schedule_id` was withdrawn (unpublished, published now, or rescheduled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeUnscheduled {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    pub schedule_id: Uuid,
}

/// The episode is in the feed, dated `published_at` (its `pubDate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodePublished {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    pub published_at: Timestamp,
}

/// The episode left the feed (a draft again; its guid stays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeUnpublished {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum EpisodeEvent {
    #[serde(rename = "agora.podcasts.episode_drafted")]
    Drafted(EpisodeDrafted),
    #[serde(rename = "agora.podcasts.episode_edited")]
    Edited(EpisodeEdited),
    #[serde(rename = "agora.podcasts.episode_scheduled")]
    Scheduled(EpisodeScheduled),
    #[serde(rename = "agora.podcasts.episode_unscheduled")]
    Unscheduled(EpisodeUnscheduled),
    #[serde(rename = "agora.podcasts.episode_published")]
    Published(EpisodePublished),
    #[serde(rename = "agora.podcasts.episode_unpublished")]
    Unpublished(EpisodeUnpublished),
}

crate::domain_event!(EpisodeEvent, CATALOGUE, UPCASTERS, {
    Drafted => EPISODE_DRAFTED,
    Edited => EPISODE_EDITED,
    Scheduled => EPISODE_SCHEDULED,
    Unscheduled => EPISODE_UNSCHEDULED,
    Published => EPISODE_PUBLISHED,
    Unpublished => EPISODE_UNPUBLISHED,
});

impl EpisodeEvent {
    /// The episode the event is about.
    #[must_use]
    pub const fn episode_id(&self) -> EpisodeId {
        match self {
            Self::Drafted(e) => e.episode_id,
            Self::Edited(e) => e.episode_id,
            Self::Scheduled(e) => e.episode_id,
            Self::Unscheduled(e) => e.episode_id,
            Self::Published(e) => e.episode_id,
            Self::Unpublished(e) => e.episode_id,
        }
    }
}

/// A listener subscribed to a show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowSubscribed {
    pub show_id: ShowId,
    pub user_id: UserId,
}

/// A listener unsubscribed from a show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowUnsubscribed {
    pub show_id: ShowId,
    pub user_id: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum SubscriptionEvent {
    #[serde(rename = "agora.podcasts.show_subscribed")]
    Subscribed(ShowSubscribed),
    #[serde(rename = "agora.podcasts.show_unsubscribed")]
    Unsubscribed(ShowUnsubscribed),
}

crate::domain_event!(SubscriptionEvent, CATALOGUE, UPCASTERS, {
    Subscribed => SHOW_SUBSCRIBED,
    Unsubscribed => SHOW_UNSUBSCRIBED,
});

/// One download counted: the first of this listener for this episode on this UTC day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DownloadCounted {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// The listener: a hash of the client address and user agent under that day's salt (hex);
    /// neither the address nor the salt is stored.
    pub listener: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum DownloadEvent {
    #[serde(rename = "agora.podcasts.download_counted")]
    Counted(DownloadCounted),
}

crate::domain_event!(DownloadEvent, CATALOGUE, UPCASTERS, {
    Counted => DOWNLOAD_COUNTED,
});
