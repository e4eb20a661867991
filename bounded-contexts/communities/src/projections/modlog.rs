//! The moderation log: who did what to what, why and when, for every moderator action. Public.

use async_trait::async_trait;
use event_schemas::communities::{
    AnyCommunitiesEvent, CommentEvent, CommunityEvent, MembershipEvent, PostEvent, ReportEvent,
};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool};

use serde::Serialize;
use utoipa::ToSchema;

use super::cursor::{CursorSpec, KeyKind, PageCursor, SortKey, bind_after, spec};
use super::{is_communities_event, timestamp};

/// The projection's name (its checkpoint key).
pub const MODLOG: &str = "communities.modlog";

const SCHEMA: &[&str] = &[
    // One row per event (its id is the key, so a replayed event adds nothing), in the store's
    // global order.
    "CREATE TABLE IF NOT EXISTS communities_modlog (
        id           TEXT PRIMARY KEY,
        position     BIGINT NOT NULL,
        community_id TEXT NOT NULL,
        moderator_id TEXT NOT NULL,
        action       TEXT NOT NULL,
        target_kind  TEXT NOT NULL,
        target_id    TEXT NOT NULL,
        reason       TEXT,
        at           TEXT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS communities_modlog_by_community
        ON communities_modlog (community_id, position DESC, id DESC)",
];

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ModlogRow {
    pub id: String,
    pub position: i64,
    pub community_id: String,
    pub moderator_id: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub reason: Option<String>,
    pub at: String,
}

/// What a report or a moderator action is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActionTarget {
    /// `post`, `comment`, `user`, `community` or `report` (reports are about posts and
    /// comments only).
    #[schema(example = "post")]
    pub kind: String,
    pub id: String,
}

/// One moderator action of a community's (public) moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ModlogEntry {
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    #[schema(format = Uuid)]
    pub moderator_id: String,
    /// `remove_post`, `restore_post`, `lock_post`, `unlock_post`, `pin_post`, `unpin_post`,
    /// `remove_comment`, `restore_comment`, `ban_user`, `unban_user`, `appoint_moderator`,
    /// `remove_moderator`, `change_settings` or `resolve_report`.
    #[schema(example = "remove_post")]
    pub action: String,
    pub target: ActionTarget,
    pub reason: Option<String>,
    #[schema(format = DateTime)]
    pub at: String,
}

/// A modlog page continues after an entry's global position (newest first).
pub const MODLOG_CURSOR: CursorSpec<'static> = spec("modlog", KeyKind::NON_NEGATIVE_INT);

impl ModlogRow {
    /// Where a page that ends with this entry continues.
    #[must_use]
    pub fn cursor(&self) -> PageCursor {
        PageCursor::new(
            MODLOG_CURSOR.sort,
            SortKey::Int(self.position),
            self.id.clone(),
        )
    }
}

impl From<ModlogRow> for ModlogEntry {
    fn from(row: ModlogRow) -> Self {
        Self {
            id: row.id,
            community_id: row.community_id,
            moderator_id: row.moderator_id,
            action: row.action,
            target: ActionTarget {
                kind: row.target_kind,
                id: row.target_id,
            },
            reason: row.reason,
            at: row.at,
        }
    }
}

