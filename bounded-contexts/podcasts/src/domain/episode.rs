//! The Episode aggregate (`episode-<id>`): a draft, then published now or scheduled for a time,
//! and unpublished again. Its feed `guid` is fixed when it is drafted: edits never change it.
//!
//! draft -> scheduled (a durable timer) -> published; draft -> published; scheduled -> draft
//! (unscheduled); published -> draft (unpublished). A schedule is named (`schedule_id`): only
//! the timer of the current schedule publishes, so a timer of a withdrawn schedule that fires
//! anyway changes nothing.

mod input;

use event_schemas::podcasts::{
    EpisodeDetails, EpisodeDrafted, EpisodeEdited, EpisodeEvent, EpisodeId, EpisodePublished,
    EpisodeScheduled, EpisodeUnpublished, EpisodeUnscheduled, ShowId, ShowType,
};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, RejectionKind, Timestamp};
use uuid::Uuid;

pub use input::{
    AUDIO_TYPES, EpisodeInput, EpisodePatch, NUMBER_REQUIRED, SoundbiteInput, TRANSCRIPT_TYPES,
};

/// How far ahead an episode may be scheduled.
pub const MAX_SCHEDULE_AHEAD_DAYS: i64 = 366;

/// Where an episode stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EpisodeStatus {
    #[default]
    Draft,
    Scheduled {
        schedule_id: Uuid,
        at: Timestamp,
    },
    Published {
        at: Timestamp,
    },
}

impl EpisodeStatus {
    /// `draft`, `scheduled` or `published`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled { .. } => "scheduled",
            Self::Published { .. } => "published",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EpisodeCommand {
    /// A new draft of `show_id`, owned by the show's owner.
    Draft {
        episode_id: EpisodeId,
        show_id: ShowId,
        owner: UserId,
        show_type: ShowType,
        input: EpisodeInput,
    },
    /// Changes the fields `patch` names (the owner only); the guid stays.
    Edit {
        actor: UserId,
        show_type: ShowType,
        patch: EpisodePatch,
    },
    /// Publishes now (`at` absent or not in the future, which backdates `pubDate`), or
    /// schedules for `at` under the new schedule's id.
    Publish {
        actor: UserId,
        show_type: ShowType,
        at: Option<Timestamp>,
        schedule_id: Uuid,
    },
    /// The timer of `schedule_id` fired: publishes if that schedule still stands.
    PublishScheduled { schedule_id: Uuid },
    /// Takes the episode out of the feed, or withdraws its schedule.
    Unpublish { actor: UserId },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpisodeError {
    #[error("episode not found")]
    NotFound,
    #[error("only the show's owner may change its episodes")]
    NotOwner,
    #[error("the episode exists already")]
    Exists,
    #[error("{NUMBER_REQUIRED}")]
    NumberRequired,
    #[error("{0}")]
    Invalid(String),
    #[error("the episode is already published; unpublish it first to publish it at another time")]
    AlreadyPublished,
}

impl shared_kernel::Rejection for EpisodeError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        match self {
            Self::NotFound => ("not_found", RejectionKind::NotFound),
            Self::NotOwner => ("not_owner", RejectionKind::Forbidden),
            Self::Exists => ("episode_exists", RejectionKind::Conflict),
            Self::NumberRequired => ("episode_number_required", RejectionKind::Invalid),
            Self::Invalid(_) => ("validation_failed", RejectionKind::Invalid),
            Self::AlreadyPublished => ("already_published", RejectionKind::Conflict),
        }
    }
}

