//! Rate limits answered with 429 + `Retry-After`: a keyed GCRA limiter (`governor`), and the
//! per-user write limit every route shares.
//!
//! Limits are in memory, per process: with several gateway processes each enforces its own
//! budget, so the effective limit is the configured one times the number of processes.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::ApiError;
use crate::caller::Authentication;

/// Above this many tracked keys, keys whose budget is full again are forgotten.
const PRUNE_ABOVE: usize = 10_000;

/// At most `burst` events per key per `period`, refilled evenly over the period.
#[derive(Debug)]
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    what: &'static str,
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// `what` names the limit in the 429's detail (`"sign-ups from this address"`).
    /// A `burst` of zero means one.
    #[must_use]
    pub fn new(burst: u32, period: Duration, what: &'static str) -> Self {
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let per_cell = period / burst.get();
        let quota = Quota::with_period(per_cell.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self {
            limiter: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            what,
        }
    }

    /// Takes one unit of `key`'s budget.
    ///
    /// # Errors
    /// [`ApiError::TooManyRequests`] with the wait until the next unit.
    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::TooManyRequests {
                detail: format!("too many {}; try again later", self.what),
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }
}

/// Middleware: limits writes (any method but GET, HEAD, OPTIONS) per authenticated user.
/// Anonymous writes (sign-up, login) have their own per-address limits.
pub async fn limit_writes_per_user(
    State(limiter): State<Arc<KeyedLimiter<shared_kernel::ids::UserId>>>,
    request: Request,
    next: Next,
) -> Response {
    let is_write = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if is_write
        && let Some(Authentication::Verified(caller)) = request.extensions().get()
        && let Err(e) = limiter.check(&caller.user_id)
    {
        return e.into_response();
    }
    next.run(request).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limiter = KeyedLimiter::new(3, Duration::from_secs(60), "tries");
        for _ in 0..3 {
            limiter.check(&"k").unwrap();
        }
        let Err(ApiError::TooManyRequests {
            retry_after_secs, ..
        }) = limiter.check(&"k")
        else {
            panic!("fourth try allowed");
        };
        assert!((1..=20).contains(&retry_after_secs), "{retry_after_secs}");
        limiter.check(&"other").unwrap();
    }
}
