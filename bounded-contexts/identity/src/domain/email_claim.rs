//! The e-mail uniqueness guard: one stream per address, claimed by exactly one user.
//!
//! A sign-up claims the address (appending to a stream that must not exist yet: the store's
//! unique index picks one winner among racing sign-ups) before it registers the user. A claim
//! whose user was never registered (the process died, the store failed in between) names the
//! user id, so a later sign-up that sees no such user can take the address over once the claim
//! is old enough that no registration can still be on its way.

use event_schemas::identity::{EmailClaimEvent, EmailClaimed, EmailReleased};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, Timestamp};

/// How old a claim without a registered user must be before another sign-up may take it over.
pub const ABANDONED_AFTER_SECS: i64 = 120;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailClaim {
    /// The user holding the address and since when.
    pub holder: Option<(UserId, Timestamp)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailClaimCommand {
    Claim {
        user_id: UserId,
        /// The current holder, if the caller checked that it never got registered.
        abandoned_by: Option<UserId>,
    },
    Release {
        user_id: UserId,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailClaimError {
    #[error("an account with this e-mail address already exists")]
    Taken,
}

impl Aggregate for EmailClaim {
    const KIND: &'static str = "email";
    type Command = EmailClaimCommand;
    type Event = EmailClaimEvent;
    type Error = EmailClaimError;

    fn decide(
        &self,
        command: EmailClaimCommand,
        now: Timestamp,
    ) -> Result<Vec<EmailClaimEvent>, EmailClaimError> {
        let claimed = |user_id| {
            EmailClaimEvent::Claimed(EmailClaimed {
                user_id,
                claimed_at: now,
            })
        };
        match (command, self.holder) {
            (EmailClaimCommand::Claim { user_id, .. }, None) => Ok(vec![claimed(user_id)]),
            // A retry of the same sign-up.
            (EmailClaimCommand::Claim { user_id, .. }, Some((holder, _))) if holder == user_id => {
                Ok(vec![])
            }
            (
                EmailClaimCommand::Claim {
                    user_id,
                    abandoned_by: Some(abandoned),
                },
                Some((holder, at)),
            ) if abandoned == holder && (now - at).num_seconds() >= ABANDONED_AFTER_SECS => {
                Ok(vec![
                    EmailClaimEvent::Released(EmailReleased {
                        user_id: holder,
                        reason: "registration abandoned".into(),
                    }),
                    claimed(user_id),
                ])
            }
            (EmailClaimCommand::Claim { .. }, Some(_)) => Err(EmailClaimError::Taken),
            (EmailClaimCommand::Release { user_id, reason }, Some((holder, _)))
                if holder == user_id =>
            {
                Ok(vec![EmailClaimEvent::Released(EmailReleased {
                    user_id,
                    reason,
                })])
            }
            // Not held by this user (any more): nothing to give up.
            (EmailClaimCommand::Release { .. }, _) => Ok(vec![]),
        }
    }

    fn evolve(self, event: &EmailClaimEvent) -> Self {
        match event {
            EmailClaimEvent::Claimed(c) => Self {
                holder: Some((c.user_id, c.claimed_at)),
            },
            EmailClaimEvent::Released(_) => Self { holder: None },
        }
    }
}