fn invalid(message: String) -> EpisodeError {
    if message == NUMBER_REQUIRED {
        EpisodeError::NumberRequired
    } else {
        EpisodeError::Invalid(message)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Episode {
    pub episode_id: EpisodeId,
    pub show_id: ShowId,
    pub owner: UserId,
    pub guid: String,
    pub details: Option<EpisodeDetails>,
    pub status: EpisodeStatus,
}

impl Episode {
    /// The episode as `actor` may change it. A draft is nobody else's business (not found);
    /// a published or scheduled one is visible, so a stranger is told it is not theirs.
    fn owned_by(&self, actor: UserId) -> Result<&EpisodeDetails, EpisodeError> {
        let details = self.details.as_ref().ok_or(EpisodeError::NotFound)?;
        if self.owner == actor {
            return Ok(details);
        }
        match self.status {
            EpisodeStatus::Published { .. } => Err(EpisodeError::NotOwner),
            EpisodeStatus::Draft | EpisodeStatus::Scheduled { .. } => Err(EpisodeError::NotFound),
        }
    }

    fn unscheduled(&self) -> Option<EpisodeEvent> {
        match self.status {
            EpisodeStatus::Scheduled { schedule_id, .. } => {
                Some(EpisodeEvent::Unscheduled(EpisodeUnscheduled {
                    episode_id: self.episode_id,
                    show_id: self.show_id,
                    schedule_id,
                }))
            }
            _ => None,
        }
    }

    fn published(&self, at: Timestamp) -> EpisodeEvent {
        EpisodeEvent::Published(EpisodePublished {
            episode_id: self.episode_id,
            show_id: self.show_id,
            published_at: at,
        })
    }

    fn publish(
        &self,
        actor: UserId,
        show_type: ShowType,
        at: Option<Timestamp>,
        schedule_id: Uuid,
        now: Timestamp,
    ) -> Result<Vec<EpisodeEvent>, EpisodeError> {
        let details = self.owned_by(actor)?;
        if show_type == ShowType::Serial && details.episode_number.is_none() {
            return Err(EpisodeError::NumberRequired);
        }
        // `at` is checked whatever the state: a published episode must not accept what a draft
        // would refuse.
        if at.is_some_and(|at| at > now + chrono::Duration::days(MAX_SCHEDULE_AHEAD_DAYS)) {
            return Err(EpisodeError::Invalid(format!(
                "at must be within {MAX_SCHEDULE_AHEAD_DAYS} days"
            )));
        }
        if let EpisodeStatus::Published { at: current } = self.status {
            // Publishing again (no `at`, or the time it was published at) changes nothing, as a
            // repeat should; another time would be silently ignored, so it is refused.
            return match at {
                None => Ok(vec![]),
                Some(at) if at == current => Ok(vec![]),
                Some(_) => Err(EpisodeError::AlreadyPublished),
            };
        }
        let mut events: Vec<EpisodeEvent> = Vec::new();
        match at {
            Some(at) if at > now => {
                if matches!(self.status, EpisodeStatus::Scheduled { at: current, .. } if current == at)
                {
                    return Ok(vec![]);
                }
                events.extend(self.unscheduled());
                events.push(EpisodeEvent::Scheduled(EpisodeScheduled {
                    episode_id: self.episode_id,
                    show_id: self.show_id,
                    schedule_id,
                    at,
                }));
            }
            at => {
                events.extend(self.unscheduled());
                events.push(self.published(at.unwrap_or(now)));
            }
        }
        Ok(events)
    }
}

impl Aggregate for Episode {
    const KIND: &'static str = "episode";
    type Command = EpisodeCommand;
    type Event = EpisodeEvent;
    type Error = EpisodeError;

    fn creates(command: &EpisodeCommand) -> bool {
        matches!(command, EpisodeCommand::Draft { .. })
    }

    fn decide(
        &self,
        command: EpisodeCommand,
        now: Timestamp,
    ) -> Result<Vec<EpisodeEvent>, EpisodeError> {
        match command {
            EpisodeCommand::Draft {
                episode_id,
                show_id,
                owner,
                show_type,
                input,
            } => {
                if self.details.is_some() {
                    return Err(EpisodeError::Exists);
                }
                let details = input.validated(show_type).map_err(invalid)?;
                Ok(vec![EpisodeEvent::Drafted(EpisodeDrafted {
                    episode_id,
                    show_id,
                    owner_id: owner,
                    guid: episode_id.to_string(),
                    details,
                })])
            }
            EpisodeCommand::Edit {
                actor,
                show_type,
                patch,
            } => {
                let current = self.owned_by(actor)?;
                let details = patch.applied_to(current, show_type).map_err(invalid)?;
                if &details == current {
                    return Ok(vec![]);
                }
                Ok(vec![EpisodeEvent::Edited(EpisodeEdited {
                    episode_id: self.episode_id,
                    show_id: self.show_id,
                    details,
                })])
            }
            EpisodeCommand::Publish {
                actor,
                show_type,
                at,
                schedule_id,
            } => self.publish(actor, show_type, at, schedule_id, now),
            EpisodeCommand::PublishScheduled { schedule_id } => match self.status {
                EpisodeStatus::Scheduled {
                    schedule_id: current,
                    at,
                } if current == schedule_id => Ok(vec![self.published(at)]),
                // Withdrawn, replaced or done already: the timer has nothing to do.
                _ => Ok(vec![]),
            },
            EpisodeCommand::Unpublish { actor } => {
                self.owned_by(actor)?;
                Ok(match self.status {
                    EpisodeStatus::Draft => vec![],
                    EpisodeStatus::Scheduled { .. } => self.unscheduled().into_iter().collect(),
                    EpisodeStatus::Published { .. } => {
                        vec![EpisodeEvent::Unpublished(EpisodeUnpublished {
                            episode_id: self.episode_id,
                            show_id: self.show_id,
                        })]
                    }
                })
            }
        }
    }

    fn evolve(self, event: &EpisodeEvent) -> Self {
        match event {
            EpisodeEvent::Drafted(e) => Self {
                episode_id: e.episode_id,
                show_id: e.show_id,
                owner: e.owner_id,
                guid: e.guid.clone(),
                details: Some(e.details.clone()),
                status: EpisodeStatus::Draft,
            },
            EpisodeEvent::Edited(e) => Self {
                details: Some(e.details.clone()),
                ..self
            },
            EpisodeEvent::Scheduled(e) => Self {
                status: EpisodeStatus::Scheduled {
                    schedule_id: e.schedule_id,
                    at: e.at,
                },
                ..self
            },
            EpisodeEvent::Unscheduled(_) | EpisodeEvent::Unpublished(_) => Self {
                status: EpisodeStatus::Draft,
                ..self
            },
            EpisodeEvent::Published(e) => Self {
                status: EpisodeStatus::Published { at: e.published_at },
                ..self
            },
        }
    }
}
