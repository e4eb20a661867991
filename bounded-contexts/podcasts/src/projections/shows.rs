//! Every show as it is now, for the API and the feed: `podcasts_shows` (one row per show, a
//! deleted one kept with `deleted = 1` so its feed can answer 410), and `podcasts_show_search`
//! (full text over title, author and description, see `search`).

use async_trait::async_trait;
use event_schemas::podcasts::{Funding, Person, ShowDetails, ShowEvent};
use projections::{Backend, Interest, Projection, ProjectionError};
use serde::{Deserialize, Serialize};
use shared_kernel::{DomainEvent, Recorded};
use sqlx::{AnyConnection, AnyPool, FromRow};
use utoipa::ToSchema;

use super::search;
use super::{recorded_at, version_of};

/// The projection's name (its checkpoint key).
pub const SHOWS: &str = "podcasts.shows";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_shows (
        id           TEXT PRIMARY KEY,
        owner_id     TEXT NOT NULL,
        podcast_guid TEXT NOT NULL,
        feed_url     TEXT NOT NULL,
        title        TEXT NOT NULL,
        description  TEXT NOT NULL,
        author       TEXT NOT NULL,
        language     TEXT NOT NULL,
        category     TEXT NOT NULL,
        subcategory  TEXT,
        explicit     BIGINT NOT NULL,
        image_url    TEXT NOT NULL,
        link         TEXT,
        copyright    TEXT,
        owner_name   TEXT,
        owner_email  TEXT,
        show_type    TEXT NOT NULL,
        locked       BIGINT NOT NULL,
        funding      TEXT NOT NULL,
        persons      TEXT NOT NULL,
        deleted      BIGINT NOT NULL,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        version      BIGINT NOT NULL
    )",
    // The listing: newest first, keyset on (created_at, id).
    "CREATE INDEX IF NOT EXISTS podcasts_shows_by_created
        ON podcasts_shows (deleted, created_at, id)",
];

const POSTGRES_SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS podcasts_show_search (
        id       TEXT PRIMARY KEY,
        document tsvector NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS podcasts_show_search_document
        ON podcasts_show_search USING GIN (document)",
];

const SQLITE_SCHEMA: &[&str] = &[
    "CREATE VIRTUAL TABLE IF NOT EXISTS podcasts_show_search USING fts5(
        id UNINDEXED,
        title,
        body,
        tokenize = 'porter unicode61'
    )",
];

const SEARCH_TABLE: &str = "podcasts_show_search";

/// A show as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ShowView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub owner_id: String,
    /// `podcast:guid` (UUIDv5 of the feed URL without its scheme), fixed at creation.
    #[schema(format = Uuid)]
    pub podcast_guid: String,
    pub feed_url: String,
    pub title: String,
    /// Cleaned HTML.
    pub description: String,
    pub author: String,
    pub language: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub explicit: bool,
    pub image_url: String,
    pub link: Option<String>,
    pub copyright: Option<String>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    /// `episodic` or `serial`.
    pub show_type: String,
    pub locked: bool,
    pub funding: Vec<Funding>,
    pub persons: Vec<Person>,
    /// Listeners subscribed now.
    pub subscribers: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

/// A row of `podcasts_shows` (with the subscriber count joined in).
#[derive(Debug, Clone, FromRow)]
pub struct ShowRow {
    pub id: String,
    pub owner_id: String,
    pub podcast_guid: String,
    pub feed_url: String,
    pub title: String,
    pub description: String,
    pub author: String,
    pub language: String,
    pub category: String,
    pub subcategory: Option<String>,
    pub explicit: i64,
    pub image_url: String,
    pub link: Option<String>,
    pub copyright: Option<String>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub show_type: String,
    pub locked: i64,
    pub funding: String,
    pub persons: String,
    pub deleted: i64,
    pub created_at: String,
    pub updated_at: String,
    pub subscribers: i64,
}

impl ShowRow {
    /// Whether the owner deleted the show.
    #[must_use]
    pub const fn is_deleted(&self) -> bool {
        self.deleted != 0
    }

    /// The funding links.
    #[must_use]
    pub fn funding(&self) -> Vec<Funding> {
        serde_json::from_str(&self.funding).unwrap_or_default()
    }

