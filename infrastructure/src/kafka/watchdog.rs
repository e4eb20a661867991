//! A consumer left without partitions that nobody else reads.
//!
//! tansu 0.6.0 (the broker of the test suite) drops a member whose session ended without
//! starting a new generation: when a process is killed and restarted before its old member's
//! session ends, the restart joins, is given nothing (the dead member still holds every
//! partition), and when the dead member is dropped nothing hands its partitions over. The
//! restarted process then reads nothing, silently, for good (issue 23: `tests/multi_process.rs`
//! failed so in about one run of three). A consumer that receives nothing for [`WATCH_EVERY`],
//! once the group has been quiet for a session timeout, and that holds fewer partitions than
//! when last counted (or none), asks the broker whether it is alone in its group (or not in it)
//! while holding fewer partitions than its topics have; if so the reader replaces it with a new
//! consumer, which joins as a new member and is given what nobody holds. A consumer that holds
//! what it held costs no broker call: an idle platform pays nothing for this.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::consumer::{Consumer, ConsumerContext, StreamConsumer};

/// How long a consumer waits for a message before it checks that it holds what it should.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);
/// How long each broker request of the check may take.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

/// When the group last handed partitions over (or the consumer was created).
#[derive(Debug)]
pub(super) struct LastRebalance(Mutex<Instant>);

impl LastRebalance {
    pub(super) fn now() -> Self {
        Self(Mutex::new(Instant::now()))
    }

    pub(super) fn touch(&self) {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Instant::now();
    }

    pub(super) fn elapsed(&self) -> Duration {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .elapsed()
    }
}

/// What a check found: the subscribed topics' partitions (when the broker answered) and why
/// the consumer is stalled, if it is.
#[derive(Debug, Default)]
pub(super) struct Verdict {
    pub(super) total: Option<usize>,
    pub(super) stalled: Option<String>,
}

/// Whether `consumer` is stalled: alone in its group (or not in it) and holding fewer
/// partitions than its topics have. A broker that does not answer is an outage to wait out,
/// not a reason to rejoin: no verdict. Blocking: broker calls.
pub(super) fn stall<C: ConsumerContext>(
    consumer: &StreamConsumer<C>,
    group: &str,
    patterns: &[String],
) -> Verdict {
    let Ok(metadata) = consumer.fetch_metadata(None, ASK_TIMEOUT) else {
        return Verdict::default();
    };
    let total: usize = metadata
        .topics()
        .iter()
        .filter(|t| patterns.iter().any(|p| subscribed(p, t.name())))
        .map(|t| t.partitions().len())
        .sum();
    let held = consumer.assignment().map_or(0, |a| a.count());
    let stalled = if held < total {
        consumer
            .fetch_group_list(Some(group), ASK_TIMEOUT)
            .ok()
            .map(|groups| groups.groups().first().map_or(0, |g| g.members().len()))
            .filter(|members| *members <= 1)
            .map(|members| {
                format!(
                    "{members} member(s) in the group, this consumer holds {held} of {total} partitions"
                )
            })
    } else {
        None
    };
    Verdict {
        total: Some(total),
        stalled,
    }
}

/// Whether `topic` is one a subscription `pattern` names: the name itself, or for a pattern
/// starting with `^`, a regular expression (librdkafka's rule).
fn subscribed(pattern: &str, topic: &str) -> bool {
    if pattern.starts_with('^') {
        regex::Regex::new(pattern).is_ok_and(|r| r.is_match(topic))
    } else {
        pattern == topic
    }
}

#[cfg(test)]
mod tests {
    use super::subscribed;

    #[test]
    fn patterns_name_topics_as_librdkafka_does() {
        let all = r"^p1\..*\.events$";
        assert!(subscribed(all, "p1.ordering.events"));
        assert!(!subscribed(all, "p2.ordering.events"));
        assert!(!subscribed(all, "p1.ordering.commands"));
        assert!(subscribed("p1.ordering.events", "p1.ordering.events"));
        assert!(!subscribed("p1.ordering.events", "p1.payments.events"));
    }
}
