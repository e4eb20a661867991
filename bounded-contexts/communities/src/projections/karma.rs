//! Karma: per user and community, the sum of the scores of the user's posts and comments there.

use async_trait::async_trait;
use event_schemas::communities::{AnyCommunitiesEvent, CommentEvent, PostEvent, VoteEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool, Row as _};

use serde::Serialize;
use utoipa::ToSchema;

use super::cursor::{CursorSpec, KeyKind, PageCursor, SortKey, bind_after, spec};
use super::is_communities_event;

/// The projection's name (its checkpoint key).
pub const KARMA: &str = "communities.karma";

const SCHEMA: &[&str] = &[
    // Who wrote each post and comment, and where: a vote names only its target.
    "CREATE TABLE IF NOT EXISTS communities_karma_items (
        item_id      TEXT PRIMARY KEY,
        author_id    TEXT NOT NULL,
        community_id TEXT NOT NULL,
        score        BIGINT NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS communities_karma_votes (
        target_id TEXT NOT NULL,
        voter_id  TEXT NOT NULL,
        value     BIGINT NOT NULL,
        version   BIGINT NOT NULL,
        PRIMARY KEY (target_id, voter_id)
    )",
    "CREATE TABLE IF NOT EXISTS communities_karma (
        user_id      TEXT NOT NULL,
        community_id TEXT NOT NULL,
        karma        BIGINT NOT NULL,
        PRIMARY KEY (user_id, community_id)
    )",
    "CREATE INDEX IF NOT EXISTS communities_karma_by_user
        ON communities_karma (user_id, karma DESC, community_id DESC)",
];

/// A user's karma in one community.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize, ToSchema)]
pub struct CommunityKarma {
    #[schema(format = Uuid)]
    pub community_id: String,
    /// Null when the directory does not know the community (yet).
    pub community_name: Option<String>,
    pub karma: i64,
}

/// A karma page continues after a (karma, community) pair: highest karma first.
pub const KARMA_CURSOR: CursorSpec<'static> = spec("karma", KeyKind::INT);

impl CommunityKarma {
    /// Where a page that ends with this row continues.
    #[must_use]
    pub fn cursor(&self) -> PageCursor {
        PageCursor::new(
            KARMA_CURSOR.sort,
            SortKey::Int(self.karma),
            self.community_id.clone(),
        )
    }
}

/// A user's karma in all communities.
///
/// # Errors
/// The read-model database failed.
pub async fn karma_total(pool: &AnyPool, user_id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(karma), 0) AS BIGINT) FROM communities_karma WHERE user_id = $1",
    )
    .bind(user_id.to_owned())
    .fetch_one(pool)
    .await
}

/// A page of a user's karma per community, highest first: after `after` (a
/// [`KARMA_CURSOR`]), `fetch` rows at most.
///
/// # Errors
/// The read-model database failed.
pub async fn karma_page(
    pool: &AnyPool,
    user_id: &str,
    after: Option<PageCursor>,
    fetch: i64,
) -> Result<Vec<CommunityKarma>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT k.community_id, d.name AS community_name, k.karma FROM communities_karma k \
         LEFT JOIN communities_directory d ON d.id = k.community_id WHERE k.user_id = $1",
    );
    if after.is_some() {
        sql.push_str(" AND (k.karma, k.community_id) < ($2, $3)");
    }
    sql.push_str(&format!(
        " ORDER BY k.karma DESC, k.community_id DESC LIMIT {fetch}"
    ));
    let mut query = sqlx::query_as::<_, CommunityKarma>(&sql).bind(user_id.to_owned());
    if let Some(after) = after {
        query = bind_after(query, after);
    }
    query.fetch_all(pool).await
}

#[derive(Debug, Default)]
pub struct KarmaProjection;

#[async_trait]
impl Projection for KarmaProjection {
    fn name(&self) -> &'static str {
        KARMA
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &[
            "communities_karma_items",
            "communities_karma_votes",
            "communities_karma",
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
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        match AnyCommunitiesEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        )? {
            AnyCommunitiesEvent::Post(PostEvent::Created(p)) => {
                item_created(
                    conn,
                    &p.post_id.to_string(),
                    &p.author_id.to_string(),
                    &p.community_id.to_string(),
                )
                .await
            }
            AnyCommunitiesEvent::Comment(CommentEvent::Created(c)) => {
                item_created(
                    conn,
                    &c.comment_id.to_string(),
                    &c.author_id.to_string(),
                    &c.community_id.to_string(),
                )
                .await
            }
            AnyCommunitiesEvent::Vote(VoteEvent::Cast(v)) => {
                let target = v.target.uuid().to_string();
                let changed =
                    super::record_vote(conn, "communities_karma_votes", "target_id", &v, version)
                        .await?;
                let delta = i64::from(v.value) - i64::from(v.previous);
                if !changed || delta == 0 {
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE communities_karma_items SET score = score + $2 WHERE item_id = $1",
                )
                .bind(target.clone())
                .bind(delta)
                .execute(&mut *conn)
                .await?;
                let item = sqlx::query(
                    "SELECT author_id, community_id FROM communities_karma_items WHERE item_id = $1",
                )
                .bind(target)
                .fetch_optional(&mut *conn)
                .await?;
                // A vote before its item (Kafka): counted when the item arrives.
                if let Some(item) = item {
                    let author: String = item.try_get("author_id")?;
                    let community: String = item.try_get("community_id")?;
                    add_karma(conn, &author, &community, delta).await?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

async fn item_created(
    conn: &mut AnyConnection,
    item_id: &str,
    author_id: &str,
    community_id: &str,
) -> Result<(), ProjectionError> {
    let score: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM communities_karma_votes WHERE target_id = $1",
    )
    .bind(item_id.to_owned())
    .fetch_one(&mut *conn)
    .await?;
    let inserted = sqlx::query(
        "INSERT INTO communities_karma_items (item_id, author_id, community_id, score) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (item_id) DO NOTHING",
    )
    .bind(item_id.to_owned())
    .bind(author_id.to_owned())
    .bind(community_id.to_owned())
    .bind(score)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted > 0 {
        add_karma(conn, author_id, community_id, score).await?;
    }
    Ok(())
}

async fn add_karma(
    conn: &mut AnyConnection,
    user_id: &str,
    community_id: &str,
    delta: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO communities_karma (user_id, community_id, karma) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id, community_id) DO UPDATE \
         SET karma = communities_karma.karma + excluded.karma",
    )
    .bind(user_id.to_owned())
    .bind(community_id.to_owned())
    .bind(delta)
    .execute(conn)
    .await?;
    Ok(())
}
