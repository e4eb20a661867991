//! The podcasts context's settings (`src/config/` of the binary flattens them into `serve`).

use event_schemas::podcasts::ShowId;

/// The default public base URL: what `agora serve` listens on by default.
pub const DEFAULT_PUBLIC_BASE_URL: &str = "http://127.0.0.1:8080";

/// How the context names its public URLs, and the secret behind listener hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodcastsConfig {
    /// Where podcast apps reach this platform, without a trailing slash
    /// (`https://podcasts.example.org`). Feed URLs, and so every show's `podcast:guid`,
    /// derive from it.
    pub public_base_url: String,
    /// The server secret the daily listener salts derive from (see `ListenerHasher`).
    pub listener_secret: Vec<u8>,
}

impl Default for PodcastsConfig {
    fn default() -> Self {
        Self::new(DEFAULT_PUBLIC_BASE_URL, Vec::new())
    }
}

impl PodcastsConfig {
    /// The settings, with `public_base_url`'s trailing slashes removed.
    #[must_use]
    pub fn new(public_base_url: &str, listener_secret: Vec<u8>) -> Self {
        Self {
            public_base_url: public_base_url.trim().trim_end_matches('/').to_owned(),
            listener_secret,
        }
    }

    /// A show's feed URL: `<base>/api/v1/shows/<id>/feed.rss`.
    #[must_use]
    pub fn feed_url(&self, show_id: ShowId) -> String {
        format!("{}/api/v1/shows/{show_id}/feed.rss", self.public_base_url)
    }

    /// The show id of one of this platform's feed URLs (scheme and host as configured, or any
    /// scheme for the same host), if it is one.
    #[must_use]
    pub fn show_of_feed(&self, url: &str) -> Option<ShowId> {
        let without_scheme = |u: &str| u.split_once("://").map(|(_, rest)| rest.to_owned());
        let base = without_scheme(&self.public_base_url)?;
        let rest = without_scheme(url.trim())?;
        let path = rest.strip_prefix(&base)?;
        path.strip_prefix("/api/v1/shows/")?
            .strip_suffix("/feed.rss")?
            .parse()
            .ok()
    }

    /// An episode's audio route, which counts the download and redirects to the file.
    #[must_use]
    pub fn audio_url(&self, episode_id: impl std::fmt::Display) -> String {
        format!(
            "{}/api/v1/episodes/{episode_id}/audio",
            self.public_base_url
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_round_trip_and_others_are_not_ours() {
        let config = PodcastsConfig::new("https://pods.example.org/", vec![]);
        let id = ShowId::new();
        let url = config.feed_url(id);
        assert_eq!(
            url,
            format!("https://pods.example.org/api/v1/shows/{id}/feed.rss")
        );
        assert_eq!(config.show_of_feed(&url), Some(id));
        assert_eq!(config.show_of_feed(&url.replace("https", "http")), Some(id));
        assert_eq!(config.show_of_feed("https://feeds.example.com/rss"), None);
        assert_eq!(
            config.show_of_feed(&format!("https://evil.example/api/v1/shows/{id}/feed.rss")),
            None
        );
    }
}
