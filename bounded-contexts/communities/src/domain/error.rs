//! The rule violations of every communities aggregate, with their stable codes.

use shared_kernel::RejectionKind;
use shared_kernel::{TextRule, Timestamp};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommunitiesError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    AlreadyExists(&'static str),
    #[error("only members may do this in a restricted community")]
    NotAMember,
    #[error("a restricted community admits members only through a moderator")]
    ApprovalRequired,
    #[error("{}", banned_message(.until))]
    Banned { until: Option<Timestamp> },
    #[error("only a moderator of the community may do this")]
    NotAModerator,
    #[error("only the owner of the community may do this")]
    NotTheOwner,
    #[error("only the author may do this")]
    NotTheAuthor,
    #[error("{0}")]
    Forbidden(String),
    #[error("the post is locked: no new comments")]
    Locked,
    #[error("the {0} was deleted by its author")]
    Deleted(&'static str),
    #[error("the {0} was removed by a moderator")]
    Removed(&'static str),
    #[error("the report is already resolved")]
    AlreadyResolved,
    #[error("{0}")]
    Invalid(String),
}

fn banned_message(until: &Option<Timestamp>) -> String {
    until.map_or_else(
        || "you are banned from this community".to_owned(),
        |t| {
            format!(
                "you are banned from this community until {}",
                t.to_rfc3339()
            )
        },
    )
}

impl CommunitiesError {
    /// The stable error code and HTTP status the edge answers with.
    #[must_use]
    pub const fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::NotFound(_) => ("not_found", RejectionKind::NotFound),
            Self::AlreadyExists(_) => ("already_exists", RejectionKind::Conflict),
            Self::NotAMember => ("not_a_member", RejectionKind::Forbidden),
            Self::ApprovalRequired => ("approval_required", RejectionKind::Forbidden),
            Self::Banned { .. } => ("banned", RejectionKind::Forbidden),
            Self::NotAModerator => ("not_a_moderator", RejectionKind::Forbidden),
            Self::NotTheOwner => ("not_the_owner", RejectionKind::Forbidden),
            Self::NotTheAuthor => ("not_the_author", RejectionKind::Forbidden),
            Self::Forbidden(_) => ("forbidden", RejectionKind::Forbidden),
            Self::Locked => ("locked", RejectionKind::Conflict),
            Self::Deleted(_) => ("deleted", RejectionKind::Conflict),
            Self::Removed(_) => ("removed", RejectionKind::Conflict),
            Self::AlreadyResolved => ("already_resolved", RejectionKind::Conflict),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }
}

/// `value` follows `rule` (length, and control characters: see [`TextRule`]).
pub(crate) fn check_text(rule: &TextRule, value: &str) -> Result<(), CommunitiesError> {
    rule.check(value)
        .map_err(|e| CommunitiesError::Invalid(e.to_string()))
}
