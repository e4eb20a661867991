//! A show's RSS 2.0 document, built with the `rss` crate from the read model's rows: the
//! channel and items with their iTunes extension, `content:encoded`, and the Podcasting 2.0
//! tags (`podcast:guid`, `locked`, `funding`, `person`, `transcript`, `chapters`,
//! `soundbite`) as namespace extensions. What Apple Podcasts and the Podcasting 2.0 validators
//! require is always there: channel title, link, description, language, `itunes:image`,
//! `itunes:category`, `itunes:explicit`; items with title, a complete enclosure, guid and an
//! RFC 2822 `pubDate`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rss::extension::itunes::{
    ITunesCategory, ITunesChannelExtension, ITunesItemExtension, ITunesOwner,
};
use rss::extension::{Extension, ExtensionMap};
use rss::{Channel, Enclosure, Guid, Image, Item};

use crate::application::PodcastsConfig;
use crate::projections::{EpisodeRow, ShowRow};

pub(super) const ITUNES_NS: &str = "http://www.itunes.com/dtds/podcast-1.0.dtd";
pub(super) const PODCAST_NS: &str = "https://podcastindex.org/namespace/1.0";
pub(super) const CONTENT_NS: &str = "http://purl.org/rss/1.0/modules/content/";
pub(super) const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// An extension element `name` (prefixed) with `attrs` and an optional text value.
fn element(name: &str, value: Option<String>, attrs: &[(&str, String)]) -> Extension {
    Extension {
        name: name.to_owned(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        children: BTreeMap::new(),
    }
}

/// Adds `ext` under its prefix (`podcast:guid` goes to `podcast` / `guid`).
fn add(map: &mut ExtensionMap, ext: Extension) {
    let (prefix, local) = ext
        .name
        .split_once(':')
        .map_or(("", ext.name.as_str()), |(p, l)| (p, l));
    map.entry(prefix.to_owned())
        .or_default()
        .entry(local.to_owned())
        .or_default()
        .push(ext);
}

fn yes_no(flag: bool) -> String {
    if flag { "true" } else { "false" }.to_owned()
}

/// Milliseconds as the seconds the namespace writes (`73.5`).
fn seconds(ms: i64) -> String {
    let whole = ms / 1000;
    match ms % 1000 {
        0 => whole.to_string(),
        rest => format!("{whole}.{}", format!("{rest:03}").trim_end_matches('0')),
    }
}

/// An RFC 2822 date as feeds write it, with a two-digit day (`Mon, 05 Jan 2026 06:00:00 +0000`).
pub(super) fn rfc2822_of(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn rfc2822(stored: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|t| rfc2822_of(t.with_timezone(&Utc)))
}

fn item(episode: &EpisodeRow, show: &ShowRow, config: &PodcastsConfig) -> Item {
    let mut extensions = ExtensionMap::new();
    if let Some(t) = episode.transcript() {
        add(
            &mut extensions,
            element(
                "podcast:transcript",
                None,
                &[("url", t.url), ("type", t.mime_type)],
            ),
        );
    }
    if let Some(url) = &episode.chapters_url {
        add(
            &mut extensions,
            element(
                "podcast:chapters",
                None,
                &[
                    ("url", url.clone()),
                    ("type", "application/json+chapters".into()),
                ],
            ),
        );
    }
    for bite in episode.soundbites() {
        add(
            &mut extensions,
            element(
                "podcast:soundbite",
                Some(bite.title),
                &[
                    ("startTime", seconds(bite.start_ms)),
                    ("duration", seconds(bite.duration_ms)),
                ],
            ),
        );
    }
    if let Some(season) = episode.season {
        add(
            &mut extensions,
            element("podcast:season", Some(season.to_string()), &[]),
        );
    }
    if let Some(number) = episode.episode_number {
        add(
            &mut extensions,
            element("podcast:episode", Some(number.to_string()), &[]),
        );
    }
    let itunes = ITunesItemExtension {
        author: Some(show.author.clone()),
        image: episode.image_url.clone(),
        duration: Some(episode.duration_seconds.to_string()),
        explicit: Some(yes_no(episode.explicit != 0)),
        episode: episode.episode_number.map(|n| n.to_string()),
        season: episode.season.map(|n| n.to_string()),
        episode_type: Some(episode.episode_type.clone()),
        ..ITunesItemExtension::default()
    };
    Item {
        title: Some(episode.title.clone()),
        link: show.link.clone(),
        description: Some(episode.description.clone()),
        content: Some(episode.description.clone()),
        // Through the audio route, which counts the download and redirects to the file.
        enclosure: Some(Enclosure {
            url: config.audio_url(&episode.id),
            length: episode.audio_bytes.to_string(),
            mime_type: episode.audio_type.clone(),
        }),
        guid: Some(Guid {
            value: episode.guid.clone(),
            permalink: false,
        }),
        pub_date: episode.published_at.as_deref().and_then(rfc2822),
        itunes_ext: Some(itunes),
        extensions,
        ..Item::default()
    }
}

/// The feed of `show` with `episodes` (newest first), last changed at `last_modified`.
#[must_use]
pub(super) fn build(
    show: &ShowRow,
    episodes: &[EpisodeRow],
    config: &PodcastsConfig,
    last_modified: DateTime<Utc>,
) -> String {
    let feed_url = config.feed_url(show.id.parse().unwrap_or_default());
    let link = show
        .link
        .clone()
        .unwrap_or_else(|| format!("{}/api/v1/shows/{}", config.public_base_url, show.id));
    let mut extensions = ExtensionMap::new();
    add(
        &mut extensions,
        element(
            "atom:link",
            None,
            &[
                ("href", feed_url),
                ("rel", "self".into()),
                ("type", "application/rss+xml".into()),
            ],
        ),
    );
    add(
        &mut extensions,
        element("podcast:guid", Some(show.podcast_guid.clone()), &[]),
    );
    let locked = if show.locked != 0 { "yes" } else { "no" };
    let owner = show.owner_email.clone().map(|e| ("owner", e));
    add(
        &mut extensions,
        element("podcast:locked", Some(locked.into()), owner.as_slice()),
    );
    for funding in show.funding() {
        add(
            &mut extensions,
            element(
                "podcast:funding",
                Some(funding.title),
                &[("url", funding.url)],
            ),
        );
    }
    for person in show.persons() {
        let mut attrs = vec![("role", person.role)];
        if let Some(href) = person.href {
            attrs.push(("href", href));
        }
        add(
            &mut extensions,
            element("podcast:person", Some(person.name), &attrs),
        );
    }
    add(
        &mut extensions,
        element("itunes:type", Some(show.show_type.clone()), &[]),
    );
    let itunes = ITunesChannelExtension {
        author: Some(show.author.clone()),
        categories: vec![ITunesCategory {
            text: show.category.clone(),
            subcategory: show.subcategory.clone().map(|text| {
                Box::new(ITunesCategory {
                    text,
                    subcategory: None,
                })
            }),
        }],
        image: Some(show.image_url.clone()),
        explicit: Some(yes_no(show.explicit != 0)),
        owner: (show.owner_name.is_some() || show.owner_email.is_some()).then(|| ITunesOwner {
            name: show.owner_name.clone(),
            email: show.owner_email.clone(),
        }),
        summary: None,
        ..ITunesChannelExtension::default()
    };
    let namespaces = [
        ("itunes", ITUNES_NS),
        ("podcast", PODCAST_NS),
        ("content", CONTENT_NS),
        ("atom", ATOM_NS),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let built = rfc2822_of(last_modified);
    let channel = Channel {
        title: show.title.clone(),
        link: link.clone(),
        description: show.description.clone(),
        language: Some(show.language.clone()),
        copyright: show.copyright.clone(),
        generator: Some("Agora".to_owned()),
        last_build_date: Some(built.clone()),
        pub_date: episodes
            .first()
            .and_then(|e| e.published_at.as_deref())
            .and_then(rfc2822)
            .or(Some(built)),
        image: Some(Image {
            url: show.image_url.clone(),
            title: show.title.clone(),
            link,
            ..Image::default()
        }),
        items: episodes.iter().map(|e| item(e, show, config)).collect(),
        extensions,
        itunes_ext: Some(itunes),
        namespaces,
        ..Channel::default()
    };
    channel.to_string()
}

#[cfg(test)]
mod tests {
    use super::seconds;

    #[test]
    fn soundbite_times_are_seconds_with_their_fraction() {
        assert_eq!(seconds(73_000), "73");
        assert_eq!(seconds(73_500), "73.5");
        assert_eq!(seconds(1_005), "1.005");
    }
}
