//! Telling an outage from a fault: a request that failed because the database or the command
//! bus could not be reached is answered 503 `unavailable` with `Retry-After` (the client may
//! try again shortly), not 500 `internal_error` (something is wrong with the request or the
//! code). Found by issue 23's fault suite: with PostgreSQL stopped, orders were answered 500.
//! A read of the log up to a recent instant that a long transaction keeps from settling
//! ([`StoreError::NotSettled`]) is the same kind: nothing is wrong, the answer is not ready.

use std::error::Error;

use shared_kernel::{BusError, StoreError};

/// Why `cause` (or an error it wraps) is an outage the client may retry after, as the
/// problem's `detail`; `None` for a fault.
pub(crate) fn outage_detail(cause: &(dyn Error + 'static)) -> Option<String> {
    let mut current = Some(cause);
    while let Some(e) = current {
        if e.downcast_ref::<sqlx::Error>()
            .is_some_and(database_unreachable)
        {
            return Some(unreachable("the database"));
        }
        if matches!(e.downcast_ref::<BusError>(), Some(BusError::Unavailable(_))) {
            return Some(unreachable("the command bus"));
        }
        if let Some(StoreError::NotSettled { .. }) = e.downcast_ref::<StoreError>() {
            return Some(format!("{e}; try again shortly"));
        }
        current = e.source();
    }
    None
}

fn unreachable(what: &str) -> String {
    format!("{what} does not answer at the moment; try again shortly")
}

/// A pool that cannot hand out a connection, a connection that broke, or a server that is
/// shutting down or starting (SQLSTATE class 08 connection exception, 57P01-57P03 operator
/// intervention).
fn database_unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c.starts_with("08") || ["57P01", "57P02", "57P03"].contains(&&*c)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use shared_kernel::{BusError, StoreError};

    use super::outage_detail;

    fn is_outage(e: &(dyn std::error::Error + 'static), what: &str) -> bool {
        outage_detail(e).is_some_and(|d| d.contains(what))
    }

    #[test]
    fn outages_are_told_from_faults_through_wrapping_errors() {
        assert!(is_outage(&sqlx::Error::PoolTimedOut, "the database"));
        let wrapped = StoreError::Unavailable(Box::new(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        ))));
        assert!(is_outage(&wrapped, "the database does not answer"));
        let bus = BusError::Unavailable("connection refused".into());
        assert!(is_outage(&bus, "the command bus"));
        let unsettled = StoreError::NotSettled {
            to: chrono::Utc::now(),
            waited_ms: 5_000,
        };
        assert!(is_outage(&unsettled, "is not settled"));
        // A fault is still a fault.
        assert_eq!(outage_detail(&sqlx::Error::RowNotFound), None);
        let timeout = BusError::Timeout(std::time::Duration::from_secs(1));
        assert_eq!(outage_detail(&timeout), None);
        let corrupt = StoreError::Corrupt("bad json".into());
        assert_eq!(outage_detail(&corrupt), None);
    }
}
