//! Reports of posts and comments, as the community's moderators work through them.

use async_trait::async_trait;
use event_schemas::communities::{AnyCommunitiesEvent, ReportEvent};
use projections::{Interest, Projection, ProjectionError};
use shared_kernel::Recorded;
use sqlx::{AnyConnection, AnyPool};

use super::cursor::{KeyKind, PageCursor, SortKey, spec};
use super::{FeedError, Page, is_communities_event, timestamp};

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

impl ReportRow {
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "community_id": self.community_id,
            "target": { "kind": self.target_kind, "id": self.target_id },
            "post_id": self.post_id,
            "reporter_id": self.reporter_id,
            "reason": self.reason,
            "status": self.status,
            "created_at": self.created_at,
            "resolved_by": self.resolved_by,
            "resolution": self.resolution,
            "resolved_at": self.resolved_at,
        })
    }
}

/// A page of a community's reports in `status` (`open` or `resolved`), newest first.
///
/// # Errors
/// A cursor not ours, or the read-model database failed.
pub async fn reports_page(
    pool: &AnyPool,
    community_id: &str,
    status: &str,
    cursor: Option<&str>,
    limit: i64,
) -> Result<Page<ReportRow>, FeedError> {
    let tag = format!("reports:{status}");
    let after = cursor
        .map(|c| PageCursor::decode(c, spec(&tag, KeyKind::Time)))
        .transpose()
        .map_err(|_| FeedError::InvalidCursor)?;
    let mut sql = String::from(
        "SELECT id, community_id, target_kind, target_id, post_id, reporter_id, reason, status, \
         created_at, resolved_by, resolution, resolved_at FROM communities_reports \
         WHERE community_id = $1 AND status = $2",
    );
    if after.is_some() {
        sql.push_str(" AND (created_at, id) < ($3, $4)");
    }
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT {}",
        limit + 1
    ));
    let mut query = sqlx::query_as::<_, ReportRow>(&sql)
        .bind(community_id.to_owned())
        .bind(status.to_owned());
    if let Some(after) = after {
        let SortKey::Text(at) = after.key else {
            return Err(FeedError::InvalidCursor);
        };
        query = query.bind(at).bind(after.id);
    }
    let rows = query.fetch_all(pool).await?;
    Ok(Page::from_rows(rows, limit, |r| {
        PageCursor::new(
            tag.clone(),
            SortKey::Text(r.created_at.clone()),
            r.id.clone(),
        )
    }))
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
