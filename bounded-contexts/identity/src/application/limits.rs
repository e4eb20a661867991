//! The failed-login limit per account: after N failures within a window, logins to that
//! account are refused (429) until the window ends, whatever the password. A success clears the
//! count. This needs "look without spending" and "reset on success", which a token bucket
//! (governor, used for the per-address limits) does not offer, hence this small fixed window.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Above this many tracked accounts, windows that ended are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub struct FailedLogins {
    max: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl FailedLogins {
    #[must_use]
    pub fn new(max: u32, window: Duration) -> Self {
        Self {
            max: max.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(wait)` when `account` is locked out now.
    #[must_use]
    pub fn locked_for(&self, account: &str) -> Option<Duration> {
        let now = Instant::now();
        let failures = self.lock();
        let (count, since) = failures.get(account)?;
        let ends = *since + self.window;
        (*count >= self.max && ends > now).then(|| ends - now)
    }

    pub fn record_failure(&self, account: &str) {
        let now = Instant::now();
        let mut failures = self.lock();
        if failures.len() > PRUNE_ABOVE {
            let window = self.window;
            failures.retain(|_, (_, since)| *since + window > now);
        }
        let entry = failures.entry(account.to_owned()).or_insert((0, now));
        if entry.1 + self.window <= now {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
    }

    pub fn record_success(&self, account: &str) {
        self.lock().remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_and_success_clears() {
        let f = FailedLogins::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            f.record_failure("a");
        }
        assert!(f.locked_for("a").is_none());
        f.record_success("a");
        for _ in 0..3 {
            f.record_failure("a");
        }
        let wait = f.locked_for("a");
        assert!(wait.is_some_and(|w| w <= Duration::from_secs(60)));
        assert!(f.locked_for("b").is_none());
    }
}
