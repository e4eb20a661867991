//! A user's standing in a community: the facts every "may this user take part?" rule needs,
//! read by the application layer from the community and membership streams.

use event_schemas::communities::Visibility;
use shared_kernel::Timestamp;
use shared_kernel::ids::{CommunityId, UserId};

use super::community::Community;
use super::error::CommunitiesError;
use super::membership::{Ban, Membership};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub community_id: CommunityId,
    pub community_name: String,
    pub visibility: Visibility,
    pub user: UserId,
    pub is_moderator: bool,
    pub is_member: bool,
    /// The latest ban, possibly expired.
    pub ban: Option<Ban>,
}

impl Standing {
    /// `user`'s standing from the two streams' states.
    #[must_use]
    pub fn of(community: &Community, membership: &Membership, user: UserId) -> Self {
        Self {
            community_id: community.id,
            community_name: community.name.clone(),
            visibility: community.visibility,
            user,
            is_moderator: community.is_moderator(user),
            is_member: membership.member,
            ban: membership.ban,
        }
    }

    /// May the user post, comment, vote, report and edit their own content at `now`? Every
    /// such command carries the author's standing, so this one check covers them all.
    ///
    /// # Errors
    /// Banned (and the ban has not expired), or not a member of a restricted community.
    pub fn check_participation(&self, now: Timestamp) -> Result<(), CommunitiesError> {
        self.check_not_banned(now)?;
        if self.visibility == Visibility::Restricted && !self.is_member && !self.is_moderator {
            return Err(CommunitiesError::NotAMember);
        }
        Ok(())
    }

    /// May the user act in the community at all at `now` (delete their own content, which
    /// a former member of a restricted community may still do)?
    ///
    /// # Errors
    /// Banned, and the ban has not expired.
    pub fn check_not_banned(&self, now: Timestamp) -> Result<(), CommunitiesError> {
        match self.ban.filter(|b| b.active_at(now)) {
            Some(ban) => Err(CommunitiesError::Banned {
                until: ban.expires_at,
            }),
            None => Ok(()),
        }
    }

    /// The standing is in `community` (a command about content there needs one there).
    ///
    /// # Errors
    /// It is a standing in another community.
    pub fn check_in(&self, community: CommunityId) -> Result<(), CommunitiesError> {
        if self.community_id == community {
            Ok(())
        } else {
            Err(CommunitiesError::Invalid(
                "the standing is not in the content's community".into(),
            ))
        }
    }

    /// # Errors
    /// The user does not moderate the community.
    pub const fn check_moderator(&self) -> Result<(), CommunitiesError> {
        if self.is_moderator {
            Ok(())
        } else {
            Err(CommunitiesError::NotAModerator)
        }
    }
}
