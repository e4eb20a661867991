//! The Vote aggregate: one voter's vote on one post or comment. One stream per (target,
//! voter), so any number of people voting on one post at once never contend; every event
//! carries the new and the previous value, so tallies are exact sums of deltas.

use event_schemas::communities::{ContentRef, VoteCast, VoteEvent};
use shared_kernel::ids::{PostId, UserId};
use shared_kernel::{Aggregate, Timestamp};

use super::error::CommunitiesError;
use super::standing::Standing;

/// The stream key of `voter`'s vote on `target`: `vote-<this>`.
#[must_use]
pub fn vote_stream_key(target: &ContentRef, voter: UserId) -> String {
    format!("{}_{voter}", target.uuid())
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vote {
    /// 1, -1, or 0 (no vote).
    pub value: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoteCommand {
    Cast {
        target: ContentRef,
        /// The post itself, or the post the comment is on.
        post_id: PostId,
        /// The voter's standing in the target's community.
        standing: Standing,
        /// The target was deleted or removed: only a retraction is still possible.
        target_closed: bool,
        value: i32,
    },
}

impl Aggregate for Vote {
    const KIND: &'static str = "vote";
    type Command = VoteCommand;
    type Event = VoteEvent;
    type Error = CommunitiesError;

    fn decide(
        &self,
        command: VoteCommand,
        now: Timestamp,
    ) -> Result<Vec<VoteEvent>, CommunitiesError> {
        let VoteCommand::Cast {
            target,
            post_id,
            standing,
            target_closed,
            value,
        } = command;
        if !(-1..=1).contains(&value) {
            return Err(CommunitiesError::Invalid("value must be 1, -1 or 0".into()));
        }
        standing.check_participation(now)?;
        if target_closed && value != 0 {
            return Err(CommunitiesError::Forbidden(format!(
                "the {} is no longer open for votes",
                target.kind()
            )));
        }
        // Voting the same way again changes nothing (and a retried request succeeds).
        if value == self.value {
            return Ok(vec![]);
        }
        Ok(vec![VoteEvent::Cast(VoteCast {
            target,
            post_id,
            community_id: standing.community_id,
            voter_id: standing.user,
            value,
            previous: self.value,
        })])
    }

    fn evolve(self, event: &VoteEvent) -> Self {
        match event {
            VoteEvent::Cast(e) => Self { value: e.value },
        }
    }
}
