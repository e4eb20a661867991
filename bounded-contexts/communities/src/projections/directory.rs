//! The community directory: each community's settings, member count and moderators (whom the
//! moderator-only reads check).

use async_trait::async_trait;
use event_schemas::communities::{
    AnyCommunitiesEvent, CommunityEvent, MembershipEvent, Visibility,
};
use projections::{Interest, Projection, ProjectionError};
use serde::Serialize;
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool};
use utoipa::ToSchema;

use super::{is_communities_event, timestamp};

/// The projection's name (its checkpoint key).
pub const DIRECTORY: &str = "communities.directory";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS communities_directory (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        title        TEXT NOT NULL,
        description  TEXT NOT NULL,
        rules        TEXT NOT NULL,
        visibility   TEXT NOT NULL,
        owner_id     TEXT NOT NULL,
        member_count BIGINT NOT NULL DEFAULT 0,
        created_at   TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        version      BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS communities_moderators (
        community_id TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        appointed_by TEXT NOT NULL,
        appointed_at TEXT NOT NULL,
        PRIMARY KEY (community_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS communities_members (
        community_id TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        joined_at    TEXT NOT NULL,
        PRIMARY KEY (community_id, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS communities_bans (
        community_id TEXT NOT NULL,
        user_id      TEXT NOT NULL,
        moderator_id TEXT NOT NULL,
        reason       TEXT NOT NULL,
        expires_at   TEXT,
        banned_at    TEXT NOT NULL,
        PRIMARY KEY (community_id, user_id)
    )",
];

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommunityRow {
    pub id: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub rules: String,
    pub visibility: String,
    pub owner_id: String,
    pub member_count: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A community, as `GET /communities/{name}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Community {
    #[schema(format = Uuid)]
    pub id: String,
    /// Lower-case, unique.
    #[schema(example = "rustlang")]
    pub name: String,
    #[schema(example = "The Rust programming language")]
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    #[schema(format = Uuid)]
    pub owner_id: String,
    pub member_count: i64,
    /// The user ids of its moderators (the owner among them).
    pub moderators: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl CommunityRow {
    /// The community as the API shows it, with its `moderators`.
    #[must_use]
    pub fn view(self, moderators: Vec<String>) -> Community {
        Community {
            // Both are written by this projection alone, from values the domain checked.
            rules: serde_json::from_str(&self.rules).unwrap_or_default(),
            visibility: if self.visibility == Visibility::Restricted.as_str() {
                Visibility::Restricted
            } else {
                Visibility::Public
            },
            id: self.id,
            name: self.name,
            title: self.title,
            description: self.description,
            owner_id: self.owner_id,
            member_count: self.member_count,
            moderators,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A community by its name (names are stored lower-case).
///
/// # Errors
/// The read-model database failed.
pub async fn find_community(
    pool: &AnyPool,
    name: &str,
) -> Result<Option<CommunityRow>, sqlx::Error> {
    sqlx::query_as::<_, CommunityRow>(
        "SELECT id, name, title, description, rules, visibility, owner_id, member_count, \
         created_at, updated_at FROM communities_directory WHERE name = $1",
    )
    .bind(name.to_lowercase())
    .fetch_optional(pool)
    .await
}

/// The community's moderators, longest-serving first.
///
/// # Errors
/// The read-model database failed.
pub async fn moderators(pool: &AnyPool, community_id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT user_id FROM communities_moderators WHERE community_id = $1 \
         ORDER BY appointed_at, user_id",
    )
    .bind(community_id.to_owned())
    .fetch_all(pool)
    .await
}

/// Whether `user_id` moderates the community.
///
/// # Errors
/// The read-model database failed.
pub async fn is_moderator(
    pool: &AnyPool,
    community_id: &str,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<String> = sqlx::query_scalar(
        "SELECT user_id FROM communities_moderators WHERE community_id = $1 AND user_id = $2",
    )
    .bind(community_id.to_owned())
    .bind(user_id.to_owned())
    .fetch_optional(pool)
    .await?;
    Ok(found.is_some())
}

#[derive(Debug, Default)]
pub struct DirectoryProjection;

#[async_trait]
impl Projection for DirectoryProjection {
    fn name(&self) -> &'static str {
        DIRECTORY
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "communities_directory",
            "communities_moderators",
            "communities_members",
            "communities_bans",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if !is_communities_event(event) {
            return Ok(());
        }
        let at = timestamp(event.recorded_at);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        match AnyCommunitiesEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        )? {
            AnyCommunitiesEvent::Community(e) => apply_community(conn, e, &at, version).await,
            AnyCommunitiesEvent::Membership(e) => apply_membership(conn, e, &at).await,
            _ => Ok(()),
        }
    }
}

async fn apply_community(
    conn: &mut AnyConnection,
    event: CommunityEvent,
    at: &str,
    version: i64,
) -> Result<(), ProjectionError> {
    let query = match event {
        CommunityEvent::Created(c) => sqlx::query(
            "INSERT INTO communities_directory (id, name, title, description, rules, visibility, \
             owner_id, member_count, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, \
             (SELECT COUNT(*) FROM communities_members WHERE community_id = $1), $8, $8, $9) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(c.community_id.to_string())
        .bind(c.name.to_lowercase())
        .bind(c.title)
        .bind(c.description)
        .bind(serde_json::to_string(&c.rules).unwrap_or_else(|_| "[]".into()))
        .bind(c.visibility.as_str().to_owned())
        .bind(c.owner_id.to_string())
        .bind(at.to_owned())
        .bind(version),
        CommunityEvent::SettingsChanged(s) => sqlx::query(
            "UPDATE communities_directory SET title = $2, description = $3, rules = $4, \
             visibility = $5, updated_at = $6, version = $7 WHERE id = $1 AND version < $7",
        )
        .bind(s.community_id.to_string())
        .bind(s.title)
        .bind(s.description)
        .bind(serde_json::to_string(&s.rules).unwrap_or_else(|_| "[]".into()))
        .bind(s.visibility.as_str().to_owned())
        .bind(at.to_owned())
        .bind(version),
        CommunityEvent::ModeratorAppointed(m) => sqlx::query(
            "INSERT INTO communities_moderators (community_id, user_id, appointed_by, appointed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (community_id, user_id) DO NOTHING",
        )
        .bind(m.community_id.to_string())
        .bind(m.user_id.to_string())
        .bind(m.appointed_by.to_string())
        .bind(at.to_owned()),
        CommunityEvent::ModeratorRemoved(m) => {
            sqlx::query("DELETE FROM communities_moderators WHERE community_id = $1 AND user_id = $2")
                .bind(m.community_id.to_string())
                .bind(m.user_id.to_string())
        }
    };
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn apply_membership(
    conn: &mut AnyConnection,
    event: MembershipEvent,
    at: &str,
) -> Result<(), ProjectionError> {
    match event {
        MembershipEvent::Joined(j) => {
            let joined = sqlx::query(
                "INSERT INTO communities_members (community_id, user_id, joined_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (community_id, user_id) DO NOTHING",
            )
            .bind(j.community_id.to_string())
            .bind(j.user_id.to_string())
            .bind(at.to_owned())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            count_members(conn, &j.community_id.to_string(), joined_delta(joined, 1)).await?;
        }
        MembershipEvent::Left(l) => {
            let left = sqlx::query(
                "DELETE FROM communities_members WHERE community_id = $1 AND user_id = $2",
            )
            .bind(l.community_id.to_string())
            .bind(l.user_id.to_string())
            .execute(&mut *conn)
            .await?
            .rows_affected();
            count_members(conn, &l.community_id.to_string(), joined_delta(left, -1)).await?;
        }
        MembershipEvent::Banned(b) => {
            sqlx::query(
                "INSERT INTO communities_bans (community_id, user_id, moderator_id, reason, \
                 expires_at, banned_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (community_id, user_id) DO UPDATE SET moderator_id = excluded.moderator_id, \
                 reason = excluded.reason, expires_at = excluded.expires_at, banned_at = excluded.banned_at",
            )
            .bind(b.community_id.to_string())
            .bind(b.user_id.to_string())
            .bind(b.moderator_id.to_string())
            .bind(b.reason)
            .bind(b.expires_at.map(super::timestamp))
            .bind(at.to_owned())
            .execute(&mut *conn)
            .await?;
        }
        MembershipEvent::Unbanned(u) => {
            sqlx::query("DELETE FROM communities_bans WHERE community_id = $1 AND user_id = $2")
                .bind(u.community_id.to_string())
                .bind(u.user_id.to_string())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

const fn joined_delta(rows: u64, per_row: i64) -> i64 {
    if rows > 0 { per_row } else { 0 }
}

async fn count_members(
    conn: &mut AnyConnection,
    community_id: &str,
    delta: i64,
) -> Result<(), sqlx::Error> {
    if delta == 0 {
        return Ok(());
    }
    sqlx::query("UPDATE communities_directory SET member_count = member_count + $2 WHERE id = $1")
        .bind(community_id.to_owned())
        .bind(delta)
        .execute(conn)
        .await?;
    Ok(())
}
