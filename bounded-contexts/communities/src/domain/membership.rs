//! The Membership aggregate: one user in one community (joined or not, banned or not).
//! One small stream per pair, so joining a community of millions never loads its members.

use event_schemas::communities::{
    MemberJoined, MemberLeft, MembershipEvent, UserBanned, UserUnbanned, Visibility,
};
use shared_kernel::ids::{CommunityId, UserId};
use shared_kernel::{Aggregate, TextRule, Timestamp};

use super::error::{CommunitiesError, check_text};

const REASON: TextRule = TextRule::multiline("reason", 1, 1_000);
const UNBAN_REASON: TextRule = TextRule::multiline("reason", 0, 1_000);

/// The stream key of `user`'s membership of `community`: `membership-<this>`.
#[must_use]
pub fn membership_stream_key(community: CommunityId, user: UserId) -> String {
    format!("{community}_{user}")
}

/// A ban: permanent when `expires_at` is `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ban {
    pub expires_at: Option<Timestamp>,
}

impl Ban {
    #[must_use]
    pub fn active_at(&self, now: Timestamp) -> bool {
        self.expires_at.is_none_or(|end| now < end)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Membership {
    pub member: bool,
    /// The latest ban, possibly expired; `None` when never banned or unbanned.
    pub ban: Option<Ban>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipCommand {
    /// `actor` joins themselves, or (a moderator) admits `user`.
    Join {
        community: CommunityId,
        visibility: Visibility,
        user: UserId,
        actor: UserId,
        actor_is_moderator: bool,
    },
    Leave {
        community: CommunityId,
        user: UserId,
    },
    Ban {
        community: CommunityId,
        user: UserId,
        moderator: UserId,
        actor_is_moderator: bool,
        target_is_moderator: bool,
        reason: String,
        expires_at: Option<Timestamp>,
    },
    Unban {
        community: CommunityId,
        user: UserId,
        moderator: UserId,
        actor_is_moderator: bool,
        reason: Option<String>,
    },
}

impl Aggregate for Membership {
    const KIND: &'static str = "membership";
    type Command = MembershipCommand;
    type Event = MembershipEvent;
    type Error = CommunitiesError;

    fn decide(
        &self,
        command: MembershipCommand,
        now: Timestamp,
    ) -> Result<Vec<MembershipEvent>, CommunitiesError> {
        match command {
            MembershipCommand::Join {
                community,
                visibility,
                user,
                actor,
                actor_is_moderator,
            } => {
                if actor != user && !actor_is_moderator {
                    return Err(CommunitiesError::NotAModerator);
                }
                if let Some(ban) = self.ban.filter(|b| b.active_at(now)) {
                    return Err(CommunitiesError::Banned {
                        until: ban.expires_at,
                    });
                }
                if visibility == Visibility::Restricted && !actor_is_moderator {
                    return Err(CommunitiesError::ApprovalRequired);
                }
                if self.member {
                    return Ok(vec![]);
                }
                Ok(vec![MembershipEvent::Joined(MemberJoined {
                    community_id: community,
                    user_id: user,
                    added_by: (actor != user).then_some(actor),
                })])
            }
            MembershipCommand::Leave { community, user } => {
                if !self.member {
                    return Ok(vec![]);
                }
                Ok(vec![MembershipEvent::Left(MemberLeft {
                    community_id: community,
                    user_id: user,
                })])
            }
            MembershipCommand::Ban {
                community,
                user,
                moderator,
                actor_is_moderator,
                target_is_moderator,
                reason,
                expires_at,
            } => {
                if !actor_is_moderator {
                    return Err(CommunitiesError::NotAModerator);
                }
                if target_is_moderator || user == moderator {
                    return Err(CommunitiesError::Forbidden(
                        "a moderator cannot be banned; remove them as moderator first".into(),
                    ));
                }
                check_text(&REASON, &reason)?;
                if expires_at.is_some_and(|end| end <= now) {
                    return Err(CommunitiesError::Invalid(
                        "expires_at must be in the future".into(),
                    ));
                }
                Ok(vec![MembershipEvent::Banned(UserBanned {
                    community_id: community,
                    user_id: user,
                    moderator_id: moderator,
                    reason: reason.trim().to_owned(),
                    expires_at,
                })])
            }
            MembershipCommand::Unban {
                community,
                user,
                moderator,
                actor_is_moderator,
                reason,
            } => {
                if !actor_is_moderator {
                    return Err(CommunitiesError::NotAModerator);
                }
                if let Some(reason) = &reason {
                    check_text(&UNBAN_REASON, reason)?;
                }
                if !self.ban.is_some_and(|b| b.active_at(now)) {
                    return Ok(vec![]);
                }
                Ok(vec![MembershipEvent::Unbanned(UserUnbanned {
                    community_id: community,
                    user_id: user,
                    moderator_id: moderator,
                    reason,
                })])
            }
        }
    }

    fn evolve(self, event: &MembershipEvent) -> Self {
        match event {
            MembershipEvent::Joined(_) => Self {
                member: true,
                ..self
            },
            MembershipEvent::Left(_) => Self {
                member: false,
                ..self
            },
            MembershipEvent::Banned(e) => Self {
                ban: Some(Ban {
                    expires_at: e.expires_at,
                }),
                ..self
            },
            MembershipEvent::Unbanned(_) => Self { ban: None, ..self },
        }
    }
}
