//! A lease on work only one process of the platform may do at a time (the Kafka relay): a
//! PostgreSQL session advisory lock held on a connection of its own.
//!
//! Why a session lock on a dedicated connection: PostgreSQL releases it when the session ends,
//! and a killed process's session ends as soon as the server sees its socket close, so a
//! standby polling [`Lease::acquire`] takes over within about one retry period, with no expiry
//! to tune and no clock to trust. A pooled connection would not do: the pool may close or hand
//! out the connection that holds the lock. The holder probes its connection every
//! [`Lease::lost`] period and stops the work as soon as a probe fails or hangs: its session may
//! be gone, and with it the lock another process may now hold. (A holder cut off from the
//! server keeps the lock until the server notices, through TCP keepalives; nobody does the
//! work meanwhile, nobody does it twice.) Advisory locks belong to one database, so the
//! platforms of different databases never compete.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use tokio_util::sync::CancellationToken;

/// The advisory lock key of the Kafka relay: one relay per platform (database).
pub const RELAY_LEASE_KEY: i64 = 0x6167_6f72_6172_656c; // "agorarel"

/// A held advisory lock. Dropping it closes its connection, which releases the lock too.
#[derive(Debug)]
pub struct Lease {
    connection: PgConnection,
    key: i64,
}

impl Lease {
    /// Waits until this process holds the advisory lock `key` of the database at `url`,
    /// trying again every `retry` (with one connection kept open meanwhile). `None` when
    /// `shutdown` came first.
    pub async fn acquire(
        url: &str,
        key: i64,
        retry: Duration,
        shutdown: &CancellationToken,
    ) -> Option<Self> {
        let mut connection: Option<PgConnection> = None;
        let mut standing_by = false;
        loop {
            let attempt = async {
                let conn = match connection.as_mut() {
                    Some(conn) => conn,
                    None => connection.insert(PgConnection::connect(url).await?),
                };
                sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(conn)
                    .await
            };
            let outcome = tokio::select! {
                outcome = tokio::time::timeout(retry.max(Duration::from_secs(5)), attempt) => outcome,
                () = shutdown.cancelled() => return None,
            };
            match outcome {
                Ok(Ok(true)) => {
                    if let Some(connection) = connection.take() {
                        return Some(Self { connection, key });
                    }
                }
                Ok(Ok(false)) => {
                    if !standing_by {
                        tracing::info!(key, "lease held by another process; standing by");
                        standing_by = true;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(key, error = %e, "cannot try the lease; retrying");
                    connection = None;
                }
                Err(_) => {
                    tracing::warn!(key, "trying the lease timed out; retrying");
                    connection = None;
                }
            }
            tokio::select! {
                () = tokio::time::sleep(retry) => {}
                () = shutdown.cancelled() => return None,
            }
        }
    }

    /// Returns once the lease may be lost: a probe of its connection (one every `every`) failed
    /// or took longer than `every`.
    pub async fn lost(&mut self, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            let probe = sqlx::query("SELECT 1").execute(&mut self.connection);
            match tokio::time::timeout(every, probe).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    tracing::warn!(key = self.key, error = %e, "lease connection failed");
                    return;
                }
                Err(_) => {
                    tracing::warn!(key = self.key, "lease connection does not answer");
                    return;
                }
            }
        }
    }

    /// Gives the lease back at once (a standby takes over at its next try).
    pub async fn release(mut self) {
        let unlock = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.connection);
        let _ = tokio::time::timeout(Duration::from_secs(2), unlock).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), self.connection.close()).await;
    }
}