    /// The persons.
    #[must_use]
    pub fn persons(&self) -> Vec<Person> {
        serde_json::from_str(&self.persons).unwrap_or_default()
    }

    /// The row as the API shows it.
    #[must_use]
    pub fn view(&self) -> ShowView {
        ShowView {
            id: self.id.clone(),
            owner_id: self.owner_id.clone(),
            podcast_guid: self.podcast_guid.clone(),
            feed_url: self.feed_url.clone(),
            title: self.title.clone(),
            description: self.description.clone(),
            author: self.author.clone(),
            language: self.language.clone(),
            category: self.category.clone(),
            subcategory: self.subcategory.clone(),
            explicit: self.explicit != 0,
            image_url: self.image_url.clone(),
            link: self.link.clone(),
            copyright: self.copyright.clone(),
            owner_name: self.owner_name.clone(),
            owner_email: self.owner_email.clone(),
            show_type: self.show_type.clone(),
            locked: self.locked != 0,
            funding: self.funding(),
            persons: self.persons(),
            subscribers: self.subscribers,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

const COLUMNS: &str = "s.id, s.owner_id, s.podcast_guid, s.feed_url, s.title, s.description, \
     s.author, s.language, s.category, s.subcategory, s.explicit, s.image_url, s.link, \
     s.copyright, s.owner_name, s.owner_email, s.show_type, s.locked, s.funding, s.persons, \
     s.deleted, s.created_at, s.updated_at, COALESCE(c.subscribers, 0) AS subscribers";
const FROM: &str = "podcasts_shows s LEFT JOIN podcasts_show_subscribers c ON c.show_id = s.id";

/// The show `id`, deleted or not.
///
/// # Errors
/// The read-model database failed.
pub async fn find_show(pool: &AnyPool, id: &str) -> Result<Option<ShowRow>, sqlx::Error> {
    sqlx::query_as::<_, ShowRow>(&format!("SELECT {COLUMNS} FROM {FROM} WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// The shows `ids` names that are not deleted (titles for lists of subscriptions).
///
/// # Errors
/// The read-model database failed.
pub async fn shows_by_id(pool: &AnyPool, ids: &[String]) -> Result<Vec<ShowRow>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.id IN ({})",
        marks.join(", ")
    );
    let mut query = sqlx::query_as::<_, ShowRow>(&sql);
    for id in ids {
        query = query.bind(id.clone());
    }
    query.fetch_all(pool).await
}

/// Where a page of shows starts.
#[derive(Debug, Clone, PartialEq)]
pub enum ShowsAfter {
    Start,
    /// Newest first: after this creation time and id.
    Created(String, String),
    /// By relevance: after this score and id.
    Score(f64, String),
}

/// Up to `limit` shows that are not deleted: newest first, or matching `text` by relevance.
/// Each row comes with its relevance score (0 without text).
///
/// # Errors
/// The read-model database failed.
pub async fn list_shows(
    pool: &AnyPool,
    text: Option<&str>,
    after: &ShowsAfter,
    limit: i64,
) -> Result<Vec<(ShowRow, f64)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let backend = Backend::of(&conn);
    let rows: Vec<(ShowRow, f64)> = match text {
        None => {
            let (created, id) = match after {
                ShowsAfter::Created(c, i) => (c.clone(), i.clone()),
                _ => ("9999".to_owned(), String::new()),
            };
            let sql = format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE s.deleted = 0 \
                 AND (s.created_at < $1 OR (s.created_at = $1 AND s.id < $2)) \
                 ORDER BY s.created_at DESC, s.id DESC LIMIT $3"
            );
            sqlx::query_as::<_, ShowRow>(&sql)
                .bind(created)
                .bind(id)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|r| (r, 0.0))
                .collect()
        }
        Some(text) => {
            let (from, matches, score) = search::matching(backend, SEARCH_TABLE);
            let table = if backend == Backend::Postgres {
                "m"
            } else {
                SEARCH_TABLE
            };
            let (after_score, after_id) = match after {
                ShowsAfter::Score(s, i) => (*s, i.clone()),
                _ => (f64::MAX, String::new()),
            };
            let sql = format!(
                "SELECT * FROM (SELECT {COLUMNS}, {score} AS score FROM {from} \
                 JOIN podcasts_shows s ON s.id = {table}.id \
                 LEFT JOIN podcasts_show_subscribers c ON c.show_id = s.id \
                 WHERE {matches} AND s.deleted = 0) x \
                 WHERE x.score < $2 OR (x.score = $2 AND x.id > $3) \
                 ORDER BY x.score DESC, x.id LIMIT $4"
            );
            let rows = sqlx::query(&sql)
                .bind(search::query_text(backend, text))
                .bind(after_score)
                .bind(after_id)
                .bind(limit)
                .fetch_all(&mut *conn)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                use sqlx::Row;
                out.push((ShowRow::from_row(row)?, row.try_get::<f64, _>("score")?));
            }
            out
        }
    };
    Ok(rows)
}

