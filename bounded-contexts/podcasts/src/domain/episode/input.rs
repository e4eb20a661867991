//! What a podcaster sends to draft or change an episode, and the rules its fields keep (the
//! README's limits table lists them).

use event_schemas::podcasts::{EpisodeDetails, EpisodeType, ShowType, Soundbite, Transcript};
use serde::{Deserialize, Serialize};
use shared_kernel::TextRule;
use utoipa::ToSchema;

use crate::domain::rules::{description, double_option, not_null, optional_url, text, url};

pub const TITLE: TextRule = TextRule::line("title", 1, 255);
pub const SOUNDBITE_TITLE: TextRule = TextRule::line("soundbites.title", 1, 128);
/// The enclosure types Apple Podcasts accepts (MP3, M4A, MP4, MOV, M4V, PDF).
pub const AUDIO_TYPES: &[&str] = &[
    "audio/mpeg",
    "audio/x-m4a",
    "video/mp4",
    "video/quicktime",
    "video/x-m4v",
    "application/pdf",
];
/// The transcript types the Podcasting 2.0 namespace names.
pub const TRANSCRIPT_TYPES: &[&str] = &[
    "text/vtt",
    "application/x-subrip",
    "application/srt",
    "application/json",
    "text/html",
    "text/plain",
];
/// Largest enclosure: 10 GB.
pub const MAX_AUDIO_BYTES: i64 = 10_000_000_000;
/// Longest episode: 100 hours.
pub const MAX_DURATION_SECONDS: i64 = 360_000;
pub const MAX_SEASON: i64 = 10_000;
pub const MAX_EPISODE_NUMBER: i64 = 1_000_000;
pub const MAX_SOUNDBITES: usize = 10;

/// A `podcast:soundbite` as sent, in seconds (fractions allowed; stored in milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SoundbiteInput {
    /// Where it starts, seconds from the start of the audio (0 or more).
    pub start_seconds: f64,
    /// How long it lasts, in seconds (more than 0; the spec suggests 15 to 120).
    pub duration_seconds: f64,
    /// 1 to 128 characters.
    pub title: String,
}

/// A new episode (a draft until published).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "The Italian Game", "description": "<p>Why <b>3.Bc4</b> still works.</p>",
    "audio_url": "https://cdn.example.org/ep1.mp3", "audio_bytes": 24986239,
    "audio_type": "audio/mpeg", "duration_seconds": 1873, "season": 1, "episode_number": 1
}))]
pub struct EpisodeInput {
    /// 1 to 255 characters.
    pub title: String,
    /// HTML show notes (cleaned of scripts and styles), at most 4,000 bytes once cleaned.
    #[serde(default)]
    pub description: String,
    /// The enclosure's URL (`http(s)://`).
    pub audio_url: String,
    /// The enclosure's length in bytes (1 to 10,000,000,000).
    pub audio_bytes: i64,
    /// The enclosure's MIME type, one Apple accepts: `audio/mpeg`, `audio/x-m4a`,
    /// `video/mp4`, `video/quicktime`, `video/x-m4v`, `application/pdf`.
    pub audio_type: String,
    /// 1 to 360,000 seconds.
    pub duration_seconds: i64,
    #[serde(default)]
    pub season: Option<i64>,
    /// Required in a `serial` show.
    #[serde(default)]
    pub episode_number: Option<i64>,
    #[serde(default)]
    pub episode_type: EpisodeType,
    #[serde(default)]
    pub explicit: bool,
    /// Episode artwork (`http(s)://`).
    #[serde(default)]
    pub image_url: Option<String>,
    /// `podcast:transcript` (`http(s)://`); needs `transcript_type`.
    #[serde(default)]
    pub transcript_url: Option<String>,
    /// `text/vtt`, `application/x-subrip`, `application/srt`, `application/json`,
    /// `text/html` or `text/plain`.
    #[serde(default)]
    pub transcript_type: Option<String>,
    /// `podcast:chapters`: a JSON chapters file (`http(s)://`).
    #[serde(default)]
    pub chapters_url: Option<String>,
    /// At most 10.
    #[serde(default)]
    pub soundbites: Vec<SoundbiteInput>,
}

/// A change of an episode: the fields present are changed, `null` clears an optional one (and
/// is refused for a required one, naming the field). The
/// episode keeps its guid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodePatch {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub title: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub description: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub audio_url: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub audio_bytes: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub audio_type: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub duration_seconds: Option<i64>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<i64>)]
    pub season: Option<Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<i64>)]
    pub episode_number: Option<Option<i64>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub episode_type: Option<EpisodeType>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub explicit: Option<bool>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub transcript_url: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub transcript_type: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "double_option"
    )]
    #[schema(value_type = Option<String>)]
    pub chapters_url: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "not_null"
    )]
    pub soundbites: Option<Vec<SoundbiteInput>>,
}

fn within(field: &str, value: i64, min: i64, max: i64) -> Result<i64, String> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{field} must be {min} to {max}, got {value}"))
    }
}

/// Seconds as whole milliseconds, if finite and within `0..=max_ms`.
fn millis(field: &str, seconds: f64, max_ms: i64) -> Result<i64, String> {
    let ms = (seconds * 1000.0).round();
    if !ms.is_finite() || ms < 0.0 || ms > max_ms as f64 {
        return Err(format!("{field} is out of range"));
    }
    // In range and finite, so the cast neither truncates nor saturates.
    #[allow(clippy::cast_possible_truncation)]
    Ok(ms as i64)
}

