//! Given/when/then for aggregates, written once for every context's domain tests.
//!
//! ```text
//! let stock = given::<StockItem>(&[opened, received_10]);
//! stock.when(reserve(order, 3)).then([reserved_3]);
//! stock
//!     .when(reserve(order, 11))
//!     .then_rejects(StockError::Insufficient { requested: 11, available: 10 });
//! ```
//!
//! A scenario ([`Given`]) is the events already in a stream and the instant decisions are taken
//! at; [`Given::when`] decides one command on the state those events fold to, and the
//! [`When`] it returns asserts on the outcome: exactly these events ([`When::then`]), none
//! ([`When::then_nothing`]), any ([`When::then_accepts`]), this error
//! ([`When::then_rejects`]), or hands out the events, the error or the state after for finer
//! assertions. [`Given::and`] records an accepted command's events, so a longer scenario reads
//! as its steps; [`Given::attempt`] records them only when accepted (property tests of
//! arbitrary command sequences).
//!
//! Unlike cqrs-es's `TestFramework`, a scenario stays usable after a `when` (it records
//! nothing), so one history serves several commands, and `then` hands back the state after.
//!
//! Compiled for this crate's own tests and, for other crates, behind the `testing` feature
//! (enabled in their `[dev-dependencies]`). Its functions panic on a failed expectation: that
//! is how a test fails.

#![allow(clippy::panic)] // a failed expectation fails the test

use chrono::TimeZone as _;

use crate::aggregate::Aggregate;
use crate::clock::Timestamp;

/// The instant every scenario decides at unless told otherwise ([`Given::at`]):
/// 2026-03-01T12:00:00Z, fixed, so tests never depend on the wall clock.
#[must_use]
pub fn now() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// A scenario of `A` that starts from `events` (an empty slice: a stream that does not exist).
#[must_use]
pub fn given<A: Aggregate>(events: &[A::Event]) -> Given<A>
where
    A::Event: Clone,
{
    Given {
        history: events.to_vec(),
        now: now(),
    }
}

/// The events of one stream so far, and the instant the next decision is taken at.
#[derive(Debug, Clone)]
pub struct Given<A: Aggregate> {
    history: Vec<A::Event>,
    now: Timestamp,
}

impl<A: Aggregate> Given<A>
where
    A::Event: Clone,
{
    /// The same scenario, deciding at `now` from here on (expiries, bans, claims that age).
    #[must_use]
    pub fn at(mut self, now: Timestamp) -> Self {
        self.now = now;
        self
    }

    /// The instant decisions are taken at.
    #[must_use]
    pub const fn now(&self) -> Timestamp {
        self.now
    }

    /// Every event of the scenario, oldest first: the given ones, then those [`Self::and`]
    /// and [`Self::attempt`] recorded.
    #[must_use]
    pub fn history(&self) -> &[A::Event] {
        &self.history
    }

    /// The state the history folds to.
    #[must_use]
    pub fn state(&self) -> A {
        A::replay(&self.history)
    }

    /// Decides `command` on [`Self::state`] and records nothing: the outcome is for the
    /// caller to assert on.
    pub fn when(&self, command: A::Command) -> When<A> {
        let before = self.state();
        let outcome = before.decide(command, self.now);
        When { before, outcome }
    }

    /// Decides `command`, expects it accepted, appends what it decided to the history and
    /// returns those events: one step of a longer scenario.
    ///
    /// # Panics
    /// The command was rejected.
    pub fn and(&mut self, command: A::Command) -> Vec<A::Event> {
        match self.attempt(command) {
            Ok(events) => events,
            Err(error) => panic!("a step of the scenario was rejected: {error:?}"),
        }
    }

    /// Decides `command` and appends what it decided when accepted (a rejection records
    /// nothing, as in a real stream): for scenarios of arbitrary commands, some of which the
    /// aggregate refuses.
    ///
    /// # Errors
    /// The aggregate's own: the command breaks one of its rules in the current state.
    pub fn attempt(&mut self, command: A::Command) -> Result<Vec<A::Event>, A::Error> {
        let events = self.state().decide(command, self.now)?;
        self.history.extend(events.iter().cloned());
        Ok(events)
    }
}

/// What one command decided, on the state before it.
#[derive(Debug)]
#[must_use = "a decision is asserted on with then, then_nothing or then_rejects"]
pub struct When<A: Aggregate> {
    before: A,
    outcome: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A> {
    /// Expects the command accepted with exactly `expected`, in order; returns the state after
    /// them, for assertions on it.
    ///
    /// # Panics
    /// The command was rejected, or decided other events.
    pub fn then(self, expected: impl IntoIterator<Item = A::Event>) -> A
    where
        A::Event: PartialEq,
    {
        let expected: Vec<A::Event> = expected.into_iter().collect();
        assert_eq!(self.events(), expected.as_slice(), "the events decided");
        self.state()
    }

    /// Expects the command accepted with no events (a repeat, a no-op); returns the state,
    /// which is the state before.
    ///
    /// # Panics
    /// The command was rejected, or decided events.
    pub fn then_nothing(self) -> A {
        let events = self.events();
        assert!(events.is_empty(), "expected no events, got {events:?}");
        self.before
    }

    /// Expects the command accepted, whatever it decided; returns the state after.
    ///
    /// # Panics
    /// The command was rejected.
    pub fn then_accepts(self) -> A {
        self.state()
    }

    /// Expects the command rejected with exactly `expected`.
    ///
    /// # Panics
    /// The command was accepted, or rejected with another error.
    pub fn then_rejects(self, expected: A::Error)
    where
        A::Error: PartialEq,
    {
        assert_eq!(self.error(), &expected, "the rejection");
    }

    /// The events the command decided, for assertions that compare less than all of them.
    ///
    /// # Panics
    /// The command was rejected.
    #[must_use]
    pub fn events(&self) -> &[A::Event] {
        match &self.outcome {
            Ok(events) => events,
            Err(error) => panic!("expected the command accepted, it was rejected: {error:?}"),
        }
    }

    /// The error the command was rejected with, for assertions on part of it.
    ///
    /// # Panics
    /// The command was accepted.
    #[must_use]
    pub fn error(&self) -> &A::Error {
        match &self.outcome {
            Ok(events) => panic!("expected the command rejected, it decided {events:?}"),
            Err(error) => error,
        }
    }

    /// The state after the events the command decided.
    ///
    /// # Panics
    /// The command was rejected.
    #[must_use]
    pub fn state(&self) -> A {
        self.events()
            .iter()
            .fold(self.before.clone(), |state, event| state.evolve(event))
    }

    /// The outcome itself, for `matches!` on a result the other methods cannot express.
    ///
    /// # Errors
    /// The aggregate's own: the command was rejected.
    pub fn into_result(self) -> Result<Vec<A::Event>, A::Error> {
        self.outcome
    }
}

#[cfg(test)]
mod tests;
