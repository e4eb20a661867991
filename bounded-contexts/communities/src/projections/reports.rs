//! Reports of posts and comments, as the community's moderators work through them.

use async_trait::async_trait;
use event_schemas::communities::{AnyCommunitiesEvent, ReportEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::cursor::{CursorSpec, KeyKind, PageCursor, SortKey, bind_after, spec};
use super::modlog::ActionTarget;
use super::{is_communities_event, timestamp};

/// The projection's name (its checkpoint key).
pub const REPORTS: &str = "communities.reports";

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS communities_reports (
        id           TEXT PRIMARY KEY,
        community_id TEXT NOT NULL,
        target_kind  TEXT NOT NULL,
        target_id    TEXT NOT NULL,
        post_id      TEXT NOT NULL,
        reporter_id  TEXT NOT NULL,
        reason       TEXT NOT NULL,
        status       TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        resolved_by  TEXT,
        resolution   TEXT,
        resolved_at  TEXT,
        version      BIGINT NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS communities_reports_queue
        ON communities_reports (community_id, status, created_at DESC, id DESC)",
];

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReportRow {
    pub id: String,
    pub community_id: String,
    pub target_kind: String,
    pub target_id: String,
    pub post_id: String,
    pub reporter_id: String,
    pub reason: String,
    pub status: String,
    pub created_at: String,
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    pub resolved_at: Option<String>,
}

/// Which reports of a queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Not resolved yet.
    #[default]
    Open,
    Resolved,
}

impl ReportStatus {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Resolved => "resolved",
        }
    }

    /// A queue's cursor is for one status: `reports:open` or `reports:resolved`.
    #[must_use]
    pub const fn tag(self) -> &'static str {
        match self {
            Self::Open => "reports:open",
            Self::Resolved => "reports:resolved",
        }
    }

    /// The cursors a page of this queue accepts: newest first, by filing time.
    #[must_use]
    pub const fn spec(self) -> CursorSpec<'static> {
        spec(self.tag(), KeyKind::Time)
    }
}

/// A report about a post or comment, as moderators read the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Report {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub community_id: String,
    pub target: ActionTarget,
    /// The post reported, or the post of the comment reported.
    #[schema(format = Uuid)]
    pub post_id: String,
    #[schema(format = Uuid)]
    pub reporter_id: String,
    pub reason: String,
    /// `open` or `resolved`.
    #[schema(example = "open")]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = Uuid)]
    pub resolved_by: Option<String>,
    pub resolution: Option<String>,
    #[schema(format = DateTime)]
    pub resolved_at: Option<String>,
}

impl ReportRow {
    /// Where a page of `status`'s queue that ends with this report continues.
    #[must_use]
    pub fn cursor(&self, status: ReportStatus) -> PageCursor {
        PageCursor::new(
            status.tag(),
            SortKey::Text(self.created_at.clone()),
            self.id.clone(),
        )
    }
}

impl From<ReportRow> for Report {
    fn from(row: ReportRow) -> Self {
        Self {
            id: row.id,
            community_id: row.community_id,
            target: ActionTarget {
                kind: row.target_kind,
                id: row.target_id,
            },
            post_id: row.post_id,
            reporter_id: row.reporter_id,
            reason: row.reason,
            status: row.status,
            created_at: row.created_at,
            resolved_by: row.resolved_by,
            resolution: row.resolution,
            resolved_at: row.resolved_at,
        }
    }
}

/// A page of a community's reports in `status`, newest first: after `after` (a cursor of
/// [`ReportStatus::spec`]), `fetch` rows at most.
///
/// # Errors
/// The read-model database failed.
pub async fn reports_page(
    pool: &AnyPool,
    community_id: &str,
    status: ReportStatus,
    after: Option<PageCursor>,
    fetch: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT id, community_id, target_kind, target_id, post_id, reporter_id, reason, status, \
         created_at, resolved_by, resolution, resolved_at FROM communities_reports \
         WHERE community_id = $1 AND status = $2",
    );
    if after.is_some() {
        sql.push_str(" AND (created_at, id) < ($3, $4)");
    }
    sql.push_str(&format!(" ORDER BY created_at DESC, id DESC LIMIT {fetch}"));
    let mut query = sqlx::query_as::<_, ReportRow>(&sql)
        .bind(community_id.to_owned())
        .bind(status.as_str().to_owned());
    if let Some(after) = after {
        query = bind_after(query, after);
    }
    query.fetch_all(pool).await
}

#[derive(Debug, Default)]
pub struct ReportsProjection;

#[async_trait]
impl Projection for ReportsProjection {
    fn name(&self) -> &'static str {
        REPORTS
    }

    fn handles(&self) -> Interest {
        Interest::Contexts(&[crate::CONTEXT])
    }

    fn schema(&self) -> &'static [&'static str] {
        SCHEMA
    }

    fn tables(&self) -> &'static [&'static str] {
        &["communities_reports"]
    }

    async fn apply(
        &self,
        conn: &mut AnyConnection,
        event: &Recorded,
    ) -> Result<(), ProjectionError> {
        if !is_communities_event(event) {
            return Ok(());
        }
        let AnyCommunitiesEvent::Report(report) = AnyCommunitiesEvent::decode(
            &event.event_type,
            event.schema_version,
            event.data.clone(),
        )?
        else {
            return Ok(());
        };
        let at = timestamp(event.recorded_at);
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        let query = match report {
            ReportEvent::Filed(f) => sqlx::query(
                "INSERT INTO communities_reports (id, community_id, target_kind, target_id, post_id, \
                 reporter_id, reason, status, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) ON CONFLICT (id) DO NOTHING",
            )
            .bind(f.report_id.to_string())
            .bind(f.community_id.to_string())
            .bind(f.target.kind().to_owned())
            .bind(f.target.uuid().to_string())
            .bind(f.post_id.to_string())
            .bind(f.reporter_id.to_string())
            .bind(f.reason)
            .bind(at)
            .bind(version),
            ReportEvent::Resolved(r) => sqlx::query(
                "UPDATE communities_reports SET status = 'resolved', resolved_by = $2, \
                 resolution = $3, resolved_at = $4, version = $5 WHERE id = $1 AND version < $5",
            )
            .bind(r.report_id.to_string())
            .bind(r.moderator_id.to_string())
            .bind(r.resolution)
            .bind(at)
            .bind(version),
        };
        query.execute(&mut *conn).await?;
        Ok(())
    }
}
