//! The harness on a toy aggregate: a counter that never goes above ten.

use super::*;
use crate::aggregate::{DecodeError, DomainEvent};

#[derive(Debug, Clone, PartialEq)]
struct Added(i64);

impl DomainEvent for Added {
    fn event_type(&self) -> &'static str {
        "agora.test.added"
    }
    fn schema_version(&self) -> u32 {
        1
    }
    fn to_data(&self) -> Result<serde_json::Value, serde_json::Error> {
        Ok(self.0.into())
    }
    fn decode(_: &str, _: u32, data: serde_json::Value) -> Result<Self, DecodeError> {
        Ok(Self(data.as_i64().unwrap_or_default()))
    }
}

#[derive(Debug, PartialEq, thiserror::Error)]
#[error("the counter would pass ten")]
struct TooMuch;

/// Adds an amount up to a total of ten; adding zero is a no-op; refuses decisions taken
/// before the harness's fixed instant (so a test sees that `at` reaches `decide`).
#[derive(Debug, Clone, Default, PartialEq)]
struct Counter {
    total: i64,
}

impl Aggregate for Counter {
    const KIND: &'static str = "counter";
    type Command = i64;
    type Event = Added;
    type Error = TooMuch;

    fn decide(&self, n: i64, now: Timestamp) -> Result<Vec<Added>, TooMuch> {
        match n {
            0 => Ok(vec![]),
            n if self.total + n > 10 || now < super::now() => Err(TooMuch),
            n => Ok(vec![Added(n)]),
        }
    }

    fn evolve(self, event: &Added) -> Self {
        Self {
            total: self.total + event.0,
        }
    }
}

#[test]
fn when_decides_on_the_given_state_and_then_compares_all_events() {
    let counter = given::<Counter>(&[Added(4)]);
    assert_eq!(counter.when(3).then([Added(3)]).total, 7);
    assert_eq!(counter.when(0).then_nothing().total, 4);
    assert_eq!(counter.when(6).then_accepts().total, 10);
    counter.when(7).then_rejects(TooMuch);
    assert_eq!(counter.when(7).error(), &TooMuch);
    assert_eq!(counter.when(2).events(), [Added(2)]);
    assert_eq!(counter.when(2).state().total, 6);
    assert_eq!(counter.when(7).into_result(), Err(TooMuch));
    assert_eq!(counter.history(), [Added(4)], "when records nothing");
}

#[test]
fn and_records_accepted_steps_and_attempt_records_no_rejection() {
    let mut counter = given::<Counter>(&[]);
    assert_eq!(counter.and(6), vec![Added(6)]);
    assert_eq!(counter.attempt(5), Err(TooMuch));
    assert_eq!(counter.attempt(4), Ok(vec![Added(4)]));
    assert_eq!(counter.history(), [Added(6), Added(4)]);
    assert_eq!(counter.state().total, 10);
}

#[test]
fn decisions_are_taken_at_a_fixed_instant_unless_told_otherwise() {
    let counter = given::<Counter>(&[]);
    assert_eq!(counter.now(), now());
    let earlier = counter.at(now() - chrono::Duration::seconds(1));
    earlier.when(1).then_rejects(TooMuch);
}

#[test]
#[should_panic(expected = "the events decided")]
fn then_fails_on_other_events() {
    let _ = given::<Counter>(&[]).when(1).then([Added(2)]);
}

#[test]
#[should_panic(expected = "expected the command accepted")]
fn then_fails_on_a_rejection() {
    let _ = given::<Counter>(&[]).when(11).then([Added(11)]);
}

#[test]
#[should_panic(expected = "expected no events")]
fn then_nothing_fails_on_events() {
    let _ = given::<Counter>(&[]).when(1).then_nothing();
}

#[test]
#[should_panic(expected = "expected the command rejected")]
fn then_rejects_fails_on_an_acceptance() {
    given::<Counter>(&[]).when(1).then_rejects(TooMuch);
}

#[test]
#[should_panic(expected = "a step of the scenario was rejected")]
fn and_fails_on_a_rejection() {
    let _ = given::<Counter>(&[]).and(11);
}
