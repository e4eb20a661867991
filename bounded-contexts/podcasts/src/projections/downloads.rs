//! Listening figures: downloads per episode and day, and per show and day.
//!
//! - `podcasts_download_listeners`: the (episode, day, listener hash) already counted, the
//!   guard that makes an event applied twice count once;
//! - `podcasts_episode_downloads`: downloads per episode and UTC day;
//! - `podcasts_show_downloads`: downloads per show and UTC day.

use async_trait::async_trait;
use event_schemas::podcasts::DownloadEvent;
use projections::{Interest, Projection, ProjectionError};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool, FromRow};
use utoipa::ToSchema;

/// The projection's name (its checkpoint key).
pub const DOWNLOADS: &str = "podcasts.downloads";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_download_listeners (
        episode_id TEXT NOT NULL,
        day        TEXT NOT NULL,
        listener   TEXT NOT NULL,
        PRIMARY KEY (episode_id, day, listener)
    )",
    "CREATE TABLE IF NOT EXISTS podcasts_episode_downloads (
        episode_id TEXT NOT NULL,
        day        TEXT NOT NULL,
        show_id    TEXT NOT NULL,
        downloads  BIGINT NOT NULL,
        PRIMARY KEY (episode_id, day)
    )",
    "CREATE INDEX IF NOT EXISTS podcasts_episode_downloads_by_show
        ON podcasts_episode_downloads (show_id, day, episode_id)",
    "CREATE TABLE IF NOT EXISTS podcasts_show_downloads (
        show_id   TEXT NOT NULL,
        day       TEXT NOT NULL,
        downloads BIGINT NOT NULL,
        PRIMARY KEY (show_id, day)
    )",
];

/// An episode's downloads on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, FromRow, ToSchema)]
pub struct EpisodeDownloads {
    #[schema(format = Uuid)]
    pub episode_id: String,
    pub downloads: i64,
}

/// A show's downloads on one day, and each episode's share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayDownloads {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub downloads: i64,
    pub episodes: Vec<EpisodeDownloads>,
}

/// Up to `limit` days of `show_id`'s downloads from `from` to `to` (inclusive, `YYYY-MM-DD`),
/// oldest first, after day `after`; each with its episodes' counts.
///
/// # Errors
/// The read-model database failed.
pub async fn show_downloads(
    pool: &AnyPool,
    show_id: &str,
    from: &str,
    to: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<DayDownloads>, sqlx::Error> {
    let days: Vec<(String, i64)> = sqlx::query_as(
        "SELECT day, downloads FROM podcasts_show_downloads \
         WHERE show_id = $1 AND day >= $2 AND day <= $3 AND day > $4 ORDER BY day LIMIT $5",
    )
    .bind(show_id)
    .bind(from)
    .bind(to)
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Vec::new());
    };
    let per_episode: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT day, episode_id, downloads FROM podcasts_episode_downloads \
         WHERE show_id = $1 AND day >= $2 AND day <= $3 ORDER BY day, episode_id",
    )
    .bind(show_id)
    .bind(first.0.clone())
    .bind(last.0.clone())
    .fetch_all(pool)
    .await?;
    Ok(days
        .into_iter()
        .map(|(day, downloads)| DayDownloads {
            episodes: per_episode
                .iter()
                .filter(|(d, _, _)| *d == day)
                .map(|(_, episode_id, n)| EpisodeDownloads {
                    episode_id: episode_id.clone(),
                    downloads: *n,
                })
                .collect(),
            day,
            downloads,
        })
        .collect())
}

#[derive(Debug, Default)]
pub struct DownloadsProjection;

#[async_trait]
impl Projection for DownloadsProjection {
    fn name(&self) -> &'static str {
        DOWNLOADS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::podcasts::DOWNLOAD_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "podcasts_download_listeners",
            "podcasts_episode_downloads",
            "podcasts_show_downloads",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let DownloadEvent::Counted(d) =
            DownloadEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let first = sqlx::query(
            "INSERT INTO podcasts_download_listeners (episode_id, day, listener) \
             VALUES ($1, $2, $3) ON CONFLICT (episode_id, day, listener) DO NOTHING",
        )
        .bind(d.episode_id.to_string())
        .bind(d.day.clone())
        .bind(d.listener.clone())
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if first == 0 {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO podcasts_episode_downloads (episode_id, day, show_id, downloads) \
             VALUES ($1, $2, $3, 1) ON CONFLICT (episode_id, day) DO UPDATE \
             SET downloads = podcasts_episode_downloads.downloads + 1",
        )
        .bind(d.episode_id.to_string())
        .bind(d.day.clone())
        .bind(d.show_id.to_string())
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO podcasts_show_downloads (show_id, day, downloads) VALUES ($1, $2, 1) \
             ON CONFLICT (show_id, day) DO UPDATE \
             SET downloads = podcasts_show_downloads.downloads + 1",
        )
        .bind(d.show_id.to_string())
        .bind(d.day)
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}
