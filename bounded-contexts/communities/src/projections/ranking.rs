//! The ranking formulas of the feeds (Lemmy's): pure functions, time passed in.

use chrono::{DateTime, Utc};

/// Posts and comments older than this rank 0 in `hot` (and the refresh job leaves them alone).
pub const HOT_MAX_AGE_HOURS: f64 = 7.0 * 24.0;

/// `log10(max(2, score + 2)) / (hours_since_published + 2)^1.8`; 0 for anything published
/// more than seven days ago or in the future (a clock ahead of ours must not pin a post on top).
#[must_use]
pub fn hot_rank(score: i64, published: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let hours = (now - published).num_milliseconds() as f64 / 3_600_000.0;
    if !(0.0..HOT_MAX_AGE_HOURS).contains(&hours) {
        return 0.0;
    }
    let votes = score.saturating_add(2).max(2) as f64;
    votes.log10() / (hours + 2.0).powf(1.8)
}

/// `(ups + downs)^(min(ups, downs) / max(ups, downs))`: large for many votes evenly split;
/// 0 when nobody disagrees (either side has no votes).
#[must_use]
pub fn controversy_rank(ups: i64, downs: i64) -> f64 {
    if ups <= 0 || downs <= 0 {
        return 0.0;
    }
    let (low, high) = if ups < downs {
        (ups, downs)
    } else {
        (downs, ups)
    };
    ((ups + downs) as f64).powf(low as f64 / high as f64)
}

/// `ups`, `downs` and `score` after a voter's vote moved from `previous` to `value`.
#[must_use]
pub const fn vote_delta(value: i32, previous: i32) -> VoteDelta {
    VoteDelta {
        score: value as i64 - previous as i64,
        ups: (value == 1) as i64 - (previous == 1) as i64,
        downs: (value == -1) as i64 - (previous == -1) as i64,
    }
}

/// What a vote changes in its target's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteDelta {
    pub score: i64,
    pub ups: i64,
    pub downs: i64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::Duration;

    fn at(hours_ago: i64) -> (DateTime<Utc>, DateTime<Utc>) {
        let now = DateTime::parse_from_rfc3339("2026-01-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        (now - Duration::hours(hours_ago), now)
    }

    #[test]
    fn hot_rank_follows_lemmy() {
        let (published, now) = at(0);
        // log10(2) / 2^1.8 for a new post with no votes.
        let expected = 2_f64.log10() / 2_f64.powf(1.8);
        assert!((hot_rank(0, published, now) - expected).abs() < 1e-12);
        // A score of 8 an hour ago: log10(10) / 3^1.8.
        let (published, now) = at(1);
        let expected = 1.0 / 3_f64.powf(1.8);
        assert!((hot_rank(8, published, now) - expected).abs() < 1e-12);
        // Negative scores floor at log10(2).
        assert_eq!(hot_rank(-50, published, now), hot_rank(0, published, now));
    }

    #[test]
    fn hot_rank_decays_with_age_and_rises_with_score() {
        let (new, now) = at(1);
        let (old, _) = at(24);
        assert!(hot_rank(10, new, now) > hot_rank(10, old, now));
        assert!(hot_rank(100, old, now) > hot_rank(10, old, now));
        // A day-old post needs many more votes to beat a fresh one.
        assert!(hot_rank(1, new, now) > hot_rank(20, old, now));
    }

    #[test]
    fn hot_rank_is_zero_after_seven_days_and_in_the_future() {
        let (week_old, now) = at(7 * 24);
        assert_eq!(hot_rank(1000, week_old, now), 0.0);
        let (almost, _) = at(7 * 24 - 1);
        assert!(hot_rank(1000, almost, now) > 0.0);
        let future = now + Duration::minutes(5);
        assert_eq!(hot_rank(1000, future, now), 0.0);
    }

    #[test]
    fn controversy_favours_many_evenly_split_votes() {
        assert_eq!(controversy_rank(0, 5), 0.0);
        assert_eq!(controversy_rank(5, 0), 0.0);
        assert!((controversy_rank(5, 5) - 10.0).abs() < 1e-12);
        // (10 + 5)^(5/10)
        assert!((controversy_rank(10, 5) - 15_f64.sqrt()).abs() < 1e-12);
        assert_eq!(controversy_rank(10, 5), controversy_rank(5, 10));
        assert!(controversy_rank(50, 50) > controversy_rank(90, 10));
        assert!(controversy_rank(50, 50) > controversy_rank(5, 5));
    }

    #[test]
    fn vote_deltas_move_the_right_counters() {
        assert_eq!(
            vote_delta(1, 0),
            VoteDelta {
                score: 1,
                ups: 1,
                downs: 0
            }
        );
        assert_eq!(
            vote_delta(-1, 1),
            VoteDelta {
                score: -2,
                ups: -1,
                downs: 1
            }
        );
        assert_eq!(
            vote_delta(0, -1),
            VoteDelta {
                score: 1,
                ups: 0,
                downs: -1
            }
        );
        assert_eq!(
            vote_delta(1, 1),
            VoteDelta {
                score: 0,
                ups: 0,
                downs: 0
            }
        );
    }
}