fn soundbites(items: &[SoundbiteInput], duration_seconds: i64) -> Result<Vec<Soundbite>, String> {
    if items.len() > MAX_SOUNDBITES {
        return Err(format!("at most {MAX_SOUNDBITES} soundbites"));
    }
    let length_ms = duration_seconds * 1000;
    items
        .iter()
        .map(|s| {
            let start_ms = millis("soundbites.start_seconds", s.start_seconds, length_ms)?;
            let duration_ms = millis("soundbites.duration_seconds", s.duration_seconds, length_ms)?;
            if duration_ms == 0 || start_ms + duration_ms > length_ms {
                return Err(
                    "a soundbite must last more than 0 seconds and end within the episode".into(),
                );
            }
            Ok(Soundbite {
                start_ms,
                duration_ms,
                title: text(SOUNDBITE_TITLE, &s.title)?,
            })
        })
        .collect()
}

fn transcript(url_: Option<&str>, mime: Option<&str>) -> Result<Option<Transcript>, String> {
    let url_ = optional_url("transcript_url", url_)?;
    let mime = mime.map(str::trim).filter(|m| !m.is_empty());
    match (url_, mime) {
        (None, None) => Ok(None),
        (Some(url), Some(mime)) if TRANSCRIPT_TYPES.contains(&mime) => Ok(Some(Transcript {
            url,
            mime_type: mime.to_owned(),
        })),
        (Some(_), Some(mime)) => Err(format!(
            "transcript_type must be one of {}, got {mime:?}",
            TRANSCRIPT_TYPES.join(", ")
        )),
        _ => Err("transcript_url and transcript_type go together".into()),
    }
}

impl EpisodeInput {
    /// The details as stored, or the first rule a field breaks. A `serial` show's episodes need
    /// their number.
    ///
    /// # Errors
    /// The message of that rule.
    pub fn validated(&self, show_type: ShowType) -> Result<EpisodeDetails, String> {
        let audio_type = self.audio_type.trim();
        if !AUDIO_TYPES.contains(&audio_type) {
            return Err(format!(
                "audio_type must be one Apple Podcasts accepts: {}; got {audio_type:?}",
                AUDIO_TYPES.join(", ")
            ));
        }
        let duration_seconds = within(
            "duration_seconds",
            self.duration_seconds,
            1,
            MAX_DURATION_SECONDS,
        )?;
        let episode_number = self
            .episode_number
            .map(|n| within("episode_number", n, 1, MAX_EPISODE_NUMBER))
            .transpose()?;
        if show_type == ShowType::Serial && episode_number.is_none() {
            return Err(NUMBER_REQUIRED.into());
        }
        Ok(EpisodeDetails {
            title: text(TITLE, &self.title)?,
            description: description(&self.description, false)?,
            audio_url: url("audio_url", &self.audio_url)?,
            audio_bytes: within("audio_bytes", self.audio_bytes, 1, MAX_AUDIO_BYTES)?,
            audio_type: audio_type.to_owned(),
            duration_seconds,
            season: self
                .season
                .map(|s| within("season", s, 1, MAX_SEASON))
                .transpose()?,
            episode_number,
            episode_type: self.episode_type,
            explicit: self.explicit,
            image_url: optional_url("image_url", self.image_url.as_deref())?,
            transcript: transcript(
                self.transcript_url.as_deref(),
                self.transcript_type.as_deref(),
            )?,
            chapters_url: optional_url("chapters_url", self.chapters_url.as_deref())?,
            soundbites: soundbites(&self.soundbites, duration_seconds)?,
        })
    }
}

/// The message of a serial show's episode without a number (its own code, see
/// [`super::EpisodeError::NumberRequired`]).
pub const NUMBER_REQUIRED: &str = "episode_number is required in a serial show";

impl EpisodePatch {
    /// `current` with this patch's fields, checked as a draft's are.
    ///
    /// # Errors
    /// The message of the first rule a field breaks.
    pub fn applied_to(
        &self,
        current: &EpisodeDetails,
        show_type: ShowType,
    ) -> Result<EpisodeDetails, String> {
        let pick = |new: &Option<Option<String>>, old: &Option<String>| match new {
            Some(v) => v.clone(),
            None => old.clone(),
        };
        let transcript_url = current.transcript.as_ref().map(|t| t.url.clone());
        let transcript_type = current.transcript.as_ref().map(|t| t.mime_type.clone());
        let input = EpisodeInput {
            title: self.title.clone().unwrap_or_else(|| current.title.clone()),
            description: self
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
            audio_url: self
                .audio_url
                .clone()
                .unwrap_or_else(|| current.audio_url.clone()),
            audio_bytes: self.audio_bytes.unwrap_or(current.audio_bytes),
            audio_type: self
                .audio_type
                .clone()
                .unwrap_or_else(|| current.audio_type.clone()),
            duration_seconds: self.duration_seconds.unwrap_or(current.duration_seconds),
            season: self.season.unwrap_or(current.season),
            episode_number: self.episode_number.unwrap_or(current.episode_number),
            episode_type: self.episode_type.unwrap_or(current.episode_type),
            explicit: self.explicit.unwrap_or(current.explicit),
            image_url: pick(&self.image_url, &current.image_url),
            transcript_url: pick(&self.transcript_url, &transcript_url),
            transcript_type: pick(&self.transcript_type, &transcript_type),
            chapters_url: pick(&self.chapters_url, &current.chapters_url),
            soundbites: self.soundbites.clone().unwrap_or_else(|| {
                current
                    .soundbites
                    .iter()
                    .map(|s| SoundbiteInput {
                        start_seconds: s.start_ms as f64 / 1000.0,
                        duration_seconds: s.duration_ms as f64 / 1000.0,
                        title: s.title.clone(),
                    })
                    .collect()
            }),
        };
        input.validated(show_type)
    }
}
