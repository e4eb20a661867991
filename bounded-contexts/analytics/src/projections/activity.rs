//! `analytics.activity`: new and active users per day, posts and comments per community per
//! day.

use async_trait::async_trait;
use event_schemas::{communities, identity};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::AnyConnection;

use super::day_of;

/// The projection's name (its checkpoint key).
pub const ACTIVITY: &str = "analytics.activity";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS analytics_new_users_daily (
        day   TEXT PRIMARY KEY,
        users BIGINT NOT NULL
    )",
    // Who did something on a day: one row per (day, user).
    "CREATE TABLE IF NOT EXISTS analytics_active_users (
        day     TEXT NOT NULL,
        user_id TEXT NOT NULL,
        PRIMARY KEY (day, user_id)
    )",
    "CREATE TABLE IF NOT EXISTS analytics_community_daily (
        day            TEXT NOT NULL,
        community_id   TEXT NOT NULL,
        community_name TEXT NOT NULL,
        posts          BIGINT NOT NULL DEFAULT 0,
        comments       BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (day, community_id)
    )",
    "CREATE TABLE IF NOT EXISTS analytics_communities (
        community_id TEXT PRIMARY KEY,
        name         TEXT NOT NULL
    )",
];

/// Users and communities.
#[derive(Debug, Default)]
pub struct ActivityProjection;

/// The user an event was recorded for, when it was a user (not `system:...`).
fn acting_user(event: &Recorded) -> Option<String> {
    let actor = event.metadata.actor.as_deref()?;
    uuid::Uuid::parse_str(actor).ok().map(|u| u.to_string())
}

fn field<'a>(event: &'a Recorded, name: &str) -> Option<&'a str> {
    event.data.get(name).and_then(serde_json::Value::as_str)
}

async fn community_name(
    conn: &mut AnyConnection,
    community_id: &str,
) -> Result<String, sqlx::Error> {
    let name: Option<String> =
        sqlx::query_scalar("SELECT name FROM analytics_communities WHERE community_id = $1")
            .bind(community_id)
            .fetch_optional(conn)
            .await?;
    Ok(name.unwrap_or_default())
}

#[async_trait]
impl Projection for ActivityProjection {
    fn name(&self) -> &'static str {
        ACTIVITY
    }

    /// Every event: any of them makes its actor active that day.
    fn handles(&self) -> Interest {
        Interest::Everything
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "analytics_new_users_daily",
            "analytics_active_users",
            "analytics_community_daily",
            "analytics_communities",
        ]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        let day = day_of(event);
        if let Some(user) = acting_user(event) {
            sqlx::query(
                "INSERT INTO analytics_active_users (day, user_id) VALUES ($1, $2) \
                 ON CONFLICT (day, user_id) DO NOTHING",
            )
            .bind(&day)
            .bind(user)
            .execute(&mut *conn)
            .await?;
        }
        // The fields read here are part of the published schemas (event-schemas/schemas/).
        match event.event_type.as_str() {
            identity::USER_REGISTERED => {
                sqlx::query(
                    "INSERT INTO analytics_new_users_daily (day, users) VALUES ($1, 1) \
                     ON CONFLICT (day) DO UPDATE SET users = analytics_new_users_daily.users + 1",
                )
                .bind(&day)
                .execute(&mut *conn)
                .await?;
            }
            communities::COMMUNITY_CREATED => {
                let (Some(id), Some(name)) = (field(event, "community_id"), field(event, "name"))
                else {
                    return Ok(());
                };
                sqlx::query(
                    "INSERT INTO analytics_communities (community_id, name) VALUES ($1, $2) \
                     ON CONFLICT (community_id) DO NOTHING",
                )
                .bind(id.to_owned())
                .bind(name.to_owned())
                .execute(&mut *conn)
                .await?;
            }
            communities::POST_CREATED | communities::COMMENT_CREATED => {
                let Some(id) = field(event, "community_id").map(str::to_owned) else {
                    return Ok(());
                };
                let name = match field(event, "community_name") {
                    Some(n) => n.to_owned(),
                    None => community_name(conn, &id).await?,
                };
                let column = if event.event_type == communities::POST_CREATED {
                    "posts"
                } else {
                    "comments"
                };
                let sql = format!(
                    "INSERT INTO analytics_community_daily (day, community_id, community_name, \
                     {column}) VALUES ($1, $2, $3, 1) ON CONFLICT (day, community_id) DO UPDATE \
                     SET {column} = analytics_community_daily.{column} + 1"
                );
                sqlx::query(&sql)
                    .bind(&day)
                    .bind(id)
                    .bind(name)
                    .execute(&mut *conn)
                    .await?;
            }
            _ => {}
        }
        Ok(())
    }
}
