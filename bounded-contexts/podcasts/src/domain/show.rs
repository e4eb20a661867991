//! The Show aggregate (`show-<id>`): a podcast's details, owned by its creator, until it is
//! deleted. Its `podcast:guid` is fixed when it is created and never changes.

mod input;

use event_schemas::podcasts::{
    ShowCreated, ShowDeleted, ShowDetails, ShowEdited, ShowEvent, ShowId, ShowType,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, RejectionKind, Timestamp};
use uuid::Uuid;

pub use input::{FundingInput, PersonInput, ShowInput, ShowPatch};

/// The Podcasting 2.0 namespace of `podcast:guid` (a UUIDv5 namespace).
pub const PODCAST_GUID_NAMESPACE: Uuid = Uuid::from_u128(0xead4_c236_bf58_58c6_a2c6_a6b2_8d12_8cb6);

/// A show's `podcast:guid`: the UUIDv5, in [`PODCAST_GUID_NAMESPACE`], of its feed URL with
/// the scheme (`https://`) and any trailing slashes removed, as the Podcasting 2.0 namespace
/// defines it (Castopod keeps the scheme, which the rule forbids).
#[must_use]
pub fn podcast_guid(feed_url: &str) -> Uuid {
    let url = feed_url.trim();
    let without_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    Uuid::new_v5(
        &PODCAST_GUID_NAMESPACE,
        without_scheme.trim_end_matches('/').as_bytes(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShowCommand {
    /// A new show owned by `owner`, whose feed will be at `feed_url`.
    Create {
        show_id: ShowId,
        owner: UserId,
        feed_url: String,
        input: ShowInput,
    },
    /// Changes the fields `patch` names (the owner only).
    Edit { actor: UserId, patch: ShowPatch },
    /// Deletes the show for good (the owner only); a repeat is no change.
    Delete { actor: UserId },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowError {
    #[error("show not found")]
    NotFound,
    #[error("only the show's owner may change it")]
    NotOwner,
    #[error("the show was deleted")]
    Deleted,
    #[error("the show exists already")]
    Exists,
    #[error("{0}")]
    Invalid(String),
}

impl shared_kernel::Rejection for ShowError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::NotFound => ("not_found", RejectionKind::NotFound),
            Self::NotOwner => ("not_owner", RejectionKind::Forbidden),
            Self::Deleted => ("show_deleted", RejectionKind::Gone),
            Self::Exists => ("show_exists", RejectionKind::Conflict),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Show {
    pub created: bool,
    pub show_id: ShowId,
    pub owner: UserId,
    pub podcast_guid: Uuid,
    pub feed_url: String,
    pub details: Option<ShowDetails>,
    pub deleted: bool,
}

impl Show {
    /// The show as its owner may change it: created, not deleted, and `actor`'s.
    ///
    /// # Errors
    /// Unknown, deleted, or someone else's.
    pub fn owned_by(&self, actor: UserId) -> Result<&ShowDetails, ShowError> {
        let details = self.details.as_ref().ok_or(ShowError::NotFound)?;
        if self.deleted {
            return Err(ShowError::Deleted);
        }
        if self.owner != actor {
            return Err(ShowError::NotOwner);
        }
        Ok(details)
    }

    /// How the show's episodes are presented (episodic when unknown).
    #[must_use]
    pub fn show_type(&self) -> ShowType {
        self.details
            .as_ref()
            .map_or(ShowType::Episodic, |d| d.show_type)
    }
}

impl Aggregate for Show {
    const KIND: &'static str = "show";
    type Command = ShowCommand;
    type Event = ShowEvent;
    type Error = ShowError;

    fn creates(command: &ShowCommand) -> bool {
        matches!(command, ShowCommand::Create { .. })
    }

    fn decide(&self, command: ShowCommand, _now: Timestamp) -> Result<Vec<ShowEvent>, ShowError> {
        match command {
            ShowCommand::Create {
                show_id,
                owner,
                feed_url,
                input,
            } => {
                if self.created {
                    return Err(ShowError::Exists);
                }
                let details = input.validated().map_err(ShowError::Invalid)?;
                Ok(vec![ShowEvent::Created(ShowCreated {
                    show_id,
                    owner_id: owner,
                    podcast_guid: podcast_guid(&feed_url),
                    feed_url,
                    details,
                })])
            }
            ShowCommand::Edit { actor, patch } => {
                let current = self.owned_by(actor)?;
                let details = patch.applied_to(current).map_err(ShowError::Invalid)?;
                if &details == current {
                    return Ok(vec![]);
                }
                Ok(vec![ShowEvent::Edited(ShowEdited {
                    show_id: self.show_id,
                    details,
                })])
            }
            ShowCommand::Delete { actor } => match self.owned_by(actor) {
                Err(ShowError::Deleted) if self.owner == actor => Ok(vec![]),
                Err(e) => Err(e),
                Ok(_) => Ok(vec![ShowEvent::Deleted(ShowDeleted {
                    show_id: self.show_id,
                })]),
            },
        }
    }

    fn evolve(self, event: &ShowEvent) -> Self {
        match event {
            ShowEvent::Created(e) => Self {
                created: true,
                show_id: e.show_id,
                owner: e.owner_id,
                podcast_guid: e.podcast_guid,
                feed_url: e.feed_url.clone(),
                details: Some(e.details.clone()),
                deleted: false,
            },
            ShowEvent::Edited(e) => Self {
                details: Some(e.details.clone()),
                ..self
            },
            ShowEvent::Deleted(_) => Self {
                deleted: true,
                ..self
            },
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_guid_of_the_spec_s_own_example() {
        // podcastindex-org/podcast-namespace, "guid": `podnews.net/rss`.
        let expected = "9b024349-ccf0-5f69-a609-6b82873eab3c";
        assert_eq!(podcast_guid("podnews.net/rss").to_string(), expected);
        assert_eq!(
            podcast_guid("https://podnews.net/rss").to_string(),
            expected
        );
        assert_eq!(
            podcast_guid("http://podnews.net/rss//").to_string(),
            expected
        );
        assert_eq!(podcast_guid("https://podnews.net/rss").get_version_num(), 5);
    }
}