#[derive(Debug, Default)]
pub struct ShowsProjection;

async fn write_details(
    conn: &mut AnyConnection,
    id: &str,
    d: &ShowDetails,
    version: i64,
    at: &str,
) -> Result<(), sqlx::Error> {
    let written = sqlx::query(
        "UPDATE podcasts_shows SET title = $2, description = $3, author = $4, language = $5, \
         category = $6, subcategory = $7, explicit = $8, image_url = $9, link = $10, \
         copyright = $11, owner_name = $12, owner_email = $13, show_type = $14, locked = $15, \
         funding = $16, persons = $17, updated_at = $18, version = $19 \
         WHERE id = $1 AND version < $19",
    )
    .bind(id)
    .bind(d.title.clone())
    .bind(d.description.clone())
    .bind(d.author.clone())
    .bind(d.language.clone())
    .bind(d.category.clone())
    .bind(d.subcategory.clone())
    .bind(i64::from(d.explicit))
    .bind(d.image_url.clone())
    .bind(d.link.clone())
    .bind(d.copyright.clone())
    .bind(d.owner_name.clone())
    .bind(d.owner_email.clone())
    .bind(d.show_type.as_str())
    .bind(i64::from(d.locked))
    .bind(serde_json::to_string(&d.funding).unwrap_or_else(|_| "[]".into()))
    .bind(serde_json::to_string(&d.persons).unwrap_or_else(|_| "[]".into()))
    .bind(at)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    if written.rows_affected() > 0 {
        let body = format!("{} {}", d.author, d.description);
        search::index(conn, SEARCH_TABLE, id, &d.title, &body).await?;
    }
    Ok(())
}

#[async_trait]
impl Projection for ShowsProjection {
    fn name(&self) -> &'static str {
        SHOWS
    }

    fn handles(&self) -> Interest {
        Interest::Types(event_schemas::podcasts::SHOW_EVENTS)
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
        &["podcasts_shows", SEARCH_TABLE]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let e = ShowEvent::decode(&event.event_type, event.schema_version, event.data.clone())?;
        let version = version_of(event);
        let at = recorded_at(event);
        let id = e.show_id().to_string();
        match &e {
            ShowEvent::Created(c) => {
                // Inserted at version 0, then written as any edit: one path for the details.
                sqlx::query(
                    "INSERT INTO podcasts_shows (id, owner_id, podcast_guid, feed_url, title, \
                     description, author, language, category, explicit, image_url, show_type, \
                     locked, funding, persons, deleted, created_at, updated_at, version) \
                     VALUES ($1, $2, $3, $4, '', '', '', '', '', 0, '', 'episodic', 0, '[]', \
                     '[]', 0, $5, $5, 0) ON CONFLICT (id) DO NOTHING",
                )
                .bind(id.clone())
                .bind(c.owner_id.to_string())
                .bind(c.podcast_guid.to_string())
                .bind(c.feed_url.clone())
                .bind(at.clone())
                .execute(&mut *conn)
                .await?;
                write_details(conn, &id, &c.details, version, &at).await?;
            }
            ShowEvent::Edited(edit) => {
                write_details(conn, &id, &edit.details, version, &at).await?;
            }
            ShowEvent::Deleted(_) => {
                let written = sqlx::query(
                    "UPDATE podcasts_shows SET deleted = 1, updated_at = $2, version = $3 \
                     WHERE id = $1 AND version < $3",
                )
                .bind(id.clone())
                .bind(at)
                .bind(version)
                .execute(&mut *conn)
                .await?;
                if written.rows_affected() > 0 {
                    search::remove(conn, SEARCH_TABLE, &id).await?;
                }
            }
        }
        Ok(())
    }
}
