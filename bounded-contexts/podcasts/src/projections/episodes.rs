//! Every episode as it is now: `podcasts_episodes` (drafts, schedules and publications, each
//! row guarded by its stream version) and `podcasts_episode_search` (full text over title and
//! show notes). The feed, the lists and the search read it; nothing folds events per request.

use async_trait::async_trait;
use chrono::SecondsFormat;
use event_schemas::podcasts::{EpisodeDetails, EpisodeEvent, Soundbite, Transcript};
use projections::{Backend, Interest, Projection, ProjectionError};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Recorded, Timestamp};
use sqlx::{AnyConnection, AnyPool, FromRow, Row};
use utoipa::ToSchema;

use super::search;
use super::{recorded_at, version_of};

/// The projection's name (its checkpoint key).
pub const EPISODES: &str = "podcasts.episodes";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_episodes (
        id               TEXT PRIMARY KEY,
        show_id          TEXT NOT NULL,
        owner_id         TEXT NOT NULL,
        guid             TEXT NOT NULL,
        title            TEXT NOT NULL,
        description      TEXT NOT NULL,
        audio_url        TEXT NOT NULL,
        audio_bytes      BIGINT NOT NULL,
        audio_type       TEXT NOT NULL,
        duration_seconds BIGINT NOT NULL,
        season           BIGINT,
        episode_number   BIGINT,
        episode_type     TEXT NOT NULL,
        explicit         BIGINT NOT NULL,
        image_url        TEXT,
        transcript_url   TEXT,
        transcript_type  TEXT,
        chapters_url     TEXT,
        soundbites       TEXT NOT NULL,
        status           TEXT NOT NULL,
        scheduled_at     TEXT,
        published_at     TEXT,
        sort_at          TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        updated_at       TEXT NOT NULL,
        version          BIGINT NOT NULL
    )",
    // A show's list (and feed), newest first, keyset on (sort_at, id).
    "CREATE INDEX IF NOT EXISTS podcasts_episodes_by_show
        ON podcasts_episodes (show_id, status, sort_at, id)",
    "CREATE INDEX IF NOT EXISTS podcasts_episodes_by_show_all
        ON podcasts_episodes (show_id, sort_at, id)",
];

const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_episode_search (
        id       TEXT PRIMARY KEY,
        document tsvector NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS podcasts_episode_search_document
        ON podcasts_episode_search USING GIN (document)",
];

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS podcasts_episode_search USING fts5(
        id UNINDEXED,
        title,
        body,
        tokenize = 'porter unicode61'
    )",
];

const SEARCH_TABLE: &str = "podcasts_episode_search";

/// An episode as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EpisodeView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub show_id: String,
    /// The item's `guid` in the feed (edits keep it).
    pub guid: String,
    pub title: String,
    /// Cleaned HTML.
    pub description: String,
    pub audio_url: String,
    pub audio_bytes: i64,
    pub audio_type: String,
    pub duration_seconds: i64,
    pub season: Option<i64>,
    pub episode_number: Option<i64>,
    /// `full`, `trailer` or `bonus`.
    pub episode_type: String,
    pub explicit: bool,
    pub image_url: Option<String>,
    pub transcript: Option<Transcript>,
    pub chapters_url: Option<String>,
    pub soundbites: Vec<Soundbite>,
    /// `draft`, `scheduled` or `published` (only the owner sees the first two).
    pub status: String,
    /// When a scheduled episode will be published (RFC 3339).
    pub scheduled_at: Option<String>,
    /// Its `pubDate` (RFC 3339).
    pub published_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A row of `podcasts_episodes`.
#[derive(Debug, Clone, FromRow)]
pub struct EpisodeRow {
    pub id: String,
    pub show_id: String,
    pub owner_id: String,
    pub guid: String,
    pub title: String,
    pub description: String,
    pub audio_url: String,
    pub audio_bytes: i64,
    pub audio_type: String,
    pub duration_seconds: i64,
    pub season: Option<i64>,
    pub episode_number: Option<i64>,
    pub episode_type: String,
    pub explicit: i64,
    pub image_url: Option<String>,
    pub transcript_url: Option<String>,
    pub transcript_type: Option<String>,
    pub chapters_url: Option<String>,
    pub soundbites: String,
    pub status: String,
    pub scheduled_at: Option<String>,
    pub published_at: Option<String>,
    pub sort_at: String,
    pub created_at: String,
    pub updated_at: String,
}