/// A page of a community's moderation log, newest first: after `after` (a
/// [`MODLOG_CURSOR`]), `fetch` rows at most.
///
/// # Errors
/// The read-model database failed.
pub async fn modlog_page(
    pool: &AnyPool,
    community_id: &str,
    after: Option<PageCursor>,
    fetch: i64,
) -> Result<Vec<ModlogRow>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, position, community_id, moderator_id, action, target_kind, target_id, reason, \
         at FROM communities_modlog WHERE community_id = $1",
    );
    if after.is_some() {
        sql.push_str(" AND (position, id) < ($2, $3)");
    }
    sql.push_str(&format!(" ORDER BY position DESC, id DESC LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, ModlogRow>(&sql).bind(community_id.to_owned());
    if let Some(after) = after {
        query = bind_after(query, after);
    }
    query.fetch_all(pool).await
}

/// A moderator action, as the log records it.
struct Entry {
    community_id: String,
    moderator_id: String,
    action: &'static str,
    target_kind: &'static str,
    target_id: String,
    reason: Option<String>,
}

fn entry_of(event: AnyCommunitiesEvent) -> Option<Entry> {
    let entry = |community_id: String,
                 moderator_id: String,
                 action,
                 target_kind,
                 target_id: String,
                 reason| Entry {
        community_id,
        moderator_id,
        action,
        target_kind,
        target_id,
        reason,
    };
    Some(match event {
        AnyCommunitiesEvent::Post(e) => {
            let (action, m) = match e {
                PostEvent::Removed(m) => ("remove_post", m),
                PostEvent::Restored(m) => ("restore_post", m),
                PostEvent::Locked(m) => ("lock_post", m),
                PostEvent::Unlocked(m) => ("unlock_post", m),
                PostEvent::Pinned(m) => ("pin_post", m),
                PostEvent::Unpinned(m) => ("unpin_post", m),
                _ => return None,
            };
            entry(
                m.community_id.to_string(),
                m.moderator_id.to_string(),
                action,
                "post",
                m.post_id.to_string(),
                m.reason,
            )
        }
        AnyCommunitiesEvent::Comment(e) => {
            let (action, m) = match e {
                CommentEvent::Removed(m) => ("remove_comment", m),
                CommentEvent::Restored(m) => ("restore_comment", m),
                _ => return None,
            };
            entry(
                m.community_id.to_string(),
                m.moderator_id.to_string(),
                action,
                "comment",
                m.comment_id.to_string(),
                Some(m.reason),
            )
        }
        AnyCommunitiesEvent::Membership(MembershipEvent::Banned(b)) => entry(
            b.community_id.to_string(),
            b.moderator_id.to_string(),
            "ban_user",
            "user",
            b.user_id.to_string(),
            Some(b.reason),
        ),
        AnyCommunitiesEvent::Membership(MembershipEvent::Unbanned(u)) => entry(
            u.community_id.to_string(),
            u.moderator_id.to_string(),
            "unban_user",
            "user",
            u.user_id.to_string(),
            u.reason,
        ),
        AnyCommunitiesEvent::Community(CommunityEvent::ModeratorAppointed(m)) => entry(
            m.community_id.to_string(),
            m.appointed_by.to_string(),
            "appoint_moderator",
            "user",
            m.user_id.to_string(),
            None,
        ),
        AnyCommunitiesEvent::Community(CommunityEvent::ModeratorRemoved(m)) => entry(
            m.community_id.to_string(),
            m.removed_by.to_string(),
            "remove_moderator",
            "user",
            m.user_id.to_string(),
            None,
        ),
        AnyCommunitiesEvent::Community(CommunityEvent::SettingsChanged(s)) => entry(
            s.community_id.to_string(),
            s.changed_by.to_string(),
            "change_settings",
            "community",
            s.community_id.to_string(),
            None,
        ),
        AnyCommunitiesEvent::Report(ReportEvent::Resolved(r)) => entry(
            r.community_id.to_string(),
            r.moderator_id.to_string(),
            "resolve_report",
            "report",
            r.report_id.to_string(),
            Some(r.resolution),
        ),
        _ => return None,
    })
}

#[derive(Debug, Default)]
pub struct ModlogProjection;

#[async_trait]
impl Projection for ModlogProjection {
    fn name(&self) -> &'static str {
        MODLOG
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["communities_modlog"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if !is_communities_event(event) {
            return Ok(());
        }
        let decoded = AnyCommunitiesEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        )?;
        let Some(e) = entry_of(decoded) else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO communities_modlog (id, position, community_id, moderator_id, action, \
             target_kind, target_id, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(event.event_id.to_string())
        .bind(i64::try_from(event.position).unwrap_or(i64::MAX))
        .bind(e.community_id)
        .bind(e.moderator_id)
        .bind(e.action.to_owned())
        .bind(e.target_kind.to_owned())
        .bind(e.target_id)
        .bind(e.reason)
        .bind(timestamp(event.recorded_at))
        .execute(conn)
        .await?;
        Ok(())
    }
}
