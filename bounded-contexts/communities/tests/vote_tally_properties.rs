//! Vote tallies over any sequence of votes, changes and retractions by many voters: the
//! counters the read models keep (each vote event applied as a delta) always equal a recount
//! of the votes standing, and `score = ups - downs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use std::collections::BTreeMap;

use communities::domain::{Standing, Vote, VoteCommand, community_id_for};
use communities::projections::ranking::{VoteDelta, vote_delta};
use event_schemas::communities::{ContentRef, Visibility, VoteEvent};
use proptest::prelude::*;
use shared_kernel::ids::{PostId, UserId};
use shared_kernel::testing::{Given, given};

const VOTERS: usize = 8;
const TARGETS: usize = 3;

/// One voter's vote on one target; sometimes on a closed target (only a retraction passes) or
/// with a value out of range (refused).
#[derive(Debug, Clone)]
struct Ballot {
    voter: usize,
    target: usize,
    value: i32,
    target_closed: bool,
}

fn ballot() -> impl Strategy<Value = Ballot> {
    (
        0..VOTERS,
        0..TARGETS,
        prop_oneof![10 => -1_i32..=1, 1 => prop::sample::select(vec![-2, 2, i32::MAX])],
        prop::bool::weighted(0.1),
    )
        .prop_map(|(voter, target, value, target_closed)| Ballot {
            voter,
            target,
            value,
            target_closed,
        })
}

/// Counters as a read model keeps them: zero, then one delta per vote event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    score: i64,
    ups: i64,
    downs: i64,
}

impl Tally {
    fn apply(&mut self, delta: VoteDelta) {
        self.score += delta.score;
        self.ups += delta.ups;
        self.downs += delta.downs;
    }

    /// The counters of the votes standing, counted from scratch.
    fn recount<'a>(votes: impl IntoIterator<Item = &'a Vote>) -> Self {
        votes.into_iter().fold(Self::default(), |tally, vote| Self {
            score: tally.score + i64::from(vote.value),
            ups: tally.ups + i64::from(vote.value == 1),
            downs: tally.downs + i64::from(vote.value == -1),
        })
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tallies_equal_a_recount_after_every_vote(ballots in prop::collection::vec(ballot(), 1..80)) {
        let voters: Vec<UserId> = (0..VOTERS).map(|_| UserId::new()).collect();
        let targets: Vec<PostId> = (0..TARGETS).map(|_| PostId::new()).collect();
        // One stream per (target, voter), as in the store.
        let mut streams: BTreeMap<(usize, usize), Given<Vote>> = BTreeMap::new();
        let mut tallies = [Tally::default(); TARGETS];
        for ballot in &ballots {
            let stream = streams
                .entry((ballot.target, ballot.voter))
                .or_insert_with(|| given(&[]));
            let post = targets[ballot.target];
            let command = VoteCommand::Cast {
                target: ContentRef::Post(post),
                post_id: post,
                standing: Standing {
                    community_id: community_id_for("rust"),
                    community_name: "rust".into(),
                    visibility: Visibility::Public,
                    user: voters[ballot.voter],
                    is_moderator: false,
                    is_member: false,
                    ban: None,
                },
                target_closed: ballot.target_closed,
                value: ballot.value,
            };
            let Ok(events) = stream.attempt(command) else {
                prop_assert!(
                    !(-1..=1).contains(&ballot.value) || (ballot.target_closed && ballot.value != 0),
                    "refused: {:?}", ballot
                );
                continue;
            };
            for VoteEvent::Cast(cast) in &events {
                prop_assert_eq!(cast.voter_id, voters[ballot.voter]);
                prop_assert_eq!(&cast.target, &ContentRef::Post(post));
                tallies[ballot.target].apply(vote_delta(cast.value, cast.previous));
            }
            for (target, tally) in tallies.iter().enumerate() {
                let standing: Vec<Vote> = streams
                    .iter()
                    .filter(|((t, _), _)| *t == target)
                    .map(|(_, stream)| stream.state())
                    .collect();
                prop_assert_eq!(*tally, Tally::recount(&standing), "target {}", target);
                prop_assert_eq!(tally.score, tally.ups - tally.downs);
                prop_assert!(tally.ups >= 0 && tally.downs >= 0, "{:?}", tally);
                prop_assert!(tally.ups + tally.downs <= VOTERS as i64, "one vote per voter");
            }
        }
    }
}