impl EpisodeRow {
    /// Published, and its time has come (`now` as RFC 3339 at microseconds).
    #[must_use]
    pub fn is_public(&self, now: &str) -> bool {
        self.status == "published" && self.published_at.as_deref().is_some_and(|p| p <= now)
    }

    /// The soundbites.
    #[must_use]
    pub fn soundbites(&self) -> Vec<Soundbite> {
        serde_json::from_str(&self.soundbites).unwrap_or_default()
    }

    /// The transcript, if any.
    #[must_use]
    pub fn transcript(&self) -> Option<Transcript> {
        match (&self.transcript_url, &self.transcript_type) {
            (Some(url), Some(mime_type)) => Some(Transcript {
                url: url.clone(),
                mime_type: mime_type.clone(),
            }),
            _ => None,
        }
    }

    /// The row as the API shows it.
    #[must_use]
    pub fn view(&self) -> EpisodeView {
        EpisodeView {
            id: self.id.clone(),
            show_id: self.show_id.clone(),
            guid: self.guid.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            audio_url: self.audio_url.clone(),
            audio_bytes: self.audio_bytes,
            audio_type: self.audio_type.clone(),
            duration_seconds: self.duration_seconds,
            season: self.season,
            episode_number: self.episode_number,
            episode_type: self.episode_type.clone(),
            explicit: self.explicit != 0,
            image_url: self.image_url.clone(),
            transcript: self.transcript(),
            chapters_url: self.chapters_url.clone(),
            soundbites: self.soundbites(),
            status: self.status.clone(),
            scheduled_at: self.scheduled_at.clone(),
            published_at: self.published_at.clone(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// A time as the read model stores it (RFC 3339, UTC, microseconds), so text order is time
/// order.
#[must_use]
pub fn stored_time(t: Timestamp) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

const COLUMNS: &str = "e.id, e.show_id, e.owner_id, e.guid, e.title, e.description, \
     e.audio_url, e.audio_bytes, e.audio_type, e.duration_seconds, e.season, e.episode_number, \
     e.episode_type, e.explicit, e.image_url, e.transcript_url, e.transcript_type, \
     e.chapters_url, e.soundbites, e.status, e.scheduled_at, e.published_at, e.sort_at, \
     e.created_at, e.updated_at";

/// The episode `id`, whatever its status.
///
/// # Errors
/// The read-model database failed.
pub async fn find_episode(pool: &AnyPool, id: &str) -> Result<Option<EpisodeRow>, sqlx::Error> {
    sqlx::query_as::<_, EpisodeRow>(&format!(
        "SELECT {COLUMNS} FROM podcasts_episodes e WHERE e.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Up to `limit` episodes of `show_id`, whatever their status, without an `episode_number`:
/// (id, title), oldest first.
///
/// # Errors
/// The read-model database failed.
pub async fn episodes_without_number(
    pool: &AnyPool,
    show_id: &str,
    limit: i64,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as::<_, (String, String)>(
        "SELECT id, title FROM podcasts_episodes \
         WHERE show_id = $1 AND episode_number IS NULL ORDER BY created_at, id LIMIT $2",
    )
    .bind(show_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Which episodes a list shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeFilter {
    /// One show's, or (`None`) every show's that is not deleted.
    pub show_id: Option<String>,
    /// Drafts and schedules too (the show's owner).
    pub unpublished: bool,
    /// Now, RFC 3339 at microseconds: a published episode shows once its time has come.
    pub now: String,
}

/// Where a page of episodes starts.
#[derive(Debug, Clone, PartialEq)]
pub enum EpisodesAfter {
    Start,
    /// Newest first: after this time (publication, or creation of a draft) and id.
    Time(String, String),
    /// By relevance: after this score and id.
    Score(f64, String),
}

/// Up to `limit` episodes `filter` lets through: newest first, or matching `text` by
/// relevance; each with its score (0 without text).
///
/// # Errors
/// The read-model database failed.
pub async fn list_episodes(
    pool: &AnyPool,
    filter: &EpisodeFilter,
    text: Option<&str>,
    after: &EpisodesAfter,
    limit: i64,
) -> Result<Vec<(EpisodeRow, f64)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let backend = Backend::of(&conn);
    // $1 is the search text (or unused), $2 now, $3 the show; then the keyset and the limit.
    let mut conditions = vec![if filter.unpublished {
        "($2 = $2)".to_owned()
    } else {
        "e.status = 'published' AND e.published_at <= $2".to_owned()
    }];
    conditions.push(match filter.show_id {
        Some(_) => "e.show_id = $3".to_owned(),
        None => {
            "$3 = $3 AND e.show_id IN (SELECT id FROM podcasts_shows WHERE deleted = 0)".to_owned()
        }
    });
    let (from, score, order, keyset) = match text {
        None => (
            "podcasts_episodes e".to_owned(),
            "CAST(0.0 AS DOUBLE PRECISION)".to_owned(),
            "x.sort_at DESC, x.id DESC",
            "(x.sort_at < $4 OR (x.sort_at = $4 AND x.id < $5))",
        ),
        Some(_) => {
            let (from, matches, score) = search::matching(backend, SEARCH_TABLE);
            let table = if backend == Backend::Postgres {
                "m"
            } else {
                SEARCH_TABLE
            };
            conditions.push(matches);
            (
                format!("{from} JOIN podcasts_episodes e ON e.id = {table}.id"),
                score,
                "x.score DESC, x.id",
                "(x.score < $6 OR (x.score = $6 AND x.id > $5))",
            )
        }
    };
    let text_arg = text.map_or_else(String::new, |t| search::query_text(backend, t));
    let (time, score_after, id) = match after {
        EpisodesAfter::Start => ("9999".to_owned(), f64::MAX, String::new()),
        EpisodesAfter::Time(t, id) => (t.clone(), f64::MAX, id.clone()),
        EpisodesAfter::Score(s, id) => ("9999".to_owned(), *s, id.clone()),
    };
    // Without search text, $1 must still appear once for PostgreSQL to know its type.
    let uses_text = if text.is_some() { "" } else { " AND $1 = $1" };
    let sql = format!(
        "SELECT * FROM (SELECT {COLUMNS}, {score} AS score FROM {from} WHERE {}{uses_text}) x \
         WHERE {keyset} AND $4 = $4 AND $6 = $6 ORDER BY {order} LIMIT $7",
        conditions.join(" AND ")
    );
    let rows = sqlx::query(&sql)
        .bind(text_arg)
        .bind(filter.now.clone())
        .bind(filter.show_id.clone().unwrap_or_default())
        .bind(time)
        .bind(id)
        .bind(score_after)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push((EpisodeRow::from_row(row)?, row.try_get::<f64, _>("score")?));
    }
    Ok(out)
}

/// What a show's feed carries: its published episodes whose time has come, newest first, at
/// most `limit`; and when any of the show's episodes last changed (an unpublished one leaves
/// the feed, which changes it too).
///
/// # Errors
/// The read-model database failed.
pub async fn feed_episodes(
    pool: &AnyPool,
    show_id: &str,
    now: &str,
    limit: i64,
) -> Result<(Vec<EpisodeRow>, Option<String>), sqlx::Error> {
    let rows = sqlx::query_as::<_, EpisodeRow>(&format!(
        "SELECT {COLUMNS} FROM podcasts_episodes e WHERE e.show_id = $1 \
         AND e.status = 'published' AND e.sort_at <= $2 \
         ORDER BY e.sort_at DESC, e.id DESC LIMIT $3"
    ))
    .bind(show_id)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    let changed: Option<String> =
        sqlx::query_scalar("SELECT max(updated_at) FROM podcasts_episodes WHERE show_id = $1")
            .bind(show_id)
            .fetch_one(pool)
            .await?;
    Ok((rows, changed))
}

#[derive(Debug, Default)]
pub struct EpisodesProjection;

async fn write_details(
    conn: &mut AnyConnection,
    id: &str,
    d: &EpisodeDetails,
    version: i64,
    at: &str,
) -> Result<(), sqlx::Error> {
    let written = sqlx::query(
        "UPDATE podcasts_episodes SET title = $2, description = $3, audio_url = $4, \
         audio_bytes = $5, audio_type = $6, duration_seconds = $7, season = $8, \
         episode_number = $9, episode_type = $10, explicit = $11, image_url = $12, \
         transcript_url = $13, transcript_type = $14, chapters_url = $15, soundbites = $16, \
         updated_at = $17, version = $18 WHERE id = $1 AND version < $18",
    )
    .bind(id)
    .bind(d.title.clone())
    .bind(d.description.clone())
    .bind(d.audio_url.clone())
    .bind(d.audio_bytes)
    .bind(d.audio_type.clone())
    .bind(d.duration_seconds)
    .bind(d.season)
    .bind(d.episode_number)
    .bind(d.episode_type.as_str())
    .bind(i64::from(d.explicit))
    .bind(d.image_url.clone())
    .bind(d.transcript.as_ref().map(|t| t.url.clone()))
    .bind(d.transcript.as_ref().map(|t| t.mime_type.clone()))
    .bind(d.chapters_url.clone())
    .bind(serde_json::to_string(&d.soundbites).unwrap_or_else(|_| "[]".into()))
    .bind(at)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if written.rows_affected() > 0 {
        search::index(conn, SEARCH_TABLE, id, &d.title, &d.description).await?;
    }
    Ok(())
}

/// Moves the episode's status (guarded by the stream version).
async fn set_status(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    scheduled_at: Option<String>,
    published_at: Option<String>,
    version: i64,
    at: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE podcasts_episodes SET status = $2, scheduled_at = $3, published_at = $4, \
         sort_at = COALESCE($4, created_at), updated_at = $5, version = $6 \
         WHERE id = $1 AND version < $6",
    )
    .bind(id)
    .bind(status)
    .bind(scheduled_at)
    .bind(published_at)
    .bind(at)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait]
impl Projection for EpisodesProjection {
    fn name(&self) -> &'static str {
        EPISODES
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::podcasts::EPISODE_EVENTS)
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn backend_schema(&self, backend: Backend) -> &'static [&'static str] {
        match backend {
            Backend::Postgres => POSTGRES_SCHEMA,
            Backend::Sqlite => SQLITE_SCHEMA,
        }
    }

    fn tables(&self) -> &'static [&'static str] {
        &["podcasts_episodes", SEARCH_TABLE]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let e = EpisodeEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        let at = recorded_at(event);
        let id = e.episode_id().to_string();
        match &e {
            EpisodeEvent::Drafted(d) => {
                sqlx::query(
                    "INSERT INTO podcasts_episodes (id, show_id, owner_id, guid, title, \
                     description, audio_url, audio_bytes, audio_type, duration_seconds, \
                     episode_type, explicit, soundbites, status, sort_at, created_at, \
                     updated_at, version) VALUES ($1, $2, $3, $4, '', '', '', 0, '', 0, 'full', \
                     0, '[]', 'draft', $5, $5, $5, 0) ON CONFLICT (id) DO NOTHING",
                )
                .bind(id.clone())
                .bind(d.show_id.to_string())
                .bind(d.owner_id.to_string())
                .bind(d.guid.clone())
                .bind(at.clone())
                .execute(&mut *conn)
                .await?;
                write_details(conn, &id, &d.details, version, &at).await?;
            }
            EpisodeEvent::Edited(edit) => {
                write_details(conn, &id, &edit.details, version, &at).await?;
            }
            EpisodeEvent::Scheduled(s) => {
                let when = Some(stored_time(s.at));
                set_status(conn, &id, "scheduled", when, None, version, &at).await?;
            }
            EpisodeEvent::Unscheduled(_) | EpisodeEvent::Unpublished(_) => {
                set_status(conn, &id, "draft", None, None, version, &at).await?;
            }
            EpisodeEvent::Published(p) => {
                let when = Some(stored_time(p.published_at));
                set_status(conn, &id, "published", None, when, version, &at).await?;
            }
        }
        Ok(())
    }
}
