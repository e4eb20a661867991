//! What a handler reads off the envelope before it decides anything: the command, who sent
//! it, and the metadata of the further steps it takes on other streams.

use serde::de::DeserializeOwned;

use super::reply::Stop;
use crate::command::CommandEnvelope;
use crate::event::EventMetadata;
use crate::ids::{UserId, derive_id};

/// The prefix of the platform's own actors (sagas, timers, the command line): `system:<what>`.
pub const SYSTEM_PREFIX: &str = "system:";

/// The context's command enum from `envelope`.
///
/// # Errors
/// 422 `invalid_command`: an unknown name or a payload of the wrong shape.
pub fn decode<C: DeserializeOwned>(envelope: &CommandEnvelope) -> Result<C, Stop> {
    envelope.unwrap_command().map_err(|e| {
        envelope
            .reject(
                crate::RejectionKind::Invalid,
                "invalid_command",
                e.to_string(),
            )
            .into()
    })
}

/// Who sent a command, as far as authorisation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user.
    User(UserId),
    /// A component of the platform, by its full actor name (`system:cli`, `system:saga`...).
    System(String),
}

impl Actor {
    /// The actor of `envelope`, if it names a user or a platform component.
    #[must_use]
    pub fn of(envelope: &CommandEnvelope) -> Option<Self> {
        let actor = envelope.actor.as_deref()?;
        if actor.starts_with(SYSTEM_PREFIX) {
            return Some(Self::System(actor.to_owned()));
        }
        actor.parse::<UserId>().ok().map(Self::User)
    }

    /// The actor of `envelope`.
    ///
    /// # Errors
    /// 401 `unauthenticated`: no actor, or one that is neither a user nor the platform.
    pub fn required(envelope: &CommandEnvelope) -> Result<Self, Stop> {
        match (Self::of(envelope), &envelope.actor) {
            (Some(actor), _) => Ok(actor),
            (None, Some(_)) => Err(envelope
                .reject(
                    crate::RejectionKind::Unauthenticated,
                    "unauthenticated",
                    "unknown actor",
                )
                .into()),
            (None, None) => Err(needs_user(envelope)),
        }
    }

    /// The user, if a user sent it.
    #[must_use]
    pub const fn user_id(&self) -> Option<UserId> {
        match self {
            Self::User(id) => Some(*id),
            Self::System(_) => None,
        }
    }
}

fn needs_user(envelope: &CommandEnvelope) -> Stop {
    envelope
        .reject(
            crate::RejectionKind::Unauthenticated,
            "unauthenticated",
            "a user must send this",
        )
        .into()
}

/// The user who sent `envelope`: commands users send on their own behalf.
///
/// # Errors
/// 401 `unauthenticated`: no user sent it.
pub fn require_user(envelope: &CommandEnvelope) -> Result<UserId, Stop> {
    Actor::of(envelope)
        .and_then(|a| a.user_id())
        .ok_or_else(|| needs_user(envelope))
}

/// Checks that the platform itself sent `envelope` (a saga's or a timer's command).
///
/// # Errors
/// 403 `forbidden` with `message`: anyone else sent it.
pub fn require_system(envelope: &CommandEnvelope, message: &str) -> Result<(), Stop> {
    match Actor::of(envelope) {
        Some(Actor::System(_)) => Ok(()),
        _ => Err(envelope
            .reject(crate::RejectionKind::Forbidden, "forbidden", message)
            .into()),
    }
}

/// The metadata of a further step of the command on another stream, named `step`: its own
/// command id, derived from the command's (see [`derive_id`]), so a redelivered command
/// derives the same one and `execute` keeps each stream's step idempotent on its own (with
/// the command's id, the store would take the first stream's events as the result of the
/// second write and skip it).
#[must_use]
pub fn follow_up(metadata: &EventMetadata, step: &str) -> EventMetadata {
    EventMetadata {
        command_id: metadata.command_id.map(|id| derive_id(id, step)),
        ..metadata.clone()
    }
}

/// The metadata of a step whose events carry no command id (a uniqueness claim taken before
/// the command's own stream is written): the command's result is its own stream's alone, and
/// a retry takes the step again (a no-op when it already holds).
#[must_use]
pub fn untracked(metadata: &EventMetadata) -> EventMetadata {
    EventMetadata {
        command_id: None,
        ..metadata.clone()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::RejectionKind;

    fn sent_by(actor: Option<&str>) -> CommandEnvelope {
        CommandEnvelope {
            command_id: uuid::Uuid::now_v7(),
            context: "demo".into(),
            name: "do_thing".into(),
            payload: serde_json::json!({}),
            actor: actor.map(str::to_owned),
            correlation_id: None,
            causation_id: None,
        }
    }

    fn refusal(stop: Stop) -> (Option<RejectionKind>, String) {
        match stop {
            Stop::Reply(reply) => match reply.outcome {
                crate::CommandOutcome::Rejected { kind, code, .. } => (Some(kind), code),
                crate::CommandOutcome::Accepted { .. } => (None, "accepted".into()),
            },
            Stop::Store(e) => (None, e.to_string()),
        }
    }

    #[test]
    fn actors_are_users_or_the_platform() {
        let user = UserId::new();
        assert_eq!(
            Actor::of(&sent_by(Some(&user.to_string()))),
            Some(Actor::User(user))
        );
        assert_eq!(
            Actor::of(&sent_by(Some("system:saga"))),
            Some(Actor::System("system:saga".into()))
        );
        assert_eq!(Actor::of(&sent_by(Some("someone"))), None);
        assert_eq!(Actor::of(&sent_by(None)), None);
        let unknown = Actor::required(&sent_by(Some("someone"))).unwrap_err();
        assert_eq!(
            refusal(unknown),
            (
                Some(RejectionKind::Unauthenticated),
                "unauthenticated".into()
            )
        );
    }

    #[test]
    fn user_and_platform_commands_refuse_the_other_sender() {
        let user = UserId::new().to_string();
        let platform = sent_by(Some("system:timer"));
        assert_eq!(
            refusal(require_user(&platform).unwrap_err()),
            (
                Some(RejectionKind::Unauthenticated),
                "unauthenticated".into()
            )
        );
        assert!(require_system(&platform, "platform only").is_ok());
        assert_eq!(
            refusal(require_system(&sent_by(Some(&user)), "platform only").unwrap_err()),
            (Some(RejectionKind::Forbidden), "forbidden".into())
        );
        assert_eq!(
            refusal(decode::<u8>(&platform).unwrap_err()),
            (Some(RejectionKind::Invalid), "invalid_command".into())
        );
    }

    #[test]
    fn follow_up_steps_have_stable_ids_of_their_own() {
        let metadata = sent_by(None).event_metadata();
        let wallet = follow_up(&metadata, "wallet");
        assert_eq!(wallet.command_id, follow_up(&metadata, "wallet").command_id);
        assert_ne!(
            wallet.command_id,
            follow_up(&metadata, "settle-0").command_id
        );
        assert_ne!(wallet.command_id, metadata.command_id);
        assert_eq!(wallet.correlation_id, metadata.correlation_id);
        assert_eq!(untracked(&metadata).command_id, None);
    }
}
