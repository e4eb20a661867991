//! The Report aggregate: a user tells the moderators about a post or comment; a moderator
//! resolves it.

use event_schemas::communities::{ContentRef, ReportEvent, ReportFiled, ReportResolved};
use shared_kernel::ids::{CommunityId, PostId, ReportId, UserId};
use shared_kernel::{Aggregate, TextRule, Timestamp};

use super::error::{CommunitiesError, check_text};
use super::standing::Standing;

const REASON: TextRule = TextRule::multiline("reason", 1, 1_000);
const RESOLUTION: TextRule = TextRule::multiline("resolution", 1, 1_000);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub id: ReportId,
    pub community_id: CommunityId,
    /// `None` until filed.
    pub reporter: Option<UserId>,
    pub resolved: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportCommand {
    File {
        report_id: ReportId,
        target: ContentRef,
        post_id: PostId,
        /// The reporter's standing in the content's community: a banned user reports nothing.
        reporter: Standing,
        reason: String,
    },
    Resolve {
        /// The moderator's standing in the report's community.
        standing: Standing,
        resolution: String,
    },
}

impl Aggregate for Report {
    const KIND: &'static str = "report";
    type Command = ReportCommand;
    type Event = ReportEvent;
    type Error = CommunitiesError;

    fn decide(
        &self,
        command: ReportCommand,
        now: Timestamp,
    ) -> Result<Vec<ReportEvent>, CommunitiesError> {
        match command {
            ReportCommand::File {
                report_id,
                target,
                post_id,
                reporter,
                reason,
            } => {
                if self.reporter.is_some() {
                    return Err(CommunitiesError::AlreadyExists("report"));
                }
                reporter.check_participation(now)?;
                check_text(&REASON, &reason)?;
                Ok(vec![ReportEvent::Filed(ReportFiled {
                    report_id,
                    community_id: reporter.community_id,
                    target,
                    post_id,
                    reporter_id: reporter.user,
                    reason: reason.trim().to_owned(),
                })])
            }
            ReportCommand::Resolve {
                standing,
                resolution,
            } => {
                if self.reporter.is_none() {
                    return Err(CommunitiesError::NotFound("report"));
                }
                if standing.community_id != self.community_id {
                    return Err(CommunitiesError::NotAModerator);
                }
                standing.check_moderator()?;
                check_text(&RESOLUTION, &resolution)?;
                if self.resolved {
                    return Err(CommunitiesError::AlreadyResolved);
                }
                Ok(vec![ReportEvent::Resolved(ReportResolved {
                    report_id: self.id,
                    community_id: self.community_id,
                    moderator_id: standing.user,
                    resolution: resolution.trim().to_owned(),
                })])
            }
        }
    }

    fn evolve(self, event: &ReportEvent) -> Self {
        match event {
            ReportEvent::Filed(e) => Self {
                id: e.report_id,
                community_id: e.community_id,
                reporter: Some(e.reporter_id),
                resolved: false,
            },
            ReportEvent::Resolved(_) => Self {
                resolved: true,
                ..self
            },
        }
    }
}
