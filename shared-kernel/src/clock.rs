//! Time as a port: domain code never reads the clock, it is handed `now`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// The one timestamp type of the platform (UTC, microsecond precision in the stores).
pub type Timestamp = DateTime<Utc>;

/// Where application code gets the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Utc::now()
    }
}

/// A clock that only moves when told to; for tests of expiries and timers.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    #[must_use]
    pub fn at(t: Timestamp) -> Self {
        Self(Mutex::new(t))
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
