//! `analytics.podcast_downloads`: downloads per show per day across the platform, for analysts
//! (a show's owner reads their own show's figures in the podcasts context). Built from
//! `download_counted` (one per listener, episode and UTC day, as the podcasts context counts
//! them: IAB v2.2) and the shows' titles.

use async_trait::async_trait;
use event_schemas::podcasts;
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::AnyConnection;

/// The projection's name (its checkpoint key).
pub const PODCAST_DOWNLOADS: &str = "analytics.podcast_downloads";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS analytics_show_downloads_daily (
        day       TEXT NOT NULL,
        show_id   TEXT NOT NULL,
        downloads BIGINT NOT NULL,
        PRIMARY KEY (day, show_id)
    )",
    "CREATE TABLE IF NOT EXISTS analytics_shows (
        show_id TEXT PRIMARY KEY,
        title   TEXT NOT NULL
    )",
];

/// Downloads per show and day.
#[derive(Debug, Default)]
pub struct DownloadsProjection;

fn field<'a>(event: &'a Recorded, name: &str) -> Option<&'a str> {
    event.data.get(name).and_then(serde_json::Value::as_str)
}

#[async_trait]
impl Projection for DownloadsProjection {
    fn name(&self) -> &'static str {
        PODCAST_DOWNLOADS
    }

    fn handles(&self) -> Interest {
        Interest::Types(&[
            podcasts::SHOW_CREATED,
            podcasts::SHOW_EDITED,
            podcasts::DOWNLOAD_COUNTED,
        ])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["analytics_show_downloads_daily", "analytics_shows"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        // The fields read here are part of the published schemas (event-schemas/schemas/).
        match event.event_type.as_str() {
            podcasts::SHOW_CREATED | podcasts::SHOW_EDITED => {
                let title = event
                    .data
                    .get("details")
                    .and_then(|d| d.get("title"))
                    .and_then(serde_json::Value::as_str);
                let (Some(id), Some(title)) = (field(event, "show_id"), title) else {
                    return Ok(());
                };
                sqlx::query(
                    "INSERT INTO analytics_shows (show_id, title) VALUES ($1, $2) \
                     ON CONFLICT (show_id) DO UPDATE SET title = excluded.title",
                )
                .bind(id.to_owned())
                .bind(title.to_owned())
                .execute(&mut *conn)
                .await?;
            }
            podcasts::DOWNLOAD_COUNTED => {
                let (Some(show), Some(day)) = (field(event, "show_id"), field(event, "day")) else {
                    return Ok(());
                };
                sqlx::query(
                    "INSERT INTO analytics_show_downloads_daily (day, show_id, downloads) \
                     VALUES ($1, $2, 1) ON CONFLICT (day, show_id) DO UPDATE \
                     SET downloads = analytics_show_downloads_daily.downloads + 1",
                )
                .bind(day.to_owned())
                .bind(show.to_owned())
                .execute(&mut *conn)
                .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
