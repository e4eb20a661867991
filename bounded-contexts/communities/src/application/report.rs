//! Reports: a user files one about a post or comment; a moderator resolves it.

use event_schemas::communities::ContentRef;
use shared_kernel::{Aggregate, StreamId};

use super::commands::ReportRequest;
use super::handler::{CommunitiesHandler, Outcome, Sent};
use super::replies::{IdReply, ReportResolvedReply};
use crate::domain::{CommunitiesError, Report, ReportCommand};

impl CommunitiesHandler {
    pub(super) async fn report_command(&self, request: ReportRequest, sent: Sent<'_>) -> Outcome {
        let actor = sent.actor;
        match request {
            ReportRequest::FileReport {
                report_id,
                target,
                reason,
            } => {
                let (post_id, community_id) = match target {
                    ContentRef::Post(id) => {
                        let post = self.post(id).await?;
                        (post.id, post.community_id)
                    }
                    ContentRef::Comment(id) => {
                        let comment = self.comment(id).await?;
                        (comment.post_id, comment.community_id)
                    }
                };
                let reporter = self.standing_in(community_id, actor).await?;
                let file = ReportCommand::File {
                    report_id,
                    target,
                    post_id,
                    reporter,
                    reason,
                };
                let done = self
                    .write::<Report>(StreamId::of(Report::KIND, report_id), file, sent)
                    .await?;
                Ok(done.with(IdReply {
                    id: *report_id.as_uuid(),
                }))
            }
            ReportRequest::ResolveReport {
                report_id,
                resolution,
            } => {
                let stream = StreamId::of(Report::KIND, report_id);
                let report: Report = self.load(&stream).await?;
                if report.reporter.is_none() {
                    return Err(CommunitiesError::NotFound("report").into());
                }
                let standing = self.moderator_standing(report.community_id, actor).await?;
                let resolve = ReportCommand::Resolve {
                    standing,
                    resolution,
                };
                let done = self.write::<Report>(stream, resolve, sent).await?;
                Ok(done.with(ReportResolvedReply {
                    id: report_id,
                    resolved: true,
                }))
            }
        }
    }
}
