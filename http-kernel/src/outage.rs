//! Telling an outage from a fault: a request that failed because the database or the command
//! bus could not be reached is answered 503 `unavailable` with `Retry-After` (the client may
//! try again shortly), not 500 `internal_error` (something is wrong with the request or the
//! code). Found by issue 23's fault suite: with PostgreSQL stopped, orders were answered 500.

use std::error::Error;

use shared_kernel::BusError;

/// Which dependency `cause` (or an error it wraps) says could not be reached, if any.
pub(crate) fn unreachable_dependency(cause: &(dyn Error + 'static)) -> Option<&'static str> {
    let mut current = Some(cause);
    while let Some(e) = current {
        if e.downcast_ref::<sqlx::Error>()
            .is_some_and(database_unreachable)
        {
            return Some("the database");
        }
        if matches!(e.downcast_ref::<BusError>(), Some(BusError::Unavailable(_))) {
            return Some("the command bus");
        }
        current = e.source();
    }
    None
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

    use super::unreachable_dependency;

    #[test]
    fn outages_are_told_from_faults_through_wrapping_errors() {
        assert_eq!(
            unreachable_dependency(&sqlx::Error::PoolTimedOut),
            Some("the database")
        );
        let wrapped = StoreError::Unavailable(Box::new(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        ))));
        assert_eq!(unreachable_dependency(&wrapped), Some("the database"));
        let bus = BusError::Unavailable("connection refused".into());
        assert_eq!(unreachable_dependency(&bus), Some("the command bus"));
        // A fault is still a fault.
        assert_eq!(unreachable_dependency(&sqlx::Error::RowNotFound), None);
        let timeout = BusError::Timeout(std::time::Duration::from_secs(1));
        assert_eq!(unreachable_dependency(&timeout), None);
        let corrupt = StoreError::Corrupt("bad json".into());
        assert_eq!(unreachable_dependency(&corrupt), None);
    }
}
